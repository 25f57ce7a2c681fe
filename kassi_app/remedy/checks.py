"""Checks on a candidate fix, in a scratch worktree at head: it applies (``git apply --check``), every
file it leaves parses (per language, with the language's own tool), and the repo's own tests pass
when kassi.toml names them. Each check has a timeout and keeps (a capped tail of) its output.

The verify-fix load run is not here: it needs the workflow's A/B machinery."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kassi_app.errors import BadInput
from kassi_app.remedy.patch import Patch
from kassi_app.target.spec import SPEC_FILE, TargetSpec, substitute
from kassi_app.target.worktree import checkout

CheckStatus = Literal["passed", "failed", "skipped"]
MAX_OUTPUT_CHARS = 8_000
"""Tail of a check's output kept in the record: enough for a traceback, not a whole test log."""
TOOL_TIMEOUT_S = 30.0
TEST_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class CheckResult:
    """One check: ``name`` (applies, parses:<file>, tests), its status, why, and its output's tail."""

    name: str
    status: CheckStatus
    reason: str
    output: str = ""
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "status": self.status, "reason": self.reason, "output": self.output,
                "duration_s": self.duration_s}


@dataclass
class FixChecks:
    """Every check run on one candidate fix; ``ok`` when none failed."""

    applies: CheckResult
    parses: list[CheckResult] = field(default_factory=list)
    tests: CheckResult | None = None

    @property
    def ok(self) -> bool:
        return not self.failures()

    def results(self) -> list[CheckResult]:
        return [self.applies, *self.parses, *([self.tests] if self.tests else [])]

    def failures(self) -> list[CheckResult]:
        return [c for c in self.results() if c.status == "failed"]

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "applies": self.applies.to_dict(), "parses": [c.to_dict() for c in self.parses],
                "tests": self.tests.to_dict() if self.tests else None}


def check_fix(repo: Path, head: str, patch: Patch, run_tests: bool = True,
              test_timeout_s: float = TEST_TIMEOUT_S) -> FixChecks:
    """Apply ``patch`` to a fresh worktree of ``head`` and check it; the worktree is always removed."""
    if patch.empty:
        return FixChecks(CheckResult("applies", "failed", "the fix is empty"))
    with checkout(repo, head) as tree:
        patch_file = tree.parent / "fix.patch"
        patch_file.write_text(patch.text, encoding="utf-8")
        applies = _run("applies", ["git", "apply", "--check", "--whitespace=nowarn", str(patch_file)], tree,
                       TOOL_TIMEOUT_S)
        if applies.status != "passed":
            return FixChecks(applies)
        applied = _run("applies", ["git", "apply", "--whitespace=nowarn", str(patch_file)], tree, TOOL_TIMEOUT_S)
        if applied.status != "passed":
            return FixChecks(applied)
        checks = FixChecks(CheckResult("applies", "passed", "git apply --check: the fix applies to head",
                                       applied.output, applies.duration_s + applied.duration_s))
        checks.parses = [parse_check(tree, name) for name in patch.files if (tree / name).is_file()]
        if run_tests:
            checks.tests = test_check(tree, test_timeout_s)
        return checks


def parse_check(tree: Path, name: str) -> CheckResult:
    """Does ``name`` (relative to ``tree``) parse? Python in-process with ``compile`` (never run);
    JavaScript with ``node --check``; Go with ``gofmt -l -e``; Java with ``javac`` (syntax-only
    flags, see ``_JAVAC``). Skipped, with the reason, for other files or a missing toolchain."""
    check = f"parses:{name}"
    suffix = Path(name).suffix
    if suffix == ".py":
        started = time.monotonic()
        try:
            compile((tree / name).read_bytes(), name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return CheckResult(check, "failed", f"Python does not compile it: {exc}", "",
                               round(time.monotonic() - started, 3))
        return CheckResult(check, "passed", "Python compile()", "", round(time.monotonic() - started, 3))
    tool = _TOOLS.get(suffix)
    if tool is None:
        return CheckResult(check, "skipped", f"no parser for {suffix or 'files without a suffix'}")
    program, argv = tool
    if shutil.which(program) is None:
        return CheckResult(check, "skipped", f"{program} is not installed: cannot check {suffix} files")
    with tempfile.TemporaryDirectory(prefix="kassi-parse-") as scratch:
        result = _run(check, argv(name, scratch), tree, TOOL_TIMEOUT_S)
    return result if result.status == "failed" else CheckResult(
        check, "passed", f"{program} accepts it", result.output, result.duration_s)


# javac on one file alone would also resolve its imports and fail on a missing classpath, which says
# nothing about the fix. Stopping right after parsing (javac's ``should-stop`` policy at PARSE, checked
# with javac 17+: a syntax error exits 1, an unknown import exits 0) keeps it to syntax, like the others.
_JAVAC = ["-proc:none", "-implicit:none", "-XDshould-stop.ifError=PARSE", "-XDshould-stop.ifNoError=PARSE"]
_TOOLS: dict[str, tuple[str, Callable[[str, str], list[str]]]] = {
    ".js": ("node", lambda name, _s: ["node", "--check", name]),
    ".mjs": ("node", lambda name, _s: ["node", "--check", name]),
    ".cjs": ("node", lambda name, _s: ["node", "--check", name]),
    ".go": ("gofmt", lambda name, _s: ["gofmt", "-l", "-e", name]),
    ".java": ("javac", lambda name, scratch: ["javac", *_JAVAC, "-d", scratch, name]),
}


def test_check(tree: Path, timeout_s: float = TEST_TIMEOUT_S) -> CheckResult:
    """The repo's own tests (``[remedy] test_command`` in kassi.toml at the fixed tree), run in it."""
    try:
        spec = TargetSpec.load(tree / SPEC_FILE)
    except BadInput as exc:
        return CheckResult("tests", "skipped", f"no usable {SPEC_FILE}: {exc}")
    if spec.test_command is None:
        return CheckResult("tests", "skipped", f"{SPEC_FILE} names no [remedy] test_command")
    values = {"python": sys.executable, "workdir": str(tree)}
    return _run("tests", [substitute(arg, values) for arg in spec.test_command], tree, timeout_s)


def _run(name: str, argv: Sequence[str], cwd: Path, timeout_s: float) -> CheckResult:
    """Run ``argv`` in its own process group (a timeout kills its children too), output to a file
    (a chatty test suite cannot fill a pipe), and keep the tail of that output."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as sink:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        except OSError as exc:
            return CheckResult(name, "failed", f"cannot start {argv[0]}: {exc}")
        try:
            code: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            code = None
            _kill_group(proc)
        sink.seek(0)
        output = _tail(sink.read().decode("utf-8", errors="replace"))
    took = round(time.monotonic() - started, 3)
    shown = " ".join(argv)
    if code is None:
        return CheckResult(name, "failed", f"{shown}: timed out after {timeout_s:g} s", output, took)
    if code != 0:
        return CheckResult(name, "failed", f"{shown}: exit {code}", output, took)
    return CheckResult(name, "passed", f"{shown}: exit 0", output, took)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return f"[... {len(text) - MAX_OUTPUT_CHARS} characters cut ...]\n" + text[-MAX_OUTPUT_CHARS:]
