"""The one settings model: defaults documented once (docs/kassi-toml.md is checked against it),
layers merged in order, and bad values refused with the key at fault."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kassi_app.config import (
    LoadOverrides,
    LoadSettings,
    ProjectSettings,
    RunRequest,
    SloSettings,
    resolve_settings,
)
from kassi_app.errors import BadInput
from kassi_app.judge import JudgeSettings

DOC = Path(__file__).resolve().parents[1] / "docs" / "kassi-toml.md"


def _documented() -> tuple[dict[str, Any], str]:
    block = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None, "docs/kassi-toml.md has no toml example"
    return tomllib.loads(block.group(1)), block.group(1)


def test_the_documented_defaults_are_the_models_defaults() -> None:
    doc, text = _documented()
    for table, defaults in (("load", LoadSettings().model_dump()), ("slo", SloSettings().model_dump()),
                            ("judge", dataclasses.asdict(JudgeSettings()))):
        shown = doc[table]
        assert set(shown) | {k for k, v in defaults.items() if v is None} == set(defaults), table
        for key, value in defaults.items():
            if value is None:  # a key with no default is shown commented out
                assert re.search(rf"^# {key} = ", text, re.M), f"{table}.{key}"
            else:
                assert shown[key] == value, f"{table}.{key}: docs say {shown[key]!r}, the model {value!r}"


def test_layers_merge_flags_over_the_file_over_the_defaults() -> None:
    project = ProjectSettings.from_toml({"load": {"low_vus": 3, "rounds": 4}, "judge": {"alpha": 0.02}})
    request = RunRequest(load=LoadOverrides(rounds=1), judge={"min_shift_pct": 10.0})
    settings = resolve_settings(request, project)
    assert (settings.load.low_vus, settings.load.rounds, settings.load.high_vus) == (3, 1, 16)
    assert (settings.judge.alpha, settings.judge.min_shift_pct) == (0.02, 10.0)
    assert settings.slo.p95_ms is None


@pytest.mark.parametrize(
    ("project", "request_", "message"),
    [
        ({"load": {"low_vus": 0}}, {}, "load.low_vus"),
        ({"load": {"bogus": 1}}, {}, "load.bogus: unknown key"),
        ({"load": {"high_duration_s": float("inf")}}, {}, "load.high_duration_s"),
        ({"load": {"low_vus": "2"}}, {}, "load.low_vus"),
        ({"slo": {"error_rate": 1.5}}, {}, "slo.error_rate"),
        ({"judge": {"alpha": "high"}}, {}, "[judge] alpha"),
        ({"judge": {"nope": 1}}, {}, "unknown key 'nope'"),
        ({}, {"segments": 99}, "segments"),
        ({}, {"load": LoadOverrides(rounds=0)}, "load.rounds"),
    ],
)
def test_bad_settings_name_the_key(project: dict[str, Any], request_: dict[str, Any], message: str) -> None:
    with pytest.raises(BadInput) as caught:
        resolve_settings(RunRequest(**request_), ProjectSettings.from_toml(project))
    assert message in str(caught.value)
