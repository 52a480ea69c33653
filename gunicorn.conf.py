"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Worker class gthread: every live screen (Server-Sent Events) keeps one thread busy for as long as
it is open, so each worker has many threads and the SSE streams cannot starve page requests
(a stream waits on its queue and holds no database connection while it waits).
Every value can be set by the environment.
"""

import os

bind = os.environ.get("TERMINVERGABE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TERMINVERGABE_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("TERMINVERGABE_THREADS", "100"))
# SSE streams send a comment every few seconds; a worker silent for longer is stuck.
timeout = int(os.environ.get("TERMINVERGABE_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("TERMINVERGABE_MAX_REQUESTS", "0"))
accesslog = "-"
errorlog = "-"
access_log_format = (
    '{"remote": "%(h)s", "request": "%(r)s", "status": %(s)s, "bytes": "%(B)s", '
    '"duration_ms": %(M)s, "agent": "%(a)s"}'
)


def child_exit(server, worker):
    """Drop the metrics files of a worker that ended (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Say when a worker has loaded the app and takes requests (the benchmarks wait for every
    worker, so that a measurement does not include the start-up)."""
    worker.log.info("Worker ready (pid: %s)", worker.pid)
