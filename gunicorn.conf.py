"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Worker class gthread: every open live screen (Server-Sent Events) keeps one thread of its worker
while it is open. The thread sleeps on its queue, holds no database connection, and per event
only writes bytes rendered once for all screens (counter/live.py), so a few hundred of them per
worker cost memory, not CPU. So that screens can never take the threads pages need, a worker
serves at most LIVE_STREAMS streams and keeps the other threads for pages; a screen over the
limit is told to reconnect in a few seconds (to any worker). gevent would need no thread per
screen but runs CPU-heavy pages without preemption, which delays every screen's events behind
them; with threads the interpreter switches every few milliseconds.

    TERMINVERGABE_WORKERS        processes (default 4)
    TERMINVERGABE_LIVE_STREAMS   live screens per worker (default 200)
    TERMINVERGABE_PAGE_THREADS   threads per worker kept for everything else (default 32)
    TERMINVERGABE_THREADS        threads per worker (default LIVE_STREAMS + PAGE_THREADS);
                                 when set lower, at least half of them stay for pages
Every value can be set by the environment.
"""

import os
import sys
from pathlib import Path

bind = os.environ.get("TERMINVERGABE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TERMINVERGABE_WORKERS", "4"))
worker_class = "gthread"
_live = int(os.environ.get("TERMINVERGABE_LIVE_STREAMS", "200"))
_pages = int(os.environ.get("TERMINVERGABE_PAGE_THREADS", "32"))
threads = int(os.environ.get("TERMINVERGABE_THREADS", str(_live + _pages)))
# The app reads its limit from the environment; the workers inherit it from here.
os.environ["TERMINVERGABE_LIVE_STREAMS"] = str(
    max(1, min(_live, threads - min(_pages, threads // 2)))
)
# SSE streams send a comment every few seconds; a worker silent for longer is stuck.
timeout = int(os.environ.get("TERMINVERGABE_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("TERMINVERGABE_MAX_REQUESTS", "0"))
accesslog = "-"
errorlog = "-"
# JSON lines with the request id and the matched route instead of the path: paths carry manage,
# ticket and device tokens (terminvergabe/logs.py).
logger_class = "terminvergabe.logs.GunicornLogger"
# gunicorn's control socket lives at one path per user ($HOME/.gunicorn/gunicorn.ctl): a second
# instance on the host (another port, a deploy's overlap) would take it over. Nothing here uses it.
control_socket_disable = True


def on_starting(server):
    """In the master, before any worker: tell the app how many workers share this host (it
    refuses in-process state that they cannot share), and empty the metrics folder of files a
    crashed run left behind, whose counts would otherwise be added to the new ones."""
    os.environ["TERMINVERGABE_WORKERS"] = str(server.cfg.workers)
    _check_configuration()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        _empty_metrics_folder(Path(folder))


def _check_configuration() -> None:
    """Build the app once in the master, so that a wrong setting stops gunicorn with its one
    line before any worker starts (workers that fail to load at the same moment make gunicorn
    print a traceback of its own). Nothing here connects: database, broker and scheduler start
    only when used, in the workers."""
    from terminvergabe import create_app
    from terminvergabe.config import ConfigurationError

    try:
        create_app()
    except ConfigurationError as error:
        print(error.code, file=sys.stderr)
        raise SystemExit(4) from None


def _empty_metrics_folder(folder: Path) -> None:
    """Only prometheus-client's own files (*.db) go: a folder set by mistake (/, $HOME) keeps
    everything else."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in folder.glob("*.db"):
        if item.is_file() and not item.is_symlink():
            item.unlink()


def child_exit(server, worker):
    """Drop the metrics files of a worker that ended (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Say when a worker has loaded the app and takes requests (the benchmarks wait for every
    worker, so that a measurement does not include the start-up)."""
    worker.log.info("Worker ready (pid: %s)", worker.pid)
