"""What a face asks the engine to do: one run request, validated before anything starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Mode = Literal["ab", "live"]
TelemetrySource = Literal["proxy", "splunk"]


@dataclass(frozen=True)
class LoadOverrides:
    """Flags that override the `[load]` table of kassi.toml; None keeps the file's value."""

    low_vus: int | None = None
    high_vus: int | None = None
    low_duration_s: float | None = None
    high_duration_s: float | None = None
    rounds: int | None = None


@dataclass(frozen=True)
class RunRequest:
    """One run. A/B runs need ``repo``; live runs need ``url`` and at least one endpoint."""

    mode: Mode
    repo: Path | None = None
    base: str = "HEAD~1"
    head: str = "HEAD"
    url: str | None = None
    endpoints: tuple[str, ...] = ()
    openapi: str | None = None
    allow_hosts: tuple[str, ...] = ()
    load: LoadOverrides = field(default_factory=LoadOverrides)
    segments: int = 1
    max_extensions: int = 1
    label: str = ""
    telemetry: TelemetrySource = "proxy"
    """Where the server-side truth comes from: kassi's proxy, or (live) the service's logs in Splunk."""
    splunk_config: Path | None = None
