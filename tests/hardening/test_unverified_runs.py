"""`kassi runs show`, `kassi report` and `kassi runs ls` trust a sealed run only when it verifies with
the seal key: an edited ledger entry, a forged seal or an edited run.json is refused (exit 2, one
line) and marked in the list, its verdict not shown. A real run through the real CLI, tampered on disk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from kassi_cli import Kassi
from typer.testing import CliRunner

from kassi_app.faces.cli import app
from kassi_app.ledger.seal import seal_mac


def _edit_an_entry(run_dir: Path) -> None:
    ledger = run_dir / "ledger.jsonl"
    text = ledger.read_text()
    assert text.count('"verdict_class":"INCONCLUSIVE"') >= 1
    ledger.write_text(text.replace('"verdict_class":"INCONCLUSIVE"', '"verdict_class":"HEALTHY"', 1))


def _forge_the_seal(run_dir: Path) -> None:
    """A well-formed seal over the true head and count, signed with another key."""
    path = run_dir / "seal.json"
    seal = json.loads(path.read_text())
    seal["hmac"] = seal_mac(b"not-the-key", seal["run_id"], seal["head"], seal["count"])
    path.write_text(json.dumps(seal))


def _edit_the_verdict(run_dir: Path) -> None:
    path = run_dir / "run.json"
    record = json.loads(path.read_text())
    record["verdict"]["class"] = "HEALTHY"
    path.write_text(json.dumps(record))


TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "an edited ledger entry": (_edit_an_entry, "[hash_mismatch]"),
    "a seal signed with another key": (_forge_the_seal, "[bad_seal]"),
    "an edited run.json": (_edit_the_verdict, "[file_edited]"),
}


@pytest.fixture(scope="module")
def sealed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kassi home with one real run that ended at once (bad input): sealed, with its run.json and
    the home's seal key. Each test tampers with a copy."""
    kassi = Kassi(tmp_path_factory.mktemp("sealed") / "home")
    out = kassi("run", "--url", "http://127.0.0.1:9", "--endpoint", 'G"ET /x', timeout=60)
    assert out.returncode == 2, out.stderr
    return kassi.home


@pytest.fixture
def home(sealed_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kassi:
    shutil.copytree(sealed_home, tmp_path / "home")
    monkeypatch.setenv("KASSI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KASSI_SEAL_KEY", raising=False)
    return Kassi(tmp_path / "home")


def _listed() -> tuple[dict[str, object], str]:
    """`kassi runs ls --json`'s one run and the table `kassi runs ls` prints (in process)."""
    runner = CliRunner()
    (listed,) = json.loads(runner.invoke(app, ["runs", "ls", "--json"]).output)
    return listed, runner.invoke(app, ["runs", "ls"], env={"COLUMNS": "200"}).output


def test_an_untouched_run_is_shown_and_listed_as_intact(home: Kassi) -> None:
    (run_dir,) = (home.home / "runs").iterdir()
    shown = home("runs", "show", run_dir.name, "--json", timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["run"]["verdict"]["class"] == "INCONCLUSIVE"
    listed, table = _listed()
    assert (listed["sealed"], listed["intact"], listed["verdict"]) == (True, True, "INCONCLUSIVE")
    assert "INCONCLUSIVE" in table and "BROKEN" not in table


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_a_run_that_does_not_verify_is_refused_and_marked(home: Kassi, case: str) -> None:
    tamper, kind = TAMPERING[case]
    (run_dir,) = (home.home / "runs").iterdir()
    tamper(run_dir)
    for args in (("runs", "show", run_dir.name), ("runs", "show", str(run_dir), "--json"),
                 ("report", run_dir.name, "--format", "json")):
        out = home(*args, timeout=60)
        assert out.returncode == 2, (args, out.returncode, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr and out.stdout == ""
        (line,) = out.stderr.strip().splitlines()
        assert f"run {run_dir.name} does not verify, not shown: {kind}" in line, line
    listed, table = _listed()
    assert (listed["sealed"], listed["intact"], listed["verdict"]) == (True, False, None)
    assert "BROKEN" in table and "HEALTHY" not in table and "INCONCLUSIVE" not in table
