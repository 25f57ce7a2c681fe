"""Who may run kassi from a search: users whose roles hold the app's capability.

``| kassi`` starts services, git worktrees and k6 on the search head, so it is not for every user
who can search. default/authorize.conf defines the capability and the ``kassi_user`` role that holds
it; the command asks splunkd for the searching user's capabilities with the search's own session key
(``/services/authentication/current-context``, which answers for the key's user) and refuses the
search before anything starts when the capability is missing.
"""

from __future__ import annotations

import json
from typing import Any

from kassi_app.errors import BadInput

CAPABILITY = "run_kassi"
ROLE = "kassi_user"
CURRENT_CONTEXT = "/services/authentication/current-context"


class NotAllowed(BadInput):
    """The searching user lacks the capability: a refusal, nothing started."""


def user_capabilities(service: Any) -> tuple[str, frozenset[str]]:
    """The session's user name and capabilities, from splunkd's current-context entry (JSON)."""
    response = service.get(CURRENT_CONTEXT, output_mode="json")
    body = json.loads(response.body.read())
    entries = body.get("entry") or []
    if not entries:
        raise BadInput("splunkd's current-context answered no entry: cannot tell who is searching")
    content = entries[0].get("content") or {}
    return str(content.get("username") or entries[0].get("name") or "?"), frozenset(content.get("capabilities") or ())


def require_capability(service: Any, capability: str = CAPABILITY) -> str:
    """The user's name when they hold ``capability``; NotAllowed naming the role to ask for otherwise."""
    user, capabilities = user_capabilities(service)
    if capability not in capabilities:
        raise NotAllowed(f"user {user!r} may not run kassi: it starts processes on the search head; ask an admin "
                         f"for the {ROLE!r} role (capability {capability!r})")
    return user
