"""How long the proof-of-work takes a citizen's browser: headless Chromium (Debian's) solves
--rounds challenges from a running app on 127.0.0.1 with the app's own configuration, the way
the booking pages do (static/altcha/pow.js), and prints the times.

    python bench/pow_browser.py --base http://127.0.0.1:5000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.parse

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>pow</title></head>'
    '<body><form><input type="hidden" name="altcha" value=""></form>'
    '<script type="module" src="/static/altcha/pow.js"'
    ' data-altcha-challenge="/altcha/challenge"></script></body></html>'
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if urllib.parse.urlsplit(args.base).hostname not in {"127.0.0.1", "localhost"}:
        parser.error("only this machine")
    seconds = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page()
        url = args.base.rstrip("/") + "/pow-check"
        page.route(url, lambda route: route.fulfill(content_type="text/html", body=PAGE))
        for _ in range(max(1, min(args.rounds, 50))):
            began = time.monotonic()
            page.goto(url)
            page.wait_for_function(
                "() => document.querySelector('input[name=altcha]').value.length > 20",
                timeout=120_000,
            )
            seconds.append(time.monotonic() - began)
        browser.close()
    print(
        json.dumps(
            {
                "rounds": len(seconds),
                "median_seconds": round(statistics.median(seconds), 2),
                "max_seconds": round(max(seconds), 2),
                "all": [round(s, 2) for s in seconds],
            }
        )
    )


if __name__ == "__main__":
    main()
