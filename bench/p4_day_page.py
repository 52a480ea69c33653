"""P4: throughput of the booking day page (free times of one day) against a bare Flask
endpoint, both under the same gunicorn configuration, measured with wrk in the same run.

The day page is measured as a returning visitor sees it (with the session cookie the first
view set, as when they reload the page or come back to it from the calendar) and as a first
view (no cookie: every request starts a session, and its CSRF token is made and signed).

    .venv/bin/python bench/p4_day_page.py [--seconds 10] [--connections 32] [--workers 2]
        [--rounds 3] [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Needs wrk (Debian package `wrk`). Only 127.0.0.1 is contacted; each load lasts --seconds.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.p2_booking_rush import (  # noqa: E402
    build_office,
    free_port,
    request,
    wait_for_workers,
)
from terminvergabe import create_app  # noqa: E402

CACHE = "TERMINVERGABE_DAY_PAGE_CACHE_SECONDS"


def serve(module: str, port: int, workers: int, env: dict, threads: int = 8) -> subprocess.Popen:
    env = dict(
        os.environ,
        **env,
        TERMINVERGABE_BIND=f"127.0.0.1:{port}",
        TERMINVERGABE_WORKERS=str(workers),
        TERMINVERGABE_THREADS=str(threads),
    )
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115  (lives as long as the server)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            module,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    if not wait_for_workers(Path(log.name), workers):
        process.kill()
        raise SystemExit(f"{module} did not start: " + Path(log.name).read_text()[-2000:])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz" if module == "wsgi:app" else "/")
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{module} did not start")


def wrk(url: str, seconds: int, connections: int, cookie: str = "") -> tuple[float, str]:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", *headers, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)
    return rate, f"p50 {p50}" + (f", non-2xx {errors.group(1)}" if errors else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    args = parser.parse_args()

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench"})
    slug, service_id = build_office(app)
    env = {
        "TERMINVERGABE_DATABASE_URL": args.database,
        "TERMINVERGABE_RATELIMIT_ENABLED": "false",
        "TERMINVERGABE_ALTCHA_REQUIRED_DEFAULT": "false",
        "TERMINVERGABE_HEALTH_REQUIRES_SCHEDULER": "false",
        "TERMINVERGABE_SECRET_KEY": "bench-secret",
    }
    load = (args.seconds, args.connections)
    # The kept day page and the bare endpoint are served side by side and measured in turns,
    # `--rounds` times each: the machine's load drifts by more than the difference that is
    # measured, so each figure is the median of its rounds.
    kept = serve("wsgi:app", (kept_port := free_port()), args.workers, {**env, CACHE: "10"})
    bare = serve("bench.bare_app:app", (bare_port := free_port()), args.workers, {})
    try:
        path = day_path(kept_port, slug, service_id)
        url = f"http://127.0.0.1:{kept_port}{path}"
        cookie = session_cookie(kept_port, path)
        rounds = {"bare": [], "kept": [], "first view": []}
        for _round in range(args.rounds):
            rounds["bare"].append(wrk(f"http://127.0.0.1:{bare_port}/", *load))
            rounds["kept"].append(wrk(url, *load, cookie))
            rounds["first view"].append(wrk(url, *load))
    finally:
        for server in (kept, bare):
            server.terminate()
            server.wait(timeout=30)
    # Rendered afresh for every request (DAY_PAGE_CACHE_SECONDS=0): what one page costs.
    fresh = serve("wsgi:app", (fresh_port := free_port()), args.workers, {**env, CACHE: "0"})
    try:
        path = day_path(fresh_port, slug, service_id)
        fresh_rate = wrk(f"http://127.0.0.1:{fresh_port}{path}", *load)
    finally:
        fresh.terminate()
        fresh.wait(timeout=30)

    median = {name: statistics.median(r for r, _info in runs) for name, runs in rounds.items()}
    bare_rate = median["bare"]
    print(
        f"P4 day page vs bare Flask: gunicorn {args.workers} workers x 8 threads (gthread), "
        f"wrk {args.connections} connections, {args.seconds} s each, medians of "
        f"{args.rounds} rounds taken in turns, PostgreSQL"
    )
    for name, label in (
        ("bare", "bare endpoint"),
        ("kept", "day page, returning visitor (kept up to 10 s)"),
        ("first view", "day page, first view: a new session each request"),
    ):
        each = ", ".join(f"{r:.0f}" for r, _info in rounds[name])
        print(
            f"  {label}: {median[name]:.1f} req/s, {median[name] / bare_rate:.1%} of bare "
            f"(rounds: {each}; {rounds[name][-1][1]})"
        )
    print(
        f"  day page rendered for every request (DAY_PAGE_CACHE_SECONDS=0): "
        f"{fresh_rate[0]:.1f} req/s ({fresh_rate[1]}), {fresh_rate[0] / bare_rate:.1%} of bare"
    )
    print("  target: day page >= 50% of bare")


def day_path(port: int, slug: str, service_id: int) -> str:
    _status, body = request(port, "GET", f"/api/v1/offices/{slug}/days?services={service_id}")
    return f"/o/{slug}/days/{body['days'][0]}?s={service_id}:1"


def session_cookie(port: int, path: str) -> str:
    """The session cookie a first view of the page sets ("session=...")."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return (response.getheader("Set-Cookie") or "").split(";")[0]
    finally:
        conn.close()


if __name__ == "__main__":
    main()
