"""One service process: started in its own process group, output read line by line, stopped hard.

Its own session (``start_new_session``) lets kassi signal the whole group, so a service that forks
workers (uvicorn --workers, gunicorn) is stopped with everything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

from kassi_app.errors import InfrastructureError

Stream = Literal["stdout", "stderr"]
OnLine = Callable[[str, Stream, float, str], None]
"""``on_line(process_name, stream, epoch_time, text)``: called from reader threads, once per line."""

STOP_GRACE_S = 5.0
TAIL_LINES = 20


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ManagedProcess:
    """A started process with captured output, a tail for error messages, and a clean stop."""

    def __init__(self, name: str, argv: Sequence[str], cwd: Path, env: Mapping[str, str],
                 port: int, on_line: OnLine) -> None:
        self.name = name
        self.port = port
        self.argv = tuple(argv)
        self._on_line = on_line
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._tail_lock = threading.Lock()
        try:
            self._popen = subprocess.Popen(
                self.argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True,
            )
        except OSError as exc:
            raise InfrastructureError(f"{name}: cannot start {self.argv[0]!r}: {exc}") from exc
        self.pid = self._popen.pid
        self._readers = [
            threading.Thread(target=self._read, args=(pipe, stream), daemon=True,
                             name=f"kassi-{name}-{stream}")
            for pipe, stream in ((self._popen.stdout, "stdout"), (self._popen.stderr, "stderr"))
            if pipe is not None
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe: IO[bytes], stream: Stream) -> None:
        for raw in iter(pipe.readline, b""):
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            with self._tail_lock:
                self._tail.append(f"[{stream}] {text}")
            try:
                self._on_line(self.name, stream, time.time(), text)
            except Exception:  # a failing consumer must not stop the capture
                continue
        pipe.close()

    def alive(self) -> bool:
        return self._popen.poll() is None

    @property
    def exit_status(self) -> int | None:
        """None while running; else the exit code (negative: killed by that signal)."""
        return self._popen.poll()

    def tail(self) -> list[str]:
        """The last lines of output (both streams), oldest first."""
        with self._tail_lock:
            return list(self._tail)

    def describe_exit(self) -> str:
        """One line for an error message: how it ended and what it said last."""
        status = self.exit_status
        how = "is running" if status is None else (
            f"was killed by signal {-status}" if status < 0 else f"exited with status {status}")
        lines = " | ".join(self.tail()[-8:]) or "(no output)"
        return f"{self.name} {how}; last output: {lines}"

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM the whole group, SIGKILL what is left after ``grace_s``; waits for the readers."""
        _signal_group(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while self._running() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._running():
            _signal_group(self.pid, signal.SIGKILL)
        try:
            self._popen.wait(timeout=5.0)
        except subprocess.TimeoutExpired as exc:
            raise InfrastructureError(f"{self.name} (pid {self.pid}) survived SIGKILL") from exc
        for reader in self._readers:
            reader.join(timeout=2.0)

    def _running(self) -> bool:
        """The leader or anything else in its process group is still running."""
        return self._popen.poll() is None or _group_alive(self.pid)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
