"""Load generation: a k6 script from the endpoints and the spec, and the k6 runner (one or N segments)."""

from kassi_app.load.plan import LoadPlan, LoadProfile
from kassi_app.load.runner import ExecutionRequirements, K6Result, Segment, run_k6, validate_script
from kassi_app.load.script import render_script
from kassi_app.load.segments import run_segmented

__all__ = [
    "ExecutionRequirements",
    "K6Result",
    "LoadPlan",
    "LoadProfile",
    "Segment",
    "render_script",
    "run_k6",
    "run_segmented",
    "validate_script",
]
