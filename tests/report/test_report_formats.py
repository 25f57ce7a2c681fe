"""write_reports: every format side by side, and a run that failed before any verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xmlschema
from report_home import RunHome

from kassi_app.errors import BadInput
from kassi_app.report import FORMATS, render, write_reports

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit-10.xsd"))


def test_write_reports_writes_each_format_once(run_home: RunHome, tmp_path: Path) -> None:
    paths = write_reports(run_home.record, ["junit", "markdown", "junit", "json"], tmp_path / "r")
    assert [p.name for p in paths] == ["report.junit.xml", "report.md", "report.json"]
    assert json.loads(paths[2].read_text(encoding="utf-8")) == run_home.record
    assert SCHEMA.is_valid(paths[0].read_text(encoding="utf-8"))


def test_unknown_format_is_bad_input(run_home: RunHome, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="unknown report format 'pdf'"):
        write_reports(run_home.record, ["html", "pdf"], tmp_path / "r")
    assert not (tmp_path / "r").exists()  # refused before anything was written


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_that_failed_before_a_verdict_renders_with_its_failure(tmp_path: Path, fmt: str) -> None:
    record = {
        "run_id": "20261129T000000Z-abcdef",
        "mode": "ab",
        "verdict": None,
        "failure": "the proxy recorded no requests: the load never reached the service",
        "ledger": {"path": str(tmp_path / "gone" / "ledger.jsonl"), "head": "", "entries": 0, "sealed": False},
    }
    text = render(record, fmt)
    if fmt == "junit":
        assert SCHEMA.is_valid(text)
    assert "the load never reached the service" in text
