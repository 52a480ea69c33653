"""gunicorn.conf.py: what the master does before the first worker starts."""

import os
import runpy
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def conf(monkeypatch):
    monkeypatch.setattr(os, "environ", dict(os.environ))  # the file writes to the environment
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_master_tells_the_app_its_worker_count(conf):
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    conf["on_starting"](types.SimpleNamespace(cfg=types.SimpleNamespace(workers=6)))
    assert os.environ["TERMINVERGABE_WORKERS"] == "6"


def test_master_empties_the_metrics_folder_of_a_crashed_run(conf, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_4711.db").write_bytes(b"old counts")
    (folder / "gauge_livesum_4712.db").write_bytes(b"old counts")
    (folder / "notes.txt").write_text("not ours")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    conf["on_starting"](types.SimpleNamespace(cfg=types.SimpleNamespace(workers=2)))
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_master_creates_a_missing_metrics_folder(conf, tmp_path):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "new")
    conf["on_starting"](types.SimpleNamespace(cfg=types.SimpleNamespace(workers=2)))
    assert (tmp_path / "new").is_dir()
