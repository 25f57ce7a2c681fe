"""``| kassi url=... telemetry=splunk``: where the service's access log is, from the app's kassi.conf.

Inside Splunk the settings of ``--telemetry splunk`` come from the ``[telemetry_splunk]`` stanza the
admin fills in on the setup page (README/kassi.conf.spec), never from the search text: a search
must not point kassi at another index or field than the admin chose. The flat conf keys map onto
the same pydantic model the CLI's TOML file fills (``SplunkSettings``), so both faces validate
alike. The connection is not configurable here: the search reads from the splunkd that runs it,
with the search's own session key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from kassi_app.errors import BadInput
from kassi_app.hosts import is_loopback
from kassi_app.telemetry.splunk_settings import AccessFields, SdkConnection, SplunkSettings, Timing

STANZA = "telemetry_splunk"
APP = "kassi"

KEYS: dict[str, tuple[str, ...]] = {
    "index": ("access", "index"),
    "sourcetype": ("access", "sourcetype"),
    "dest": ("access", "dest"),
    **{f"{name}_field": ("access", "fields", name) for name in AccessFields.model_fields if name != "duration_unit"},
    "duration_unit": ("access", "fields", "duration_unit"),
    "errors_index": ("errors", "index"),
    "errors_sourcetype": ("errors", "sourcetype"),
    "errors_type_field": ("errors", "type_field"),
    "errors_message_field": ("errors", "message_field"),
    **{name: ("timing", name) for name in Timing.model_fields},
    "history_days": ("history_days",),
}
"""Flat ``[telemetry_splunk]`` keys -> where they go in :class:`SplunkSettings`."""


def nest(values: Mapping[str, str], keys: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """Flat conf values placed at their paths in a nested dict (what a pydantic model validates)."""
    nested: dict[str, Any] = {}
    for key, value in values.items():
        *parents, leaf = keys[key]
        target = nested
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return nested


def telemetry_settings(content: Mapping[str, str], source: str = "kassi.conf") -> SplunkSettings | None:
    """The ``[telemetry_splunk]`` stanza as settings; None while its ``index`` is empty (not set up).
    An unknown key or a bad value is a BadInput naming the key, as for ``[settings]``."""
    values = {k: v.strip() for k, v in content.items() if v is not None and v.strip()}
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise BadInput(f"{source} [{STANZA}]: unknown key(s) {', '.join(unknown)} (see README/kassi.conf.spec)")
    if "index" not in values:
        return None
    try:
        return SplunkSettings.model_validate(nest(values, KEYS))
    except ValidationError as exc:
        where = {path: key for key, path in KEYS.items()}  # name the conf key, not the model's path
        problems = "; ".join(f"{where.get(tuple(str(p) for p in e['loc']), '.'.join(map(str, e['loc'])))}: {e['msg']}"
                             for e in exc.errors())
        raise BadInput(f"{source} [{STANZA}]: {problems}") from None


def in_this_splunk(settings: SplunkSettings, splunkd_uri: str) -> SplunkSettings:
    """``settings`` reading from the splunkd at ``splunkd_uri`` (the one that runs the search), in the
    app's namespace so that the app's macros (``kassi_index``) resolve. A loopback splunkd is the
    one that started the command, on its own (by default self-signed) certificate: TLS is verified
    for any other host, as :func:`app_settings.connect` does."""
    parts = urlsplit(splunkd_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"not a splunkd URI: {splunkd_uri!r}")
    connection = SdkConnection(
        host=parts.hostname, port=parts.port or 8089, scheme=parts.scheme,
        verify=not is_loopback(parts.hostname), app=APP, owner="nobody",
    )
    return settings.model_copy(update={"connection": connection})
