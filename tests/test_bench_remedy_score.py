"""`kassi bench remedy` scoring: what a --fix run's record must show for each kind of scenario, and
which scenarios the benchmark runs."""

from __future__ import annotations

from typing import Any

from kassi_bench.remedy import scenarios, score

from kassi_app.demos import CATALOGUE


def _record(verified: str, reverted: list[str], kept: list[str], parses: str = "passed") -> dict[str, Any]:
    return {"verdict": {"class": "REGRESSION"}, "timings_s": {"remedy": 2.5, "verify_fix": 30.0},
            "remedy": {"source": "revert", "hunks_reverted": reverted, "hunks_kept": kept, "experiments": [{}],
                       "checks": {"ok": True, "applies": {"status": "passed"},
                                  "parses": [{"name": "parses:app.py", "status": parses}]},
                       "verified": {"class": verified}}}


def test_every_fixable_fault_demo_and_the_two_experiment_scenarios_are_benchmarked() -> None:
    faults = {name for name, demo in CATALOGUE.items() if demo.expected in ("REGRESSION", "DEGRADING")}
    assert set(scenarios()) == faults | {"isolation", "bisection"}
    assert "tight-rate-limit" not in scenarios()  # THROTTLED is not a failure to fix


def test_a_fix_counts_only_when_it_applies_parses_and_is_verified_healthy() -> None:
    good = score("sqlite-write-lock", _record("HEALTHY", ["app.py:108-120"], []), {}, 80.0)
    assert good.correct and good.fix_s == 32.5 and good.experiments == 1
    assert not score("x", _record("INCONCLUSIVE", ["app.py:108-120"], []), {}, 80.0).correct
    assert not score("x", _record("HEALTHY", ["app.py:108-120"], [], parses="failed"), {}, 80.0).correct
    assert not score("x", {"verdict": {"class": "REGRESSION"}, "remedy": {"error": "no fix"}}, {}, 1.0).correct


def test_isolation_must_keep_the_harmless_hunks_and_bisection_must_name_the_bad_commit() -> None:
    harmless = {"harmless": {"app.py:1-4", "tools/export_loans.py:1-4"}}
    kept = score("isolation", _record("HEALTHY", ["app.py:108-120"], ["app.py:1-4", "tools/export_loans.py:1-4"]),
                 harmless, 1.0)
    assert kept.correct
    assert not score("isolation", _record("HEALTHY", ["app.py:1-4", "app.py:108-120"],
                                          ["tools/export_loans.py:1-4"]), harmless, 1.0).correct
    bad = "fbb002bdee348395f36d445d6ac7221bc70afe91"
    assert score("bisection", _record("HEALTHY", [f"commit {bad[:12]}"], []), {"first_bad": bad}, 1.0).correct
    assert not score("bisection", _record("HEALTHY", ["commit 0123456789ab"], []), {"first_bad": bad}, 1.0).correct
