"""The system under test: its spec (kassi.toml), a worktree per ref, and its process lifecycle."""

from kassi_app.target.process import ManagedProcess, OnLine, Stream, free_port
from kassi_app.target.running import RunningTarget, start_target
from kassi_app.target.spec import LoadDefaults, ProcessSpec, SloDefaults, TargetSpec
from kassi_app.target.worktree import checkout, resolve_ref

__all__ = [
    "LoadDefaults",
    "ManagedProcess",
    "OnLine",
    "ProcessSpec",
    "RunningTarget",
    "SloDefaults",
    "Stream",
    "TargetSpec",
    "checkout",
    "free_port",
    "resolve_ref",
    "start_target",
]
