"""``[judge]`` and ``[slo]`` tables: typed, with clear errors naming the key at fault."""

from __future__ import annotations

import pytest

from kassi_app.errors import BadInput
from kassi_app.judge import JudgeSettings, Slo


def test_defaults_and_the_practical_threshold() -> None:
    s = JudgeSettings()
    assert s.threshold_ms(5.0) == pytest.approx(1.25)  # 25 %: what a default run resolves (settings docstring)
    assert s.threshold_ms(0.5) == pytest.approx(0.25)  # sub-ms changes are timer noise
    assert s.threshold_ms(100.0) == pytest.approx(25.0)
    assert s.tail_threshold_ms(100.0) == pytest.approx(40.0)


def test_from_dict_reads_known_keys_and_accepts_ints_for_floats() -> None:
    s = JudgeSettings.from_dict({"alpha": 0.05, "min_shift_pct": 10, "min_samples": 30})
    assert (s.alpha, s.min_shift_pct, s.min_samples) == (0.05, 10.0, 30)
    assert Slo.from_dict({"p95_ms": 250, "error_rate": 0.02}) == Slo(250.0, 0.02)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"alfa": 0.05}, "unknown key 'alfa'"),
        ({"alpha": "0.05"}, "alpha"),
        ({"min_samples": 2.5}, "min_samples"),
        ({"min_samples": True}, "min_samples"),
        ({"alpha": 0.9}, "alpha = 0.9 is out of range"),
        ({"min_shift_ms": -1}, "min_shift_ms"),
        ({"min_samples": 1}, "min_samples must be at least 2"),
    ],
)
def test_bad_judge_tables_are_bad_input_naming_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(BadInput, match=message) as raised:
        JudgeSettings.from_dict(table)
    assert str(raised.value).startswith("[judge]")
    assert raised.value.exit_code == 2


def test_bad_slo_tables_are_bad_input() -> None:
    with pytest.raises(BadInput, match=r"\[slo\] error_rate"):
        Slo.from_dict({"error_rate": 2})
    with pytest.raises(BadInput, match=r"\[slo\] unknown key 'p99_ms'"):
        Slo.from_dict({"p99_ms": 3})
