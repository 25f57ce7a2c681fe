"""Which endpoints a change touches: from a git diff (many frameworks) or from an intent over OpenAPI."""

from kassi_app.change.analyse import all_endpoints, changed_endpoints, changed_endpoints_from_diff
from kassi_app.change.model import ChangedEndpoint, ChangeSet, Hunk, RouteDef

__all__ = [
    "ChangeSet",
    "ChangedEndpoint",
    "Hunk",
    "RouteDef",
    "all_endpoints",
    "changed_endpoints",
    "changed_endpoints_from_diff",
]
