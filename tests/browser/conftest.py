"""Fixtures for browser tests: the app served over HTTP, headless Chromium through Playwright,
and the two checkers every page must pass (axe-core, the Nu Html Checker).

Use them from any package's browser tests (they live in tests/browser/, so put your test
modules there, or import the helpers from `tests.browser.conftest` elsewhere):

    import pytest
    from tests.browser.conftest import check_axe, check_html, screenshot

    @pytest.mark.browser
    def test_my_screen(live_server, page, office):
        page.goto(live_server.url("/some/path"))
        check_page(page, "my-screen")   # both checks below, in the right order
        check_html(page.content())      # 0 errors of the Nu Html Checker (before axe: axe
        check_axe(page)                 #   injects its script into the page) + 0 violations
        screenshot(page, "my-screen")   # test-artifacts/my-screen.png

`live_server` serves the session app (tests/conftest.py) from a thread on 127.0.0.1 with a free
port; the clock is the frozen NOW of `app_ctx`. `page` and `browser` are pytest-playwright's,
launched with Debian's /usr/bin/chromium (never `playwright install`). For a browser context
with JavaScript switched off: `browser.new_context(java_script_enabled=False)`.

The Nu Html Checker runs as a local web service, started by the first check of a test process
(each pytest-xdist worker has its own) and stopped when the process ends; checking a page then
costs milliseconds instead of a Java start.

On SQLite every transaction holds the one write lock (BEGIN IMMEDIATE, see terminvergabe/db.py):
end the test's own transaction (`db.session.commit()` or `db.session.rollback()`) before the
browser asks the server for a page, or the server waits for it.

Missing tools (Chromium, node_modules from `npm install`, Java) skip these tests, unless the
environment sets REQUIRE_BROWSER=1 (CI): then they fail.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = ROOT / "test-artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]


def missing(what: str) -> None:
    """Skip the test for lack of a tool; fail instead when REQUIRE_BROWSER=1."""
    message = f"{what} is not available (see shared testing notes; run `npm install`)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message + " and REQUIRE_BROWSER=1 is set")
    pytest.skip(message)


# -- the app over HTTP -----------------------------------------------------------------------


@dataclass
class LiveServer:
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def _live_server_thread(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer("127.0.0.1", server.server_port)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def live_server(_live_server_thread, app_ctx) -> LiveServer:
    """The app on http://127.0.0.1:<free port>, with the frozen clock and emptied tables of
    `app_ctx` (both apply to the server thread, which reads the same app config)."""
    return _live_server_thread


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright launches Chromium with these (Debian's binary, headless)."""
    if not Path(CHROMIUM).exists():
        missing("Chromium at /usr/bin/chromium")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-base-url's fixture (it warns under pytest 9, and tests here navigate
    to live_server.url(...))."""
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


# -- checks ----------------------------------------------------------------------------------


def format_axe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation.get('impact')}] {violation['id']}: {violation['help']}"
            f" ({violation.get('helpUrl', '')})"
        )
        for node in violation.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " | ")
            lines.append(f"    at {target}: {summary}")
            lines.append(f"       {node.get('html', '')[:200]}")
    return "\n".join(lines)


def check_axe(page, tags=AXE_TAGS) -> None:
    """Run axe-core on the page (JavaScript must be on in its context); assert 0 violations."""
    if not AXE_JS.exists():
        missing("axe-core (node_modules/axe-core)")
    # Evaluated by the browser's DevTools, not as a <script> tag: the app's Content-Security-Policy
    # rightly refuses inline scripts, and the pages are tested under it.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    # resultTypes: violations in full, the other kinds (passes, ...) not worked out in detail,
    # which more than halves the time axe takes on a page.
    result = page.evaluate(
        "tags => axe.run(document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        list(tags),
    )
    violations = result["violations"]
    report = format_axe_violations(violations)
    if violations:
        print(f"axe-core on {page.url}:\n{report}")
    assert not violations, f"axe-core found violations on {page.url}:\n{report}"


def check_html(html: str, name: str = "page") -> None:
    """Validate one document with the Nu Html Checker; assert 0 errors."""
    check_html_documents({name: html})


def check_html_documents(documents: dict[str, str]) -> None:
    """Validate several documents with the Nu Html Checker; assert 0 errors in all of them.
    Keys name the documents in the report."""
    checker = _nu_checker()
    errors = [
        (name, message)
        for name, html in documents.items()
        for message in checker.messages(html)
        if message.get("type") in ("error", "non-document-error")
    ]
    report = "\n".join(
        f"  {name} line {m.get('lastLine')}: {m.get('message')}  [{(m.get('extract') or '')[:160]}]"
        for name, m in errors
    )
    if errors:
        print(f"Nu Html Checker:\n{report}")
    assert not errors, f"Nu Html Checker found errors:\n{report}"


class NuChecker:
    """The Nu Html Checker as a web service on 127.0.0.1, started once per test process: a
    Java start costs seconds of CPU, checking one more document a few milliseconds."""

    def __init__(self, java: str):
        self.port = _free_port()
        # `timeout`: a test process that is killed cannot stop it, so it stops by itself.
        bounded = [timeout, "3600"] if (timeout := shutil.which("timeout")) else []
        self.process = subprocess.Popen(  # noqa: S603 (fixed command: the checker's own server)
            [
                *bounded,
                java,
                "-Xss8m",  # its schema compiler recurses deeply
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(VNU_JAR),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + 180
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the Nu Html Checker did not start")
            time.sleep(0.3)

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5).close()  # noqa: S310
        except OSError:
            return False
        return True

    def messages(self, html: str) -> list[dict]:
        request = urllib.request.Request(  # noqa: S310 (our own server on 127.0.0.1)
            f"http://127.0.0.1:{self.port}/?out=json",
            data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return json.load(response).get("messages", [])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


_nu: list[NuChecker] = []


def _nu_checker() -> NuChecker:
    if not VNU_JAR.exists():
        missing("the Nu Html Checker (node_modules/vnu-jar)")
    java = shutil.which("java")
    if java is None:
        missing("Java")
    if not _nu:
        _nu.append(NuChecker(java))
    return _nu[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_page(page, name: str = "page") -> None:
    """Both checks on the page as it is shown now: HTML validity first (axe-core adds a script
    element to the document), then accessibility."""
    check_html(page.content(), f"{name} ({page.url})")
    check_axe(page)


# Words of the test offices' names, services, counters, devices (the kiosk "Eingang", named in
# the audit log), addresses and notes (typed in German). Text in a chart (an SVG with role=img)
# counts too: it is shown, and the browser reads its language, to pick fonts and to translate.
OFFICE_WORDS = (
    r"Bürgerbüro|Schalter \d|beantragen|Anmeldung einer|Markt 1|Köln|Stromausfall|Eingang"
)
_OFFICE_TEXT_WITHOUT_LANG = """words => {
  const typed = new RegExp(words);
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    const hidden = element.closest('script, style, [aria-hidden=true]');
    if (!typed.test(node.data) || hidden) {
      continue;
    }
    if (element.closest('[lang]').getAttribute('lang') !== 'de') {
      found.push(element.outerHTML.slice(0, 160));
    }
  }
  return found;
}"""


def office_text_without_lang(page) -> list[str]:
    """Elements showing text the office typed in German (the test data's) without lang="de"
    around it; on a page in another language that breaks WCAG 3.1.2 (language of parts)."""
    return page.evaluate(_OFFICE_TEXT_WITHOUT_LANG, OFFICE_WORDS)


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a PNG to test-artifacts/<name>.png (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
