"""A bounded bot-like client against a running terminvergabe on this machine: it searches and
holds (and optionally books) as fast as it can, the way reselling bots do, and reports what it
got. It stops by itself after --requests requests or --seconds seconds, whichever comes first,
and talks only to 127.0.0.1 / localhost.

    python bench/bot_client.py --base http://127.0.0.1:5000 --office rheinstadt-mitte \
        --requests 300 --seconds 60 [--book] [--solve-pow] [--workers 4]

What it does per round: GET free days, GET the times of the first free day, POST a hold for
one of them through the JSON API (with an ALTCHA solution when --solve-pow, solved in Python
like a determined bot would), and with --book confirm the hold with a made-up address.
It prints a JSON report: requests by status, holds and bookings made, 429s with their
Retry-After, refusals by error code, and the rate it achieved.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ALLOWED_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Bot:
    def __init__(self, args):
        self.args = args
        self.base = args.base.rstrip("/")
        self.deadline = time.monotonic() + args.seconds
        self.lock = threading.Lock()
        self.sent = 0
        self.status = collections.Counter()
        self.codes = collections.Counter()
        self.retry_after: list[int] = []
        self.holds = 0
        self.bookings = 0
        self.pow_seconds = 0.0

    # -- bounded HTTP --------------------------------------------------------------------------

    def _take_ticket(self) -> bool:
        with self.lock:
            if self.sent >= self.args.requests or time.monotonic() >= self.deadline:
                return False
            self.sent += 1
            return True

    def request(self, method: str, path: str, body: dict | None = None):
        """(status, json or None); None when the budget is used up."""
        if not self._take_ticket():
            return None
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(  # noqa: S310 (loopback only, checked in main)
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
                status, raw, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, headers = error.code, error.read(), error.headers
        except (urllib.error.URLError, TimeoutError) as error:
            with self.lock:
                self.status["connection_error"] += 1
                self.codes[type(error).__name__] += 1
            return 0, None
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        with self.lock:
            self.status[status] += 1
            if status == 429 and headers.get("Retry-After"):
                self.retry_after.append(int(headers["Retry-After"]))
            if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
                self.codes[payload["error"].get("code", "?")] += 1
        return status, payload

    # -- one round -----------------------------------------------------------------------------

    def services(self) -> str | None:
        answer = self.request("GET", f"/api/v1/offices/{self.args.office}/services")
        if not answer or answer[0] != 200:
            return None
        service = answer[1]["services"][0]
        return str(service["id"])

    def round(self, service: str) -> bool:
        query = urllib.parse.urlencode({"services": f"{service}:1"})
        answer = self.request("GET", f"/api/v1/offices/{self.args.office}/days?{query}")
        if answer is None:
            return False
        if answer[0] != 200 or not answer[1].get("days"):
            return True
        day = random.choice(answer[1]["days"][:3])
        answer = self.request("GET", f"/api/v1/offices/{self.args.office}/times?{query}&date={day}")
        if answer is None:
            return False
        if answer[0] != 200 or not answer[1].get("times"):
            return True
        start = random.choice(answer[1]["times"])["start"]
        body = {"services": [{"id": int(service), "quantity": 1}], "start": start}
        if self.args.solve_pow:
            payload = self.solve_pow()
            if payload is None:
                return False
            body["altcha"] = payload
        answer = self.request("POST", f"/api/v1/offices/{self.args.office}/holds", body)
        if answer is None:
            return False
        if answer[0] == 201:
            with self.lock:
                self.holds += 1
            if self.args.book:
                self.book(answer[1])
        return True

    def book(self, held: dict) -> None:
        token = held.get("manage_token") or held.get("token")
        if not token:
            return
        email = f"bot{random.randrange(10**6)}@example.org"
        answer = self.request(
            "POST", f"/api/v1/appointments/{token}/confirm", {"name": "Bot", "email": email}
        )
        if answer and answer[0] == 200:
            with self.lock:
                self.bookings += 1

    def solve_pow(self) -> str | None:
        import altcha

        answer = self.request("GET", "/altcha/challenge")
        if not answer or answer[0] != 200:
            return None
        began = time.monotonic()
        challenge = altcha.Challenge.from_dict(answer[1])
        solution = altcha.solve_challenge(challenge, timeout=60)
        with self.lock:
            self.pow_seconds += time.monotonic() - began
        if solution is None:
            return None
        return altcha.Payload(challenge, solution).to_base64()

    def worker(self, service: str) -> None:
        while self.round(service):
            pass

    # -- report --------------------------------------------------------------------------------

    def report(self, elapsed: float) -> dict:
        retry = sorted(self.retry_after)
        return {
            "requests": self.sent,
            "seconds": round(elapsed, 2),
            "requests_per_second": round(self.sent / elapsed, 1) if elapsed else None,
            "by_status": {str(k): v for k, v in sorted(self.status.items(), key=str)},
            "refusals_by_code": dict(self.codes.most_common()),
            "holds_made": self.holds,
            "bookings_made": self.bookings,
            "rate_limited_429": self.status.get(429, 0),
            "retry_after_seconds": {
                "min": retry[0] if retry else None,
                "max": retry[-1] if retry else None,
            },
            "seconds_spent_on_proof_of_work": round(self.pow_seconds, 2),
        }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--office", required=True, help="office slug")
    parser.add_argument("--requests", type=int, default=300, help="stop after this many")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--book", action="store_true", help="confirm every hold it gets")
    parser.add_argument("--solve-pow", action="store_true", help="solve ALTCHA challenges")
    args = parser.parse_args(argv)
    host = urllib.parse.urlsplit(args.base).hostname
    if host not in ALLOWED_HOSTS:
        parser.error("the bot only talks to this machine (127.0.0.1 / localhost)")
    args.requests = max(1, min(args.requests, 100_000))
    args.seconds = max(1.0, min(args.seconds, 600.0))
    bot = Bot(args)
    began = time.monotonic()
    service = bot.services()
    if service is None:
        print(json.dumps({"error": "could not read the office's services"}))
        return 1
    threads = [
        threading.Thread(target=bot.worker, args=(service,))
        for _ in range(max(1, min(args.workers, 32)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(bot.report(time.monotonic() - began), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
