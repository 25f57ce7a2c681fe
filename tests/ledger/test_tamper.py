"""`kassi verify` catches every kind of tampering and passes an untouched ledger."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from gov_toy import drive_to_end, new_governed_run
from typer.testing import CliRunner

from kassi_app.errors import BadInput
from kassi_app.faces.cli import app
from kassi_app.ledger.canonical import canonical_json
from kassi_app.ledger.chain import encode_entry
from kassi_app.workflow.governor import Governor
from kassi_app.workflow.runs import resolve_run

KASSI = str(Path(sys.executable).parent / "kassi")


def verify_json(run: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["verify", run, "--json"])
    return result.exit_code, json.loads(result.output)


def kinds(run: str) -> set[str]:
    code, out = verify_json(run)
    assert code == 1
    problems = out["problems"]
    assert isinstance(problems, list)
    return {p["kind"] for p in problems}


@pytest.fixture
def sealed(governor: Governor) -> Governor:
    drive_to_end(governor)
    return governor


def lines_of(gov: Governor) -> list[bytes]:
    return gov.ledger.path.read_bytes().splitlines(keepends=True)


def write(gov: Governor, lines: list[bytes]) -> None:
    gov.ledger.path.write_bytes(b"".join(lines))


def flip_byte(gov: Governor) -> None:
    data = bytearray(gov.ledger.path.read_bytes())
    at = data.index(b'"amount":2') + len(b'"amount":')
    data[at] ^= 0x01  # 2 -> 3
    gov.ledger.path.write_bytes(bytes(data))


def reorder(gov: Governor) -> None:
    lines = lines_of(gov)
    lines[2], lines[3] = lines[3], lines[2]
    write(gov, lines)


def delete_middle(gov: Governor) -> None:
    lines = lines_of(gov)
    del lines[2]
    write(gov, lines)


def delete_last(gov: Governor) -> None:
    write(gov, lines_of(gov)[:-1])


def insert_line(gov: Governor) -> None:
    lines = lines_of(gov)
    lines.insert(2, lines[1])
    write(gov, lines)


def rehash_edited_chain(gov: Governor) -> None:
    """An attacker without the key edits entry 1 and recomputes every hash and prev after it."""
    entries = [json.loads(line) for line in lines_of(gov)]
    entries[1]["inputs"]["amount"] = 0
    prev = entries[0]["hash"]
    out = [lines_of(gov)[0]]
    for entry in entries[1:]:
        entry.pop("hash")
        entry["prev"] = prev
        prev, line = encode_entry(entry)
        out.append(line.encode() + b"\n")
    write(gov, out)


def forge_seal(gov: Governor) -> None:
    seal = json.loads(gov.ledger.seal_path.read_text())
    seal["hmac"] = "0" * 64
    gov.ledger.seal_path.write_text(canonical_json(seal))


TAMPERS: dict[str, tuple[Callable[[Governor], None], set[str]]] = {
    "flip one byte": (flip_byte, {"hash_mismatch"}),
    "reorder two lines": (reorder, {"sequence", "chain_break"}),
    "delete a middle line": (delete_middle, {"sequence", "chain_break", "truncated"}),
    "delete the last line": (delete_last, {"truncated"}),
    "insert a line": (insert_line, {"sequence", "chain_break", "extended"}),
    "re-hash an edited chain without the key": (rehash_edited_chain, {"head_mismatch"}),
    "forge the seal": (forge_seal, {"bad_seal"}),
}


def test_untouched_ledger_verifies(sealed: Governor) -> None:
    code, out = verify_json(sealed.run_id)
    assert code == 0 and out["ok"] is True and out["problems"] == []


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampering_is_caught(sealed: Governor, name: str) -> None:
    tamper, expected = TAMPERS[name]
    tamper(sealed)
    assert expected <= kinds(sealed.run_id)


def test_ledger_copied_from_another_run(sealed: Governor) -> None:
    other = new_governed_run()
    drive_to_end(other)
    shutil.copy(other.ledger.path, sealed.ledger.path)
    assert {"wrong_run", "chain_break", "head_mismatch"} <= kinds(sealed.run_id)
    shutil.copy(other.ledger.seal_path, sealed.ledger.seal_path)  # the seal too: still the wrong run
    assert "wrong_run" in kinds(str(sealed.ledger.path))


def test_unsealed_and_foreign_key_are_problems(governor: Governor, monkeypatch: pytest.MonkeyPatch) -> None:
    governor.step("begin", {})
    assert kinds(governor.run_id) == {"unsealed"}
    governor.seal()
    monkeypatch.setenv("KASSI_SEAL_KEY", "some-other-key")
    assert kinds(governor.run_id) == {"bad_seal"}


def test_console_script_reports_tampering(sealed: Governor, home: Path) -> None:
    delete_last(sealed)
    env = {**os.environ, "KASSI_HOME": str(home), "COLUMNS": "200"}
    bad = subprocess.run([KASSI, "verify", sealed.run_id], capture_output=True, text=True, timeout=60, env=env)
    assert bad.returncode == 1, bad.stderr
    assert bad.stdout.splitlines() == [
        f"FAILED: 1 problem(s) in the ledger of run {sealed.run_id}",
        "  ledger: [truncated] seal covers 6 entries, ledger has 5",
    ]


def test_unknown_run_is_bad_input(home: Path) -> None:
    with pytest.raises(BadInput, match="no run or ledger file 'no-such-run'"):
        resolve_run("no-such-run")
