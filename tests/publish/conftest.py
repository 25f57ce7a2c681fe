"""Fixtures for the publishing tests: a finished run in a fresh kassi home, and a loopback HTTPS HEC
stub with its own self-signed certificate (it stands in for Splunk's HTTP Event Collector: no Splunk
runs here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kassi_bench.hec_stub import HecStub, running_hec, self_signed_certificate, server_tls
from publish_support import TOKEN, FinishedRun, make_finished_run


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def hec(certificate: tuple[Path, Path]) -> Iterator[HecStub]:
    with running_hec(HecStub(TOKEN), server_tls(*certificate)) as stub:
        yield stub


@pytest.fixture
def finished_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FinishedRun:
    home = tmp_path / "home"
    monkeypatch.setenv("KASSI_HOME", str(home))
    monkeypatch.delenv("KASSI_SEAL_KEY", raising=False)
    return make_finished_run(home)
