"""Each demo at both refs, started from worktrees the way a run starts them, answers real requests
the way its catalogue entry says: the fault shows at head and not at base; controls do not change.

Probes are small and bounded (count and deadline); timing checks use wide margins because the
machine is shared.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from kassi_app.demos import CATALOGUE, DemoRepo, init_demo, sensitivity_repo
from kassi_app.demos.probe import ProbeRequest, probe, probe_interleaved, requests_for
from kassi_app.target import RunningTarget, TargetSpec, checkout, start_target


class Output:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, stream: str, at: float, text: str) -> None:
        with self._lock:
            self.lines.append(text)

    def has(self, text: str) -> bool:
        with self._lock:
            return any(text in line for line in self.lines)


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DemoRepo]:
    root = tmp_path_factory.mktemp("demos")
    made = {name: init_demo(name, root / name) for name in CATALOGUE}
    made["sensitivity"] = sensitivity_repo(root / "sensitivity", 100)
    return made


@contextmanager
def both_refs(repo: DemoRepo, base_out: Output | None = None,
              head_out: Output | None = None) -> Iterator[tuple[RunningTarget, RunningTarget]]:
    """Base and head up at once (started in parallel to keep the suite fast), both cleaned up after."""
    spec = TargetSpec.load(repo.path)
    with ExitStack() as stack:
        trees = [stack.enter_context(checkout(repo.path, ref)) for ref in ("base", "head")]
        outs = (base_out or Output(), head_out or Output())
        starts = [start_target(spec, tree, out) for tree, out in zip(trees, outs, strict=True)]
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(start.__enter__) for start in starts]
            wait(futures)
        for start, future in zip(starts, futures, strict=True):
            if future.exception() is None:
                stack.push(start.__exit__)
        base, head = (future.result() for future in futures)
        yield base, head
    assert not any(tree.exists() for tree in trees)


def sequential_p25(base_url: str, req: ProbeRequest, n: int) -> float:
    result = probe(base_url, [req], workers=1, total=n)
    assert result.count(200, 300) == n
    return statistics.quantiles(result.latencies_ms, n=4)[0]


def interleaved_p25(targets: tuple[RunningTarget, RunningTarget], req: ProbeRequest, rounds: int) -> list[float]:
    """p25 latency of ``req`` at each target, one request to each in turn (contention hits both alike)."""
    results = probe_interleaved([t.base_url for t in targets], req, rounds)
    for result in results:
        assert result.count(200, 300) == rounds, result.statuses
    return [statistics.quantiles(r.latencies_ms, n=4)[0] for r in results]


def flagged_requests(name: str) -> list[ProbeRequest]:
    demo = CATALOGUE[name]
    return requests_for(demo.service.ops, demo.flagged)


def test_write_lock_fails_concurrent_writes_only_at_head(repos: dict[str, DemoRepo]) -> None:
    loans = flagged_requests("sqlite-write-lock")
    out = Output()
    with both_refs(repos["sqlite-write-lock"], head_out=out) as (base, head):
        before = probe(base.base_url, loans, workers=10, total=40)
        after = probe(head.base_url, loans, workers=10, total=40)
    assert before.statuses == {201: 40}
    assert after.count(500, 600) >= 4, after.statuses
    assert out.has("sqlite3.OperationalError: database is locked")


def test_n_plus_one_same_answer_more_cost(repos: dict[str, DemoRepo]) -> None:
    [orders] = flagged_requests("n-plus-one")
    with both_refs(repos["n-plus-one"]) as (base, head):
        base_json = httpx.get(base.base_url + orders.path, timeout=5).json()
        head_json = httpx.get(head.base_url + orders.path, timeout=5).json()
        base_p25 = sequential_p25(base.base_url, orders, 30)
        head_p25 = sequential_p25(head.base_url, orders, 30)
    assert head_json == base_json and len(base_json) == 20
    assert head_p25 > 1.4 * base_p25, (base_p25, head_p25)


def test_unbounded_history_grows_cost_at_head(repos: dict[str, DemoRepo]) -> None:
    [search] = flagged_requests("unbounded-history")
    with both_refs(repos["unbounded-history"]) as targets:
        before = interleaved_p25(targets, search, 20)
        for target in targets:
            probe(target.base_url, [search], workers=4, total=600, deadline_s=30)
        after = interleaved_p25(targets, search, 20)
    rises = {"base": after[0] - before[0], "head": after[1] - before[1]}
    assert rises["head"] > rises["base"] + 1.0, rises


def test_rate_limit_throttles_only_at_head(repos: dict[str, DemoRepo]) -> None:
    product = flagged_requests("tight-rate-limit")
    with both_refs(repos["tight-rate-limit"]) as (base, head):
        before = probe(base.base_url, product, workers=4, total=80)
        after = probe(head.base_url, product, workers=4, total=80)
        throttled = httpx.get(head.base_url + product[0].path, timeout=5)
    assert before.statuses == {200: 80}
    assert after.statuses[429] >= 20 and after.count(500, 600) == 0, after.statuses
    assert "rate limit exceeded" in after.error_bodies[0]
    assert throttled.status_code != 429 or throttled.headers["retry-after"] == "1"


def test_downstream_timeout_gives_504_only_at_head(repos: dict[str, DemoRepo]) -> None:
    quote = flagged_requests("downstream-timeout")
    out = Output()
    with both_refs(repos["downstream-timeout"], head_out=out) as (base, head):
        assert set(base.processes) == {"pricing", "target"}
        before = probe(base.base_url, quote, workers=16, total=64)
        after = probe(head.base_url, quote, workers=16, total=64)
    assert before.statuses == {200: 64}
    assert after.statuses[504] >= 6, after.statuses
    assert "pricing timed out" in after.error_bodies[0]
    assert out.has("pricing timed out")


def test_global_lock_slows_every_endpoint(repos: dict[str, DemoRepo]) -> None:
    demo = CATALOGUE["global-lock"]
    mix = requests_for(demo.service.ops, demo.flagged)
    medians = {}
    with both_refs(repos["global-lock"]) as targets:
        for ref, target in zip(("base", "head"), targets, strict=True):
            result = probe(target.base_url, mix, workers=12, total=120)
            assert result.statuses == {200: 120}
            medians[ref] = result.median_ms
    assert medians["head"] > 2 * medians["base"], medians


@pytest.mark.parametrize(("name", "paths"), [
    ("healthy-refactor", ["/api/products?limit=5", "/api/products/42"]),
    ("healthy-new-endpoint", ["/api/products/42", "/api/search?q=oak"]),
    ("healthy-outside-endpoint", ["/api/books/17", "/api/members/3/loans"]),
])
def test_healthy_controls_answer_the_same(repos: dict[str, DemoRepo], name: str, paths: list[str]) -> None:
    with both_refs(repos[name]) as (base, head):
        answers = [[httpx.get(t.base_url + p, timeout=5).json() for p in paths] for t in (base, head)]
        categories = [httpx.get(t.base_url + "/api/categories", timeout=5).status_code for t in (base, head)]
    assert answers[0] == answers[1]
    if name == "healthy-new-endpoint":
        assert categories == [404, 200]


def test_sensitivity_head_costs_more(repos: dict[str, DemoRepo]) -> None:
    token = ProbeRequest("POST", "/api/tokens", {"subject": "alice"})
    with both_refs(repos["sensitivity"]) as targets:
        base_p25, head_p25 = interleaved_p25(targets, token, 20)
    assert head_p25 > 1.3 * base_p25, (base_p25, head_p25)
