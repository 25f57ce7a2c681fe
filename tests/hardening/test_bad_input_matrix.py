"""The bad-input matrix through the real `kassi` CLI: each case exits 2 with one line on stderr,
no traceback, and nothing started (a target would leave a marker file; none may appear)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git_repo
from kassi_cli import Kassi

APP = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text('started')\n"


def _repo(tmp_path: Path, toml: str | bytes) -> Path:
    """base: an app that marks it started; head: the same with ``toml`` as its kassi.toml."""
    ok = '[target]\nstart = "{python} app.py MARK"\n'.replace("MARK", str(tmp_path / "started"))
    head = toml.replace(b"MARK", str(tmp_path / "started").encode()) if isinstance(toml, bytes) else \
        toml.replace("MARK", str(tmp_path / "started"))
    return git_repo(tmp_path / "repo", [{"app.py": APP, "kassi.toml": ok},
                                        {"app.py": APP + "# changed\n", "kassi.toml": head}])


TOML_CASES = {
    "unclosed quote": '[target]\nstart = "{python} app.py \'MARK"\n',
    "byte-order mark": '\ufeff[target]\nstart = "{python} app.py MARK"\n'.encode(),
    "deep nesting": '[target]\nstart = "{python} app.py MARK"\n[judge]\nx = ' + "[" * 5000 + "]" * 5000 + "\n",
    "infinite ready timeout": '[target]\nstart = "{python} app.py MARK"\nready_timeout_s = inf\n',
    "nan ready timeout": '[target]\nstart = "{python} app.py MARK"\nready_timeout_s = nan\n',
    "infinite load duration": '[target]\nstart = "{python} app.py MARK"\n[load]\nlow_duration_s = inf\n',
}
EXPECTED = {
    "unclosed quote": "No closing quotation",
    "byte-order mark": "byte-order mark",
    "deep nesting": "nested too deeply",
    "infinite ready timeout": "ready_timeout_s: must be a finite number",
    "nan ready timeout": "ready_timeout_s: must be a finite number",
    "infinite load duration": "load.low_duration_s: Input should be a finite number",
}


def _refused(out: object, expected: str) -> None:
    code, stderr = out.returncode, out.stderr  # type: ignore[attr-defined]
    assert code == 2, (code, stderr, out.stdout)  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and "Traceback" not in out.stdout  # type: ignore[attr-defined]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert expected in lines[0], lines[0]
    assert "(exit 3)" not in out.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", sorted(TOML_CASES))
def test_bad_kassi_toml_is_refused_before_anything_starts(kassi: Kassi, tmp_path: Path, case: str) -> None:
    repo = _repo(tmp_path, TOML_CASES[case])
    out = kassi("run", "--repo", str(repo), timeout=120)
    _refused(out, EXPECTED[case])
    assert "(exit 2)" in out.stdout  # the analysis names the real exit code
    assert not (tmp_path / "started").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--endpoint", 'G"ET /x'), "not an HTTP method"),
        (("--endpoint", "GET @169.254.169.254/latest"), "single '/'"),
        (("--endpoint", "GET //169.254.169.254/latest"), "single '/'"),
        (("--endpoint", "GET /a/../../admin"), "'..' segment"),
        (("--endpoint", "GET /x", "--low-duration", "inf"), "load.low_duration_s: Input should be a finite number"),
        (("--endpoint", "GET /x", "--high-duration", "nan"), "load.high_duration_s: Input should be a finite number"),
        (("--endpoint", "GET /x", "--openapi", "/dev/zero"), "larger than 16 MiB"),
        (("--endpoint", "GET /x", "--model", "gpt-4o"), "expected BACKEND:MODEL"),
        (("--endpoint", "GET /x", "--model-endpoint", "http://127.0.0.1:9"), "--model-endpoint needs --model"),
    ],
)
def test_bad_live_input_is_refused(kassi: Kassi, args: tuple[str, ...], expected: str) -> None:
    # Port 9 (discard) on loopback: a refused input must fail before any connection is tried.
    _refused(kassi("run", "--url", "http://127.0.0.1:9", *args, timeout=60), expected)


def test_huge_spec_is_refused(kassi: Kassi, tmp_path: Path) -> None:
    spec = tmp_path / "huge.json"
    with spec.open("wb") as fh:
        fh.truncate(17 * 1024 * 1024)  # sparse: 17 MiB of NUL bytes, written in no time
    out = kassi("run", "--url", "http://127.0.0.1:9", "--endpoint", "GET /x", "--openapi", str(spec), timeout=60)
    _refused(out, "larger than 16 MiB")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://127.0.0.1:9", "https targets are not supported"),
        ("http://127.0.0.1:9/api", "path prefix"),
        ("http://127.0.0.1:9/?q=1", "path prefix, query or fragment"),
    ],
)
def test_base_urls_kassi_cannot_honour_are_refused(kassi: Kassi, url: str, expected: str) -> None:
    _refused(kassi("run", "--url", url, "--endpoint", "GET /x", timeout=60), expected)


def test_verify_of_a_folder_that_is_no_run(kassi: Kassi) -> None:
    _refused(kassi("verify", ".", timeout=60), "no run or ledger file '.'")


def test_runs_show_of_a_run_with_a_broken_seal(kassi: Kassi) -> None:
    first = kassi("run", "--url", "http://127.0.0.1:9", "--endpoint", 'G"ET /x', timeout=60)
    assert first.returncode == 2
    (run_dir,) = (kassi.home / "runs").iterdir()
    seal = run_dir / "seal.json"
    assert seal.exists()
    seal.write_text('{"run_id": "x", "count": "many"}')
    _refused(kassi("runs", "show", run_dir.name, timeout=60), "seal")
