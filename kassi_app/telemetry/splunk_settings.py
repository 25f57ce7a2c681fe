"""Where a service's server-side truth lives in Splunk, and how kassi reaches it.

A user who already ships the service's access logs (and its errors) to Splunk names the index,
the sourcetype and the field mapping here; the defaults are the CIM Web data model's names. kassi
renders every search from these typed parts (``spl.py``): names are checked against what Splunk
accepts *unquoted* so that no setting can carry SPL syntax (a ``*`` would be a wildcard, a ``|`` a
new command); the values compared against events are quoted string literals.

Secrets never live here: the token comes from the environment (``KASSI_SPLUNK_TOKEN``) or, inside
Splunk, from the session key the search command receives.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from kassi_app.errors import BadInput

TOKEN_ENV = "KASSI_SPLUNK_TOKEN"
_FIELD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_SOURCETYPE_CHARS = _FIELD_CHARS | frozenset("/")


def _checked(allowed: frozenset[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value or not set(value) <= allowed or value[0] in "-.:":
            raise ValueError(f"{what} {value!r}: use letters, digits and {''.join(sorted(allowed - _NAME_CHARS))}_-")
        return value

    return AfterValidator(check)


FieldName = Annotated[str, _checked(_FIELD_CHARS, "field name")]
"""An event field name (``response_time``, ``exception.type``); rendered single-quoted in eval."""
IndexName = Annotated[str, _checked(_NAME_CHARS, "index name")]
SourcetypeName = Annotated[str, _checked(_SOURCETYPE_CHARS, "sourcetype")]


class AccessFields(BaseModel):
    """Which event fields carry what kassi needs. Defaults: CIM Web (``Web`` data model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    http_method: FieldName = "http_method"
    uri_path: FieldName = "uri_path"
    status: FieldName = "status"
    duration: FieldName = Field(default="response_time", description="CIM: response_time (or duration)")
    duration_unit: Literal["ms", "s", "us"] = Field(default="ms", description="the unit of the duration field")
    bytes_out: FieldName = "bytes_out"
    dest: FieldName = Field(default="dest", description="the host that served the request (CIM dest)")
    error: FieldName | None = Field(
        default=None, description="a short error text per request; unset: 'HTTP <status>' for 5xx answers"
    )


class AccessSource(BaseModel):
    """The service's access events: one event per request it answered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: IndexName
    sourcetype: SourcetypeName | None = None
    dest: str | None = Field(default=None, description="only events whose dest field equals this (exact match)")
    fields: AccessFields = AccessFields()


class ErrorSource(BaseModel):
    """The service's error events (exceptions it logged): the second search, for the root cause."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: IndexName
    sourcetype: SourcetypeName | None = None
    type_field: FieldName = "exception_type"
    message_field: FieldName = "message"


class Timing(BaseModel):
    """Splunk indexes late: pad the load window and wait until its event count stops growing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_pad_s: float = Field(default=1.0, ge=0, le=300, description="widen each window by this (clock skew)")
    index_delay_s: float = Field(default=5.0, ge=0, le=600, description="wait this long after the load before counting")
    settle_poll_s: float = Field(default=5.0, gt=0, le=300, description="seconds between two counts")
    settle_deadline_s: float = Field(default=120.0, gt=0, le=3600, description="give up (INCONCLUSIVE) after this long")
    search_timeout_s: float = Field(default=60.0, gt=0, le=3600, description="one search's network time-out")


class SdkConnection(BaseModel):
    """splunklib against splunkd's REST port (``search/v2/jobs/export``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: Literal["sdk"] = "sdk"
    host: str = "localhost"
    port: int = Field(default=8089, ge=1, le=65535)
    scheme: Literal["https", "http"] = "https"
    verify: bool = Field(default=True, description="verify splunkd's TLS certificate (splunklib's default is not to)")
    ca_file: Path | None = Field(default=None, description="a CA bundle for a self-signed splunkd certificate")
    app: str | None = None
    owner: str | None = None


class McpConnection(BaseModel):
    """The official Splunk MCP Server (Splunkbase 7931): ``splunk_run_query`` over streamable HTTP."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: Literal["mcp"] = "mcp"
    url: str = Field(default="https://localhost:8089/services/mcp", description="the server's streamable HTTP URL")
    tool: str = "splunk_run_query"
    row_limit: int = Field(default=50_000, ge=1, le=1_000_000)
    verify: bool = True


class SplunkSettings(BaseModel):
    """Everything ``--telemetry splunk`` needs except the secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connection: Annotated[SdkConnection | McpConnection, Field(discriminator="transport")] = SdkConnection()
    access: AccessSource
    errors: ErrorSource | None = None
    timing: Timing = Timing()
    history_days: int = Field(default=90, ge=1, le=3650, description="how far back kassi:run history is searched")

    @classmethod
    def load(cls, path: Path) -> SplunkSettings:
        """The ``[splunk]`` table of a TOML file (``kassi.toml`` or a file of its own)."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise BadInput(f"Splunk settings {path}: {exc}") from None
        table = data.get("splunk")
        if not isinstance(table, dict):
            raise BadInput(f"Splunk settings {path}: no [splunk] table")
        try:
            return cls.model_validate(table)
        except ValidationError as exc:
            raise BadInput(f"Splunk settings {path}: {exc}") from None


def token_from_env() -> str | None:
    """The Splunk token outside Splunk (a bearer token, or a session key); never logged."""
    return os.environ.get(TOKEN_ENV) or None
