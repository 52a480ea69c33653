"""schemathesis's own runner (`schemathesis run`) against a live server on 127.0.0.1 serving the
demo office, for a longer search than the test suite makes. Run by hand:

    .venv/bin/python tests/citizen/fuzz_api_live.py            # 100 examples per operation
    .venv/bin/python tests/citizen/fuzz_api_live.py -n 500     # longer

The server uses a throwaway SQLite database; the office slug in every request is the demo
office's, so requests get past the office look-up. Exit status: schemathesis's (0 = no failure).
A refusal of a schema-valid request (a taken time, an unknown service) is a correct answer, so
the check `positive_data_acceptance` is left out.
"""

import argparse
import logging
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from terminvergabe import create_app  # noqa: E402
from terminvergabe.booking import demo, demo_data  # noqa: E402
from terminvergabe.db import db  # noqa: E402
from terminvergabe.time import now  # noqa: E402


def serve(tmp: str):
    app = create_app(
        {"SECRET_KEY": "fuzz", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/fuzz.sqlite3"}
    )
    with app.app_context():
        db.create_all()
        demo.load_demo(now())
        db.session.commit()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request is noise here
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--max-examples", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = serve(tmp)
        config = Path(tmp) / "schemathesis.toml"
        config.write_text(f'[parameters]\n"path.slug" = "{demo_data.SLUG}"\n')
        url = f"http://127.0.0.1:{server.server_port}/api/v1/openapi.json"
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            url,
            "--max-examples",
            str(args.max_examples),
            "--exclude-checks",
            "positive_data_acceptance",
            "--generation-deterministic",
        ]
        try:
            # in the temporary folder, where schemathesis also leaves its cache
            return subprocess.call(command, cwd=tmp)  # noqa: S603  (our own tool, fixed arguments)
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
