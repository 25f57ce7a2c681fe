"""Split one load over N k6 processes with execution segments, run them together, merge their results.

k6 evaluates nothing across processes, so the merge is kassi's: counters and check counts add up,
rates are recomputed from their summed passes/fails, and trend quantiles are recomputed from the
merged per-request points (averaging per-process percentiles would be wrong).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kassi_app.load.points import trend_stats, trend_values
from kassi_app.load.runner import (
    THRESHOLDS_CROSSED,
    JsonDict,
    K6Process,
    K6Result,
    Segment,
    resolve_k6,
    run_k6,
    run_processes,
)


def run_segmented(script_path: Path, n: int, *, env: Mapping[str, str], workdir: Path, timeout_s: float,
                  k6: Path | None = None) -> K6Result:
    """Run ``n`` segments of the same test concurrently on this machine and merge them into one result."""
    if n < 1:
        raise ValueError("segments must be at least 1")
    if n == 1:
        return run_k6(script_path, env=env, workdir=workdir, timeout_s=timeout_s, k6=k6)
    binary = resolve_k6(k6)
    processes: list[K6Process] = []
    try:
        for index in range(n):
            processes.append(K6Process(binary, script_path, env, workdir, Segment(index, n)))
    except BaseException:
        for started in processes:
            started.kill()
        raise
    return merge_results(run_processes(processes, timeout_s))


def _is_trend(metric: Mapping[str, Any]) -> bool:
    return "avg" in metric or "med" in metric


def merge_summaries(summaries: list[JsonDict], points: dict[str, list[float]]) -> JsonDict:
    """One summary-export dict from several; trends from ``points`` (metric -> all values)."""
    merged: JsonDict = copy.deepcopy(summaries[0])
    metrics: JsonDict = merged.setdefault("metrics", {})
    for other in summaries[1:]:
        for name, metric in other.get("metrics", {}).items():
            if name not in metrics:
                metrics[name] = copy.deepcopy(metric)
                continue
            into = metrics[name]
            if not _is_trend(into):
                for key in ("count", "rate", "passes", "fails"):
                    if key in metric:
                        into[key] = into.get(key, 0) + metric[key]
                if "passes" not in into and "value" in into:  # gauges (vus): concurrent processes add up
                    for key in ("value", "min", "max"):
                        into[key] = into.get(key, 0) + metric.get(key, 0)
            for expr, crossed in (metric.get("thresholds") or {}).items():
                into.setdefault("thresholds", {})[expr] = bool(into["thresholds"].get(expr)) or bool(crossed)
        _merge_checks(merged.setdefault("root_group", {}), other.get("root_group", {}))
    for name, metric in metrics.items():
        if "passes" in metric and "fails" in metric:
            total = metric["passes"] + metric["fails"]
            metric["value"] = metric["passes"] / total if total else 0.0
        if _is_trend(metric) and name in points:
            stats = [key for key in metric if key != "thresholds"]
            metric.update(trend_stats(points[name], stats))
    return merged


def _merge_checks(into: JsonDict, other: JsonDict) -> None:
    checks: JsonDict = into.setdefault("checks", {})
    for name, check in (other.get("checks") or {}).items():
        if name in checks:
            checks[name]["passes"] += check.get("passes", 0)
            checks[name]["fails"] += check.get("fails", 0)
        else:
            checks[name] = copy.deepcopy(check)
    groups: JsonDict = into.setdefault("groups", {})
    for name, group in (other.get("groups") or {}).items():
        _merge_checks(groups.setdefault(name, {"name": group.get("name", name)}), group)


def merge_results(parts: list[K6Result]) -> K6Result:
    """The segments as one run: exit 99 if any crossed a threshold, duration of the slowest."""
    summaries = [part.summary for part in parts]
    trend_names = frozenset(name for summary in summaries
                            for name, metric in summary.get("metrics", {}).items() if _is_trend(metric))
    files = tuple(path for part in parts for path in part.points_files)
    summary = merge_summaries(summaries, trend_values(files, trend_names))
    crossed = any(part.thresholds_crossed for part in parts)
    return K6Result(
        exit_code=THRESHOLDS_CROSSED if crossed else 0,
        summary=summary,
        requests=sum(part.requests for part in parts),
        duration_s=max(part.duration_s for part in parts),
        points_files=files,
        stderr_tail=tuple(line for part in parts for line in part.stderr_tail),
        parts=tuple(parts),
    )
