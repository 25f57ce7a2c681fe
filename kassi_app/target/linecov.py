"""Did the changed lines themselves run? Optional (``[load] line_coverage``), Python targets only.

The head target is started with kassi's bootstrap (``linecov_boot/sitecustomize.py``) first on its
``PYTHONPATH``; it records which of the diff's executable added lines execute, on the target's own
interpreter (``sys.monitoring`` on 3.12+, ``coverage`` before that if importable). kassi drives one
warm-up block at head, asks for the lines (a ``request`` file in the run folder) and the bootstrap
writes them and stops measuring, so the measured blocks pay nothing. A 2xx answer says the route's
handler ran; this says whether the lines the change touched did.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

from kassi_app.change.model import Hunk

BOOT_DIR = Path(__file__).with_name("linecov_boot")
ANSWER_TIMEOUT_S = 3.0
"""How long the bootstrap may take to answer (it polls every 0.1 s)."""
_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
NOT_LOADED = ("not measured: the head target never loaded kassi's bootstrap (not a Python process, "
              "or started with -S/-I, or its PYTHONPATH replaced)")


@dataclass(frozen=True)
class HunkLines:
    """A hunk of a Python file and its added lines that can execute (no blank, comment or docstring line)."""

    file: str
    start: int
    end: int
    lines: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"{self.file}:{self.start}-{self.end}"


def added_lines(hunk: Hunk) -> list[int]:
    """New-side numbers of the lines ``hunk`` adds (``+`` lines of its unified-diff text)."""
    out: list[int] = []
    number = hunk.start
    for line in hunk.text.splitlines():
        header = _HUNK_HEADER.match(line)
        if header:
            number = int(header.group(1))
        elif line.startswith("+"):
            out.append(number)
            number += 1
        elif line.startswith(" "):
            number += 1
    return out


def _code_lines(code: CodeType) -> Iterator[int]:
    for _, _, line in code.co_lines():
        if line is not None:
            yield line
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_lines(const)


def executable_lines(source: str, filename: str) -> set[int]:
    """Lines of ``source`` that compile to an instruction (what a line tracer can report)."""
    try:
        return set(_code_lines(compile(source, filename, "exec", dont_inherit=True)))
    except (SyntaxError, ValueError):
        return set()


def changed_python_lines(hunks: Sequence[Hunk], workdir: Path) -> list[HunkLines]:
    """Per hunk of a ``.py`` file, the added lines that can execute in the head checkout ``workdir``."""
    sources: dict[str, set[int]] = {}
    out: list[HunkLines] = []
    for hunk in hunks:
        if not hunk.file.endswith(".py"):
            continue
        if hunk.file not in sources:
            path = workdir / hunk.file
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
            sources[hunk.file] = executable_lines(text, str(path))
        lines = tuple(n for n in added_lines(hunk) if n in sources[hunk.file])
        if lines:
            out.append(HunkLines(hunk.file, hunk.start, hunk.end, lines))
    return out


class LineCoverage:
    """One head target's changed-lines measurement: the environment to start it with, then the answer."""

    def __init__(self, folder: Path, workdir: Path, hunks: Sequence[HunkLines]) -> None:
        self.folder = folder
        self.hunks = list(hunks)
        self._root = Path(os.path.realpath(workdir))
        folder.mkdir(parents=True, exist_ok=True)
        wanted: dict[str, set[int]] = {}
        for h in self.hunks:
            wanted.setdefault(str(self._root / h.file), set()).update(h.lines)
        self._spec = folder / "spec.json"
        self._spec.write_text(json.dumps({"lines": {p: sorted(ls) for p, ls in wanted.items()}}), encoding="utf-8")

    def env(self, current: Mapping[str, str]) -> dict[str, str]:
        """What the head target's environment gets: the bootstrap first on ``PYTHONPATH``."""
        path = os.pathsep.join(p for p in (str(BOOT_DIR), current.get("PYTHONPATH", "")) if p)
        return {"PYTHONPATH": path, "KASSI_LINECOV_DIR": str(self.folder), "KASSI_LINECOV_SPEC": str(self._spec)}

    def collect(self, timeout_s: float = ANSWER_TIMEOUT_S) -> dict[str, Any]:
        """Ask every process that loaded the bootstrap for its lines and merge them: ``{"how": ...,
        "hunks": [{"hunk", "ran", "lines", "never_ran"}]}``; ``how`` says "not measured: <why>" when
        nothing could be measured."""
        (self.folder / "request").write_text("lines\n", encoding="utf-8")
        deadline = time.monotonic() + timeout_s
        answers = self._answers()
        while any(not a.get("done") for a in answers.values()) and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for another process's file: there is nothing to compute meanwhile
            answers = self._answers()
        hows = [str(a.get("how", "")) for a in answers.values()]
        how = next((h for h in hows if h and not h.startswith("not measured")), hows[0] if hows else NOT_LOADED)
        if how.startswith("not measured"):
            return {"how": how, "hunks": []}
        hit: dict[str, set[int]] = {}
        for answer in answers.values():
            for path, lines in (answer.get("hit") or {}).items():
                hit.setdefault(path, set()).update(int(n) for n in lines)
        hunks = []
        for h in self.hunks:
            ran = hit.get(str(self._root / h.file), set())
            never = [n for n in h.lines if n not in ran]
            hunks.append({"hunk": h.name, "ran": len(h.lines) - len(never), "lines": len(h.lines), "never_ran": never})
        return {"how": how, "hunks": hunks}

    def _answers(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for file in self.folder.glob("[0-9]*.json"):
            try:
                out[file.stem] = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):  # being replaced right now: read again next time
                out[file.stem] = {}
        return out


def coverage_notes(result: Mapping[str, Any]) -> list[str]:
    """Lines for the run's output and the verdict: "changed lines run: k of n" per hunk."""
    if not result:
        return []
    how = str(result.get("how", ""))
    if how.startswith("not measured"):
        return [f"changed lines: {how}"]
    return [f"changed lines run {h['hunk']}: {h['ran']} of {h['lines']}" for h in result.get("hunks", [])]


def never_ran(result: Mapping[str, Any]) -> list[str]:
    """Hunks with changed lines that never ran under the warm-up load (for the verdict's reason)."""
    return [f"{h['hunk']} ({h['lines'] - h['ran']} of {h['lines']} lines)"
            for h in result.get("hunks", []) if h["ran"] < h["lines"]]
