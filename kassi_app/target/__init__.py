"""The system under test: its spec (kassi.toml), a worktree per ref, and its process lifecycle."""

from kassi_app.target.process import ManagedProcess, OnLine, Stream, free_port
from kassi_app.target.running import RunningTarget, start_target
from kassi_app.target.spec import ProcessSpec, TargetSpec
from kassi_app.target.worktree import checkout

__all__ = [
    "ManagedProcess",
    "OnLine",
    "ProcessSpec",
    "RunningTarget",
    "Stream",
    "TargetSpec",
    "checkout",
    "free_port",
    "start_target",
]
