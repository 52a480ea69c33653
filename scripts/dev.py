#!/usr/bin/env python3
"""Everyday commands; needs only Python 3.11 (the rest is installed into .venv).

    python3 scripts/dev.py run        # set up, migrate, load the demo office, serve on :5000
    python3 scripts/dev.py test [ARGS] # set up (incl. npm tools) and run pytest [ARGS]
    python3 scripts/dev.py setup      # only set up: .venv, package with test extras, npm, catalogs
    python3 scripts/dev.py i18n       # extract, update and compile the translation catalogs
    python3 scripts/dev.py i18n-check # fail if a catalog is stale, untranslated or fuzzy

Environment: TERMINVERGABE_TEST_DATABASE_URL runs the tests on PostgreSQL instead of SQLite;
TEST_WORKERS sets how many processes run the tests side by side (pytest-xdist, default `auto`:
one per core; 0 runs them in this process); HOST and PORT change where `run` serves (default
127.0.0.1:5000).
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
NO_TESTS_RAN = 5  # pytest's exit code when it collected nothing


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def sh(*args, **kwargs) -> None:
    subprocess.run([str(arg) for arg in args], cwd=ROOT, check=True, **kwargs)


def ensure_venv() -> None:
    if not PYTHON.exists():
        say(f"creating {VENV.relative_to(ROOT)}")
        sh(sys.executable, "-m", "venv", VENV)


def ensure_package(extras: str) -> None:
    """pip install -e, skipped while pyproject.toml is unchanged since the last install."""
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    stamp = VENV / f".installed{extras}"
    digest = hashlib.sha256(pyproject).hexdigest()
    # The test extras include everything the app itself needs.
    for done in {stamp, VENV / ".installed[test]"}:
        if done.exists() and done.read_text() == digest:
            return
    say(f"installing terminvergabe{extras} into .venv")
    sh(PYTHON, "-m", "pip", "install", "-qq", "--disable-pip-version-check", "-e", f".{extras}")
    stamp.write_text(digest)


def ensure_npm_tools() -> None:
    """axe-core and the Nu Html Checker (vnu-jar) for the page tests, from package.json."""
    if not (ROOT / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm not found: the accessibility and HTML checks will be skipped (install Node.js)")
        return
    manifest = (ROOT / "package.json").read_bytes()
    stamp = ROOT / "node_modules" / ".installed"
    digest = hashlib.sha256(manifest).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing npm tools (package.json)")
    lock = (ROOT / "package-lock.json").exists()
    quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
    sh(npm, "ci" if lock else "install", *quiet, *([] if lock else ["--no-save"]))
    stamp.write_text(digest)


def compile_catalogs() -> None:
    """Compile the catalogs, unless each is compiled and unchanged since: a test run beside
    another one (CI runs SQLite and PostgreSQL at once) does not rewrite files the other reads."""
    catalogs = list((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
    compiled = [po.with_suffix(".mo") for po in catalogs]
    if all(
        mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
        for po, mo in zip(catalogs, compiled, strict=True)
    ):
        return
    sh(PYTHON, ROOT / "scripts" / "i18n.py", "compile")


def flask(*args) -> None:
    sh(BIN / "flask", "--app", "terminvergabe", *args)


def setup(extras: str = "[test]") -> None:
    ensure_venv()
    ensure_package(extras)
    if extras == "[test]":
        ensure_npm_tools()
    compile_catalogs()


def run(_args) -> int:
    setup(extras="")
    say("migrating the database (flask db upgrade)")
    flask("db", "upgrade")
    say("loading the demo office (flask demo)")
    flask("demo")
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    say(f"serving on http://{host}:{port}/ (Ctrl+C stops)")
    command = [str(BIN / "flask"), "--app", "terminvergabe", "run", "--host", host, "--port", port]
    os.chdir(ROOT)
    # The development server runs the scheduled jobs itself (mail, reminders, expiry).
    os.environ.setdefault("TERMINVERGABE_SCHEDULER_ENABLED", "true")
    os.execv(command[0], command)
    return 0  # not reached


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist's options, unless the arguments choose for themselves. Tests of one
    xdist_group (the concurrency tests) run on one worker (--dist loadgroup)."""
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) for a in args)
    if chosen or "no:xdist" in args:
        return []
    return ["-n", os.environ.get("TEST_WORKERS", "auto"), "--dist", "loadgroup"]


def test(args) -> int:
    setup()
    database = os.environ.get("TERMINVERGABE_TEST_DATABASE_URL") or "SQLite (temporary file)"
    say(f"running the tests on {database}")
    command = [str(PYTHON), "-m", "pytest", *parallel(args), *args]
    code = subprocess.run(command, cwd=ROOT).returncode
    if code == NO_TESTS_RAN:
        say("no tests ran: that counts as a failure")
        return 1
    return code


def i18n(_args) -> int:
    setup(extras="")
    sh(PYTHON, ROOT / "scripts" / "i18n.py", "all")
    return 0


def i18n_check(_args) -> int:
    setup(extras="")
    return subprocess.run([str(PYTHON), ROOT / "scripts" / "i18n.py", "check"], cwd=ROOT).returncode


def setup_command(_args) -> int:
    setup()
    return 0


COMMANDS = {
    "run": run,
    "test": test,
    "setup": setup_command,
    "i18n": i18n,
    "i18n-check": i18n_check,
}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    try:
        return COMMANDS[argv[1]](argv[2:])
    except subprocess.CalledProcessError as error:
        say(f"failed: {' '.join(map(str, error.cmd))} (exit {error.returncode})")
        return error.returncode or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
