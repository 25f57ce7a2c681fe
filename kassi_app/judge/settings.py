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

    Why these defaults: requests in one block share the block's machine state, so the noise a shift
    must stand out from is the spread between blocks, not between requests (``judge.blocks``). On a
    busy two-core machine with k6, kassi's proxy and the service competing, a route's median moves
    ~10 % from one block's stage to the next (measured in A/A runs: one commit against itself). With
    the default two rounds (two blocks per variant and two stages, the noise pooled over the run's
    routes) the standard error of a shift is ~7 %, so the smallest shift a run detects with 80 %
    power is ~30 %, and the interval of an unchanged route ends near +15 %. ``min_shift_pct = 25``
    sits where a default run can rule a slowdown that matters in or out: a HEALTHY verdict then
    rests on evidence (the interval ends below it, or the power reaches it), and a 25 % shift is
    ~3.5 block standard errors, which block noise alone reaches in well under one run in a hundred.
    ``min_shift_ms`` keeps sub-millisecond routes from alarming on timer resolution. The p95 moves
    about twice as much from block to block as the median (its variance grows with q(1-q)/f(x_q)^2,
    and the density f is thin in the tail), hence ``min_tail_shift_pct = 40``. ``alpha`` is
    family-wise (Holm over routes and tests). Faults kassi exists for (a lock, an N+1 query, unbounded
    growth) move a route by multiples, far above these thresholds; finer shifts need more rounds or a
    quieter machine, and every verdict states the shift it could have detected. Trends are not
    cancelled by A/B interleaving within one variant, so they need a larger effect.

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
    min_shift_pct: StrictFloat = 25.0
    min_shift_ms: StrictFloat = 0.25
    min_error_increase: StrictFloat = 0.005
    min_samples: StrictInt = 50
    min_trend_pct: StrictFloat = 25.0
    min_tail_shift_pct: StrictFloat = 40.0
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

    def failure_threshold(self, base_rate: float) -> float:
        """The smallest rise in a share of failed answers (5xx or 429) that matters, from base's share.

        From a clean base, ``min_error_increase``. From a base that already fails, also
        ``min_shift_pct`` of its share: a failing route's error share moves from block to block and
        between two instances of one commit the way its latency does (an A/A run of a route failing
        73 % of the time measured 82 % in the other instance, +8.7 points), and "more of the same
        failure" must be as large as a latency shift to count.
        """
        return max(self.min_error_increase, self.min_shift_pct / 100.0 * base_rate)

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
