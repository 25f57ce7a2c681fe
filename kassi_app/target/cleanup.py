"""Last-resort cleanup: whatever kassi started is stopped even if kassi is interrupted or crashes.

Context managers do the normal cleanup. This registry covers the rest: an ``atexit`` hook, and a
SIGTERM/SIGHUP handler that turns the signal into ``SystemExit`` so ``finally`` blocks run (Ctrl-C
already raises ``KeyboardInterrupt``). A SIGKILL of kassi cannot be caught; the next checkout
prunes stale worktree entries.

A ``Scope`` collects what is registered while it is current (``with within(scope):``), so one run
can stop its own processes (a phase past its deadline) without touching another run's.
"""

from __future__ import annotations

import atexit
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType

_lock = threading.Lock()
_pending: dict[int, Callable[[], None]] = {}
_next_id = 0
_atexit_installed = False
_signals_installed = False


class Scope:
    """The cleanup actions registered while this scope was current: one run's children."""

    def __init__(self) -> None:
        self._tokens: set[int] = set()

    def stop(self) -> None:
        """Run this scope's pending actions now, newest first (as ``run_all`` does for every one)."""
        with _lock:
            actions = [_pending.pop(k) for k in sorted(self._tokens, reverse=True) if k in _pending]
            self._tokens.clear()
        _run(actions)


_current: ContextVar[Scope | None] = ContextVar("kassi_cleanup_scope", default=None)


@contextmanager
def within(scope: Scope) -> Iterator[None]:
    """Make ``scope`` current on this thread: what is registered meanwhile is also the scope's."""
    reset = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(reset)


def register(action: Callable[[], None]) -> int:
    """Remember a cleanup action; returns a token for ``unregister`` once it ran normally."""
    global _next_id
    install()
    scope = _current.get()
    with _lock:
        _next_id += 1
        _pending[_next_id] = action
        if scope is not None:
            scope._tokens.add(_next_id)
        return _next_id


def unregister(token: int) -> None:
    with _lock:
        _pending.pop(token, None)


def run_all() -> None:
    """Run every pending action, newest first (processes before the worktree they run in)."""
    with _lock:
        actions = [_pending.pop(k) for k in sorted(_pending, reverse=True)]
    _run(actions)


def _run(actions: list[Callable[[], None]]) -> None:
    for action in actions:
        try:
            action()
        except Exception:  # cleanup must go on for the others
            continue


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def install() -> None:
    """Hook atexit once, and SIGTERM/SIGHUP once from the main thread (Python allows no other).

    ``register`` calls it; call it yourself from the main thread before work moves to worker threads
    (a governed run starts its services in an action's worker thread): else the first ``register``
    happens off the main thread and a SIGTERM to kassi would leave the services running."""
    global _atexit_installed, _signals_installed
    with _lock:
        first, _atexit_installed = not _atexit_installed, True
        signals = not _signals_installed and threading.current_thread() is threading.main_thread()
        _signals_installed = _signals_installed or signals
    if first:
        atexit.register(run_all)
    for sig in (signal.SIGTERM, signal.SIGHUP) if signals else ():
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _on_signal)
