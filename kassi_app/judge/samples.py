"""Access events grouped into per-route, per-variant arrays: the unit every test runs on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kassi_app.endpoint import Endpoint
from kassi_app.events import AccessEvent

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Sample:
    """One variant's requests to one route. Latency is judged on answered requests only (not 5xx,
    not 429), because failures and rejections have their own tests and their own (often tiny) times."""

    times: FloatArray
    durations: FloatArray
    status: IntArray
    stages: npt.NDArray[np.str_]
    blocks: IntArray

    @classmethod
    def of(cls, events: list[AccessEvent]) -> Sample:
        """Events in time order, so resampling with a fixed seed does not depend on arrival order."""
        events = sorted(events, key=lambda e: (e._time, e.duration_ms, e.status, e.block))
        return cls(
            np.array([e._time for e in events], dtype=np.float64),
            np.array([e.duration_ms for e in events], dtype=np.float64),
            np.array([e.status for e in events], dtype=np.int64),
            np.array([e.stage for e in events], dtype=np.str_),
            np.array([e.block for e in events], dtype=np.int64),
        )

    @property
    def n(self) -> int:
        return int(self.status.size)

    @property
    def server_errors(self) -> int:
        return int(np.count_nonzero(self.status >= 500))

    @property
    def throttled(self) -> int:
        return int(np.count_nonzero(self.status == 429))

    def answered(self) -> Sample:
        """The requests whose latency means something: neither a server error nor a 429."""
        return self.where((self.status < 500) & (self.status != 429))

    def where(self, mask: BoolArray) -> Sample:
        return Sample(self.times[mask], self.durations[mask], self.status[mask], self.stages[mask], self.blocks[mask])

    def by_block(self) -> list[Sample]:
        """The sample split by A/B block, in block order (empty when the load carried no blocks)."""
        return [self.where(self.blocks == b) for b in np.unique(self.blocks) if b >= 0]

    def by_stage(self) -> dict[str, Sample]:
        return {str(s): self.where(self.stages == s) for s in np.unique(self.stages)}

    def strata(self) -> list[Sample]:
        """One sample per (stage, block): the stretches of the run under one load level and variant."""
        return [stage.where(stage.blocks == b) for stage in self.by_stage().values() for b in np.unique(stage.blocks)]


def block_pairs(base: Sample, head: Sample) -> list[tuple[Sample, Sample]]:
    """Base and head blocks paired in run order (ABBA: the first base block with the first head block),
    both non-empty. A signal that holds in a majority of pairs is not one noisy block's doing."""
    pairs = zip(base.by_block(), head.by_block(), strict=False)
    return [(b, h) for b, h in pairs if b.n and h.n]


def consistent(hits: int, pairs: int) -> bool:
    """A strict majority of block pairs agree; with fewer than two pairs there is nothing to check."""
    return pairs < 2 or 2 * hits > pairs


def group(events: Iterable[AccessEvent], variants: tuple[str, ...]) -> dict[Endpoint, dict[str, Sample]]:
    """Per route, per variant, the sample (only the variants asked for; routes sorted)."""
    buckets: dict[Endpoint, dict[str, list[AccessEvent]]] = defaultdict(lambda: defaultdict(list))
    for event in events:
        if event.variant in variants and event.route:
            buckets[Endpoint(event.http_method.upper(), event.route)][event.variant].append(event)
    return {
        endpoint: {variant: Sample.of(found) for variant, found in buckets[endpoint].items()}
        for endpoint in sorted(buckets)
    }
