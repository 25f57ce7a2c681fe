"""CPU work sized by time: how many PBKDF2 rounds take a given number of milliseconds on this machine.

A demo fault made of a fixed amount of work is a different fault on every machine: 20,000 rounds held
the lock demo's lock tens of ms on a loaded 2-core VM and ~3 ms on a fast server, where the fault
disappeared. So the demos measure the rate once at start and choose the rounds that take the
intended time.

This module is stdlib-only on purpose: kassi copies it verbatim into the demo repos that need it
(``Service.helpers``), so the demo apps and kassi's own repo generation share this one piece of code.
"""

from __future__ import annotations

import hashlib
import time

_PROBE_MIN_S = 0.005
_TRIALS = 5


def pbkdf2(rounds: int, message: bytes = b"kassi", salt: bytes = b"cpucost") -> bytes:
    """The work being sized (PBKDF2-HMAC-SHA256), so calibration times exactly what the app runs."""
    return hashlib.pbkdf2_hmac("sha256", message, salt, rounds)


def _seconds(rounds: int) -> float:
    # this thread's CPU time, not the wall clock: on a loaded machine the wall clock also counts the
    # time other processes ran, and the rate measured would depend on the load at start
    started = time.thread_time()
    pbkdf2(rounds)
    return time.thread_time() - started


def seconds_per_round() -> float:
    """The fastest of a few timed trials: the CPU's own rate, not the noise of caches and neighbours.

    The probe grows until one trial takes >= 5 ms so timer resolution and call overhead do not count;
    the whole calibration costs ~35 ms of CPU.
    """
    rounds = 500
    while _seconds(rounds) < _PROBE_MIN_S:
        rounds *= 2
    return min(_seconds(rounds) for _ in range(_TRIALS)) / rounds


def rounds_for_ms(ms: float) -> int:
    """PBKDF2 rounds that take ``ms`` milliseconds of CPU on this machine now (at least one)."""
    if ms <= 0:
        raise ValueError(f"ms must be positive, got {ms}")
    return max(1, round(ms / 1000 / seconds_per_round()))
