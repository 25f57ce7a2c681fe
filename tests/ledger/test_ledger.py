"""Ledger pieces: redaction, the seal key, resuming a ledger, and the runs/bench commands."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from gov_toy import drive_to_end
from typer.testing import CliRunner

from kassi_app.errors import InfrastructureError
from kassi_app.faces.cli import app
from kassi_app.ledger.chain import Ledger
from kassi_app.ledger.seal import seal_key
from kassi_app.ledger.verify import verify_ledger
from kassi_app.redact import redact
from kassi_app.workflow.governor import Governor


def test_redact_masks_secret_keys_and_credential_values() -> None:
    raw = {
        "Authorization": "Splunk abc",
        "hec_token": "t",
        "X-Api-Key": "k",
        "password": None,
        "nested": [{"session_key": "s", "note": "sent Bearer eyJhbGciOi.payload.sig to https://u:pw@h/x"}],
        "max_tokens": 10,
        "header": "Splunk 0123456789abcdef",
    }
    assert redact(raw) == {
        "Authorization": "***",
        "hec_token": "***",
        "X-Api-Key": "***",
        "password": None,
        "nested": [{"session_key": "***", "note": "sent Bearer *** to https://***@h/x"}],
        "max_tokens": 10,
        "header": "Splunk ***",
    }


def test_seal_key_is_created_private_once(home: Path) -> None:
    assert seal_key(create=False) is None
    key = seal_key()
    path = home / "seal.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key == seal_key() and key is not None and len(key) == 64


def test_seal_key_from_env_and_refuses_open_key_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seal_key()
    (home / "seal.key").chmod(0o644)
    with pytest.raises(InfrastructureError, match="readable by others"):
        seal_key()
    monkeypatch.setenv("KASSI_SEAL_KEY", "from-env")
    assert seal_key() == b"from-env"


def test_reopened_ledger_continues_the_chain(tmp_path: Path) -> None:
    def add(ledger: Ledger, n: int) -> None:
        ledger.append(kind="step", action="a", card="The Fool", inputs={"n": n}, outcome={}, state_digest="d")

    first = Ledger.open(tmp_path / "r", "r")
    add(first, 0)
    first.close()
    again = Ledger.open(tmp_path / "r", "r")
    assert (again.count, again.head) == (first.count, first.head)
    add(again, 1)
    again.seal(b"key")
    assert verify_ledger(again.path, b"key", "r") == []
    with pytest.raises(InfrastructureError, match="sealed"):
        add(again, 2)


def test_runs_ls_and_show(governor: Governor) -> None:
    drive_to_end(governor)  # the toy workflow writes no run.json (a real run's is sealed: tests/hardening)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["runs", "ls", "--json"]).output)
    assert listed[0]["run_id"] == governor.run_id and listed[0]["entries"] == 6
    assert listed[0]["sealed"] is True and listed[0]["intact"] is True and listed[0]["verdict"] is None
    shown = json.loads(runner.invoke(app, ["runs", "show", governor.run_id, "--json"]).output)
    assert shown["seal"]["count"] == 6 and shown["run"] == {}
    assert [e["card"] for e in shown["entries"]][:2] == ["The Fool", "The Magician"]
    table = runner.invoke(app, ["runs", "show", governor.run_id], env={"COLUMNS": "200"}).output
    assert "The Magician" in table and "sealed: 6 entries" in table


def test_bench_ledger_prints_figures() -> None:
    out = CliRunner().invoke(app, ["bench", "ledger", "--entries", "2000"])
    assert out.exit_code == 0, out.output  # exit 1 would mean verify found problems in its fresh chain
    figures = re.search(r"entries:\s+2000 \((\d+) bytes each\)\nappend:\s+([\d,]+) entries/s\n"
                        r"verify:\s+([\d,]+) entries/s best of 3, ([\d,]+) median", out.output)
    assert figures, out.output
    size, append, best, median = (int(g.replace(",", "")) for g in figures.groups())
    assert size > 100  # a real step entry: inputs, outcome, hashes
    assert append > 0 and best >= median > 0
