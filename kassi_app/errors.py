"""The error types every face maps to an exit code and a one-line message."""

from __future__ import annotations


class KassiError(Exception):
    """An error with a message meant for the user (no traceback needed)."""

    exit_code = 1


class BadInput(KassiError):
    """The user's input cannot be used: refused before any load is sent (exit 2)."""

    exit_code = 2


INTERRUPTED = "interrupted"
"""The reason an interrupted run's INCONCLUSIVE verdict gives."""


class Interrupted(KassiError):
    """The run was cancelled (its search closed, or kassi got SIGTERM): INCONCLUSIVE, never judged (exit 3)."""

    exit_code = 3


class InfrastructureError(KassiError):
    """Something kassi depends on failed (target, k6, git, store): the run is INCONCLUSIVE (exit 3)."""

    exit_code = 3
