"""kassi.toml parsing: typed values, defaults, and BadInput naming the key at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from kassi_app.config import LoadSettings, RunRequest, SloSettings, resolve_settings
from kassi_app.errors import BadInput
from kassi_app.judge import JudgeSettings
from kassi_app.target import TargetSpec

FULL = """
[target]
start = "{python} -m uvicorn app:app --port {port}"
health = "/healthz"
ready_timeout_s = 7
openapi_file = "api/openapi.json"
[target.env]
DB = "{workdir}/x.db"
PRICING = "http://127.0.0.1:{pricing_port}"
[[target.process]]
name = "pricing"
start = ["{python}", "pricing.py", "{port}"]
[load]
low_vus = 3
high_duration_s = 6.5
[slo]
p95_ms = 120
[judge]
alpha = 0.05
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kassi.toml"
    path.write_text(text)
    return path


def test_full_file_parses_into_typed_values(tmp_path: Path) -> None:
    spec = TargetSpec.load(write(tmp_path, FULL).parent)
    assert spec.target.start == ("{python}", "-m", "uvicorn", "app:app", "--port", "{port}")
    assert spec.target.health == "/healthz"
    assert spec.target.ready_timeout_s == 7.0
    assert spec.target.env["PRICING"] == "http://127.0.0.1:{pricing_port}"
    assert [p.name for p in spec.processes] == ["pricing"]
    assert spec.processes[0].start == ("{python}", "pricing.py", "{port}")
    assert spec.processes[0].health == "/health"
    assert spec.openapi_file == "api/openapi.json"
    settings = resolve_settings(RunRequest(), spec.settings)
    assert (settings.load.low_vus, settings.load.high_duration_s, settings.load.high_vus) == (3, 6.5, 16)
    assert settings.slo.p95_ms == 120.0 and settings.judge.alpha == 0.05


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    spec = TargetSpec.load(write(tmp_path, '[target]\nstart = "./serve --port {port}"\n'))
    settings = resolve_settings(RunRequest(), spec.settings)
    assert settings.load == LoadSettings() and settings.slo == SloSettings() and settings.judge == JudgeSettings()
    assert spec.processes == ()
    assert LoadSettings().high_vus == 16 and LoadSettings().rounds == 2


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[target]\nstart = 'x'\nbogus = 1\n", "target.bogus"),
        ("[target]\nhealth = '/h'\n", "target.start"),
        ("[target]\nstart = 3\n", "target.start"),
        ("[target]\nstart = 'x {nope}'\n", "{nope}"),
        ("[target]\nstart = 'x'\nhealth = 'health'\n", "target.health"),
        ("[target]\nstart = 'x'\nready_timeout_s = -1\n", "target.ready_timeout_s"),
        ("[target]\nstart = 'x'\nopenapi_path = '/b'\n", "target.openapi_path"),
        ("[target]\nstart = 'x'\n[load]\nlow_vus = 1.5\n", "load.low_vus"),
        ("[target]\nstart = 'x'\n[load]\nrounds = 0\n", "load.rounds"),
        ("[target]\nstart = 'x'\n[load]\nchanged_share = 1.2\n", "load.changed_share"),
        ("[target]\nstart = 'x'\n[slo]\np95_ms = 'fast'\n", "slo.p95_ms"),
        ("[target]\nstart = 'x'\n[[target.process]]\nstart = 'y'\n", "target.process[0].name"),
        ("[target]\nstart = 'x'\n[target.env]\nA = 1\n", "target.env"),
        ("[load]\nlow_vus = 2\n", "[target]"),
        ("[target\n", "cannot read"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(BadInput) as info:
        TargetSpec.load(write(tmp_path, text))
    assert key in str(info.value)
    assert "kassi.toml" in str(info.value)


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"no kassi\.toml"):
        TargetSpec.load(tmp_path)
