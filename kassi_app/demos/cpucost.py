"""CPU work sized by time: how many PBKDF2 rounds take a given number of milliseconds on this machine.

A demo fault made of a fixed amount of work is a different fault on every machine: 20,000 rounds held
the lock demo's lock tens of ms on a loaded 2-core VM and ~3 ms on a fast server, where the fault
disappeared. So the demos measure the rate once at start and choose the rounds that take the
intended time.

Every process of a demo uses the one rate measured on this machine: an A/B run starts the service
twice (base and head), and two measurements differ by 10-20 % from trial noise alone, which made the
same commit ~50 % slower in one instance than in the other and A/A runs raise false alarms. The
first process to measure writes the rate to a file in the temporary directory (keyed by the boot, so
a reboot measures again); later ones read it.

This module is stdlib-only on purpose: kassi copies it verbatim into the demo repos that need it
(``Service.helpers``), so the demo apps and kassi's own repo generation share this one piece of code.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

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


def machine_seconds_per_round() -> float:
    """This machine's rate, measured by the first process that asks after boot and shared by file."""
    path = _rate_file()
    try:
        return float(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    rate = seconds_per_round()
    scratch = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        scratch.write_text(repr(rate), encoding="utf-8")
        os.link(scratch, path)  # atomic and first-wins: a process that measured at the same time reads the winner
    except FileExistsError:
        return float(path.read_text(encoding="utf-8"))
    except OSError:
        return rate  # no shared temporary directory: this process's own measurement
    finally:
        scratch.unlink(missing_ok=True)
    return rate


def _rate_file() -> Path:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="utf-8").strip()
    except OSError:
        boot = "unknown-boot"
    return Path(tempfile.gettempdir()) / f"kassi-cpucost-{os.getuid() if hasattr(os, 'getuid') else 0}-{boot}"


def rounds_for_ms(ms: float) -> int:
    """PBKDF2 rounds that take ``ms`` milliseconds of CPU on this machine (at least one)."""
    if ms <= 0:
        raise ValueError(f"ms must be positive, got {ms}")
    return max(1, round(ms / 1000 / machine_seconds_per_round()))
