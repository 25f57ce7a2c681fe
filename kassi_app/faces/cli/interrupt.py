"""Ctrl-C and SIGTERM/SIGHUP during a CLI run: stop what the run started at once, then let the run
end the governed way (abort, conclude: INCONCLUSIVE "interrupted", record written, ledger sealed),
and exit 128 + the signal. A second signal while that happens leaves at once."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from kassi_app.target import cleanup

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interruption:
    """The cancel flag a run watches, and the signal that set it (None: not interrupted)."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.signum: int | None = None

    @property
    def exit_code(self) -> int | None:
        return 128 + self.signum if self.signum is not None else None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.cancel.is_set():  # asked twice: do not wait for the run to seal
            raise SystemExit(128 + signum)
        self.signum = signum
        self.cancel.set()
        cleanup.run_all()  # k6, proxies' targets, worktrees: stopped now, not after the phase


@contextmanager
def interruptible() -> Iterator[Interruption]:
    """Signals become a cancelled run for the duration (main thread only; elsewhere a no-op)."""
    state = Interruption()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = {sig: signal.signal(sig, state._on_signal) for sig in SIGNALS}
    try:
        yield state
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
