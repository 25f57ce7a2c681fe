"""Watched repos: poll a branch and run every new commit once, in order (docs/watching.md)."""

from kassi_app.watch.checkpoint import Checkpoint, CheckpointFile
from kassi_app.watch.events import Emit, EventSink
from kassi_app.watch.poll import RunFn, WatchConfig, Watcher, WatchMode, WatchOutcome
from kassi_app.watch.source import RepoSource

__all__ = ["Checkpoint", "CheckpointFile", "Emit", "EventSink", "RepoSource", "RunFn", "WatchConfig",
           "WatchMode", "WatchOutcome", "Watcher"]
