"""Start the app as separate server processes (werkzeug, threaded) for tests that need more
than one process, e.g. the event fan-out over PostgreSQL LISTEN/NOTIFY."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVE = """
import sys
from werkzeug.serving import run_simple
from terminvergabe import create_app
run_simple("127.0.0.1", int(sys.argv[1]), create_app(), threaded=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server_process(database_url: str, **settings):
    """A server on a free port; yields its base URL and stops it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "TERMINVERGABE_DATABASE_URL": database_url,
        "TERMINVERGABE_SECRET_KEY": "multi-process-test",
        "TERMINVERGABE_WTF_CSRF_ENABLED": "false",
        **{f"TERMINVERGABE_{k}": v for k, v in settings.items()},
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SERVE, str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/staff/login", timeout=2).close()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
