"""The judge's thresholds, typed, with defaults derived from the statistics (docs in ``JudgeSettings``).

Built from the ``[judge]`` and ``[slo]`` tables of kassi.toml; an unknown key or a value of the wrong
type is the user's mistake and raises ``BadInput`` naming the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Self, TypeVar

from pydantic import ConfigDict, StrictFloat, StrictInt, TypeAdapter, ValidationError

from kassi_app.errors import BadInput

_NO_EXTRA = ConfigDict(extra="forbid")
T = TypeVar("T")


@dataclass(frozen=True)
class JudgeSettings:
    """Practical-significance thresholds and test parameters.

    Why these defaults: a route of ~5 ms with ~1 ms spread and ~1000 samples per variant has a
    Hodges-Lehmann standard error of ~0.05 ms pooled and ~0.1 ms per block pair (~250 samples), so
    a 0.25 ms / 5 % threshold sits ~2.5 standard errors below a genuine 10 % (0.5 ms) shift in every
    block pair (detected with >99 % probability per pair) and ~2.5 standard errors above zero (an
    unchanged route rarely passes it in one pair, almost never in a majority of pairs). ``alpha`` is
    family-wise (Holm over routes) and small, because with ~1000 samples the rank test is sensitive
    to effects far below anything practical: the thresholds carry the decision, the test guards it.
    Trends are not cancelled by A/B interleaving within one variant, so they need a larger effect.
    The p95 gets its own, larger threshold (``min_tail_shift_pct``): the sampling spread of a 95th
    percentile from a few hundred requests is several times that of the median (its variance grows
    with q(1-q)/f(x_q)^2, and the density f is thin in the tail), and a saturated machine moves the
    tail from block to block; a 20 % tail threshold keeps the same per-pair false-alarm odds as the
    5 % median one.

    ``power`` sets the minimum detectable shift every route reports (what a HEALTHY verdict could
    have missed); a run that cannot see ``threshold_ms`` at that power is too short and says so.
    ``max_throughput_drop_pct``: without a baseline, scaling is judged by throughput, not latency
    (latency grows with users on any saturated server, by Little's law); throughput that falls this
    much from the low to the high stage is retrograde scaling. Throughput from stage to stage of one
    run moves by a few per cent on a busy machine; a 20 % fall is contention that costs more than it
    serves.
    """

    __pydantic_config__: ClassVar[ConfigDict] = _NO_EXTRA

    alpha: StrictFloat = 0.01
    confidence: StrictFloat = 0.95
    min_shift_pct: StrictFloat = 5.0
    min_shift_ms: StrictFloat = 0.25
    min_error_increase: StrictFloat = 0.005
    min_samples: StrictInt = 50
    min_trend_pct: StrictFloat = 25.0
    min_tail_shift_pct: StrictFloat = 20.0
    trend_bucket_s: StrictFloat = 0.5
    max_scaling_growth: StrictFloat = 1.5
    max_throughput_drop_pct: StrictFloat = 20.0
    power: StrictFloat = 0.8
    min_stage_samples: StrictInt = 20
    bootstrap_resamples: StrictInt = 1000
    hl_max_pairs: StrictInt = 200_000
    seed: StrictInt = 0

    def __post_init__(self) -> None:
        _check_range("alpha", self.alpha, 0.0, 0.5)
        _check_range("confidence", self.confidence, 0.5, 1.0)
        _check_range("power", self.power, 0.5, 0.999, low_open=False)
        _check_range("max_throughput_drop_pct", self.max_throughput_drop_pct, 0.0, 100.0)
        _check_range("min_error_increase", self.min_error_increase, 0.0, 1.0, low_open=False)
        for name in ("min_shift_pct", "min_shift_ms", "min_trend_pct", "min_tail_shift_pct"):
            _check_range(name, getattr(self, name), 0.0, float("inf"), low_open=False)
        for name in ("trend_bucket_s", "max_scaling_growth"):
            _check_range(name, getattr(self, name), 0.0, float("inf"))
        for name in ("min_samples", "min_stage_samples", "bootstrap_resamples", "hl_max_pairs"):
            if getattr(self, name) < 2:
                raise BadInput(f"[judge] {name} must be at least 2")

    def threshold_ms(self, reference_ms: float) -> float:
        """The smallest latency increase that matters for a route typically taking ``reference_ms``."""
        return max(self.min_shift_ms, self.min_shift_pct / 100.0 * reference_ms)

    def tail_threshold_ms(self, reference_p95_ms: float) -> float:
        """The smallest p95 increase that matters for a route whose p95 is ``reference_p95_ms``."""
        return max(self.min_shift_ms, self.min_tail_shift_pct / 100.0 * reference_p95_ms)

    @classmethod
    def from_dict(cls, table: Mapping[str, object]) -> Self:
        """Build from kassi.toml's ``[judge]`` table."""
        return _build(cls, "judge", table)


@dataclass(frozen=True)
class Slo:
    """The service-level objective a baseline-free judgement compares against (kassi.toml ``[slo]``)."""

    __pydantic_config__: ClassVar[ConfigDict] = _NO_EXTRA

    p95_ms: StrictFloat | None = None
    error_rate: StrictFloat = 0.01

    def __post_init__(self) -> None:
        _check_range("error_rate", self.error_rate, 0.0, 1.0, table="slo")
        if self.p95_ms is not None:
            _check_range("p95_ms", self.p95_ms, 0.0, float("inf"), table="slo")

    @classmethod
    def from_dict(cls, table: Mapping[str, object]) -> Self:
        """Build from kassi.toml's ``[slo]`` table."""
        return _build(cls, "slo", table)


def _build(cls: type[T], table_name: str, table: Mapping[str, object]) -> T:
    """Validate strictly (no unknown keys, no strings or booleans for numbers) with pydantic."""
    try:
        return TypeAdapter(cls).validate_python(dict(table))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "?"
        if error["type"] == "unexpected_keyword_argument":
            known = ", ".join(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
            raise BadInput(f"[{table_name}] unknown key {key!r} (known: {known})") from None
        raise BadInput(f"[{table_name}] {key}: {error['msg']}") from None


def _check_range(
    name: str, value: float, low: float, high: float, *, low_open: bool = True, table: str = "judge"
) -> None:
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        raise BadInput(f"[{table}] {name} = {value!r} is out of range ({'(' if low_open else '['}{low}, {high}])")
