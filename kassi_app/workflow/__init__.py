"""kassi's governed workflow: the Burr graph of phases, the run session, and the autopilot."""

from kassi_app.workflow.autopilot import drive
from kassi_app.workflow.graph import BeginInputs, new_governed_run, open_run
from kassi_app.workflow.request import LoadOverrides, RunRequest
from kassi_app.workflow.session import RunSession

__all__ = ["BeginInputs", "LoadOverrides", "RunRequest", "RunSession", "drive", "new_governed_run", "open_run"]
