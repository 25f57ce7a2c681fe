"""Resolve ``module:function`` to the factory that opens a governed run (``kassi serve --workflow``)."""

from __future__ import annotations

import importlib
from typing import cast

from kassi_app.errors import BadInput
from kassi_app.workflow.governor import GovernorFactory

DEFAULT_WORKFLOW = "kassi_app.workflow.graph:new_governed_run"


def load_factory(ref: str) -> GovernorFactory:
    """Import ``module:function``; a missing module or function is a one-line ``BadInput``."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise BadInput(f"workflow {ref!r} is not of the form module:function")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise BadInput(f"workflow module {module_name!r} is not installed (from --workflow {ref})") from exc
        raise
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise BadInput(f"workflow module {module_name!r} has no callable {attr!r}")
    return cast(GovernorFactory, factory)
