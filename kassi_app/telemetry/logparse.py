"""The target's own stdout/stderr as ``LogEvent``s: log levels, and Python tracebacks grouped.

A traceback arrives as many lines; it becomes one event whose ``exception`` holds the type, the
message and the frames, so the judge can count "which exception, from which file" over the
failing requests. Lines are grouped per (process, stream) because the two streams interleave.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kassi_app.events import LogEvent, ParsedException, StackFrame, Variant
from kassi_app.redact import redact_text

LogSink = Callable[[LogEvent], None]
Stream = Literal["stdout", "stderr"]

TRACEBACK_START = "Traceback (most recent call last):"
MAX_TRACEBACK_LINES = 2000
_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$")
_LEVEL_NAMES = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARNING": "WARNING",
    "WARN": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
    "FATAL": "CRITICAL",
}
_LEVEL_WORDS = "|".join(_LEVEL_NAMES)
# uvicorn / logging.basicConfig ("ERROR:    ...", "WARNING:root:..."), "[..] ERROR in app:" (Flask),
# "2024-.. ERROR ..." / "[ERROR]" / "level=error" / '"level": "error"' (structured loggers).
_LEVEL_PATTERNS = (
    re.compile(rf"^(?P<level>{_LEVEL_WORDS}):"),
    re.compile(rf"^\[[^\]]*\]\s+(?P<level>{_LEVEL_WORDS})\b"),
    re.compile(rf"^[\d\-:,.T ]+\s*[-|]?\s*\[?(?P<level>{_LEVEL_WORDS})\]?\b"),
    re.compile(rf"\[(?P<level>{_LEVEL_WORDS})\]"),
    re.compile(rf"""\blevel["']?\s*[=:]\s*["']?(?P<level>{_LEVEL_WORDS})\b""", re.IGNORECASE),
)


def line_level(text: str, default: str = "INFO") -> str:
    """The log level a line states, normalised (WARN -> WARNING, FATAL -> CRITICAL)."""
    head = text[:200]
    for pattern in _LEVEL_PATTERNS:
        match = pattern.search(head)
        if match:
            return _LEVEL_NAMES[match.group("level").upper()]
    return default


def frames_in(exception: ParsedException, repo_dir: Path) -> tuple[StackFrame, ...]:
    """The frames whose file lies inside ``repo_dir`` (not its virtualenvs or site-packages)."""
    root = repo_dir.resolve()
    inside: list[StackFrame] = []
    for frame in exception.frames:
        path = Path(frame.file)
        resolved = (path if path.is_absolute() else root / path).resolve()
        if not resolved.is_relative_to(root):
            continue
        parts = resolved.relative_to(root).parts
        if any(p in ("site-packages", "dist-packages") or p.startswith(".venv") for p in parts):
            continue
        inside.append(frame)
    return tuple(inside)


@dataclass
class _Pending:
    started: float
    frames: list[StackFrame] = field(default_factory=list)
    lines: int = 0


class LogParser:
    """Feed it ``on_line`` (the target package's callback); it hands ``LogEvent``s to ``sink``.

    Call ``close()`` when the process has ended, so a traceback cut off mid-way is still emitted.
    """

    def __init__(self, run_id: str, variant: Variant, sink: LogSink) -> None:
        self.run_id = run_id
        self.variant: Variant = variant
        self._sink = sink
        self._pending: dict[tuple[str, Stream], _Pending] = {}

    def on_line(self, process_name: str, stream: Stream, epoch_time: float, text: str) -> None:
        text = text.rstrip("\r\n")
        key = (process_name, stream)
        pending = self._pending.get(key)
        if pending is None:
            if text.strip() == TRACEBACK_START:
                self._pending[key] = _Pending(epoch_time)
            elif text.strip():
                self._emit(stream, epoch_time, line_level(text), text, None)
            return
        pending.lines += 1
        frame = _FRAME.match(text)
        if frame:
            func = frame.group("func") or ""
            pending.frames.append(StackFrame(frame.group("file"), int(frame.group("line")), func))
        elif text[:1] not in (" ", "\t", "") and not text.startswith(TRACEBACK_START):
            del self._pending[key]
            match = _EXCEPTION.match(text)
            if match:
                exc = ParsedException(
                    match.group("type"), match.group("message") or "", tuple(pending.frames)
                )
                self._emit(stream, pending.started, "ERROR", text, exc)
            else:  # not a traceback after all: keep the line as it is
                self._emit(stream, pending.started, "ERROR", f"unterminated traceback before: {text}", None)
                self._emit(stream, epoch_time, line_level(text), text, None)
        if pending.lines > MAX_TRACEBACK_LINES:
            self._flush(key)

    def close(self) -> None:
        """Emit any traceback still open (the process died before printing its last line)."""
        for key in list(self._pending):
            self._flush(key)

    def _flush(self, key: tuple[str, Stream]) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            exc = ParsedException("", "traceback cut off", tuple(pending.frames))
            self._emit(key[1], pending.started, "ERROR", "traceback cut off", exc)

    def _emit(
        self, stream: Stream, when: float, level: str, message: str, exc: ParsedException | None
    ) -> None:
        if exc is not None:
            exc = ParsedException(exc.type, redact_text(exc.message), exc.frames)
        self._sink(LogEvent(when, self.run_id, self.variant, stream, level, redact_text(message), exc))
