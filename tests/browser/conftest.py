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

On SQLite every transaction holds the one write lock (BEGIN IMMEDIATE, see terminvergabe/db.py):
end the test's own transaction (`db.session.commit()` or `db.session.rollback()`) before the
browser asks the server for a page, or the server waits for it.

Missing tools (Chromium, node_modules from `npm install`, Java) skip these tests, unless the
environment sets REQUIRE_BROWSER=1 (CI): then they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
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
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(tags)
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
    """Validate several documents in one run of the Nu Html Checker (one Java start instead of
    one per page); assert 0 errors in all of them. Keys name the documents in the report."""
    if not VNU_JAR.exists():
        missing("the Nu Html Checker (node_modules/vnu-jar)")
    java = shutil.which("java")
    if java is None:
        missing("Java")
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for number, (name, html) in enumerate(documents.items()):
            path = Path(tmp) / f"{number:03d}.html"
            path.write_text(html, encoding="utf-8")
            files[path.name] = name
        result = subprocess.run(  # noqa: S603 (fixed command on our own pages)
            [
                java,
                "-jar",
                str(VNU_JAR),
                "--errors-only",
                "--format",
                "json",
                *map(str, sorted(Path(tmp).iterdir())),
            ],
            capture_output=True,
            timeout=300,
            check=False,
        )
    messages = json.loads(result.stderr or b'{"messages": []}').get("messages", [])
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    report = "\n".join(
        f"  {_document_name(files, m)} line {m.get('lastLine')}: {m.get('message')}"
        f"  [{(m.get('extract') or '')[:160]}]"
        for m in errors
    )
    if errors:
        print(f"Nu Html Checker:\n{report}")
    assert not errors, f"Nu Html Checker found errors:\n{report}"


def _document_name(files: dict[str, str], message: dict) -> str:
    url = message.get("url") or ""
    return files.get(url.rsplit("/", 1)[-1], url)


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
