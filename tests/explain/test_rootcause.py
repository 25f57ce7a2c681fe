"""Root cause from synthetic tracebacks and hunks, error normalisation, the written analysis."""

from __future__ import annotations

from collections import Counter

import pytest
from judge_stubs import Changed, Hunk, judged
from kassi_bench.synthetic import RouteSpec, ab_events

from kassi_app.events import LogEvent, ParsedException, StackFrame
from kassi_app.explain import render_analysis
from kassi_app.explain.analysis import PLAYBOOK
from kassi_app.explain.errorkinds import error_kind
from kassi_app.explain.normalise import normalise

WRITE = Changed("POST", "/api/visits", file="app/visits.py")
ROOT = "/tmp/kassi-wt-head"


def _locked(i: int, variant: str = "head", line: int = 42) -> LogEvent:
    frames = (
        StackFrame(f"{ROOT}/.venv/lib/python3.13/site-packages/flask/app.py", 880, "full_dispatch_request"),
        StackFrame(f"{ROOT}/app/visits.py", 17, "create_visit"),
        StackFrame(f"{ROOT}/app/db.py", line, "insert_visit"),
        StackFrame("/usr/lib/python3.13/sqlite3/dbapi2.py", 10, "execute"),
    )
    message = f"database is locked (visit {1000 + i}, file '/tmp/x{i}.db')"
    exc = ParsedException("sqlite3.OperationalError", message, frames)
    return LogEvent(1010.0 + i, "r1", variant, "stderr", "ERROR", "Traceback ...", exc)  # type: ignore[arg-type]


def _regression_events() -> list:  # type: ignore[type-arg]
    spec = RouteSpec(method="POST", route="/api/visits", errors_at_head=0.15, error_text="database is locked")
    return ab_events([spec, RouteSpec(route="/api/owners", n=600)], seed=21)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("database is locked", "database is locked"),
        ("no such row id=42 in '/tmp/a/b.db'", "no such row id=<n> in '<v>'"),
        ('KeyError: "owner-17"', "KeyError: '<v>'"),
        ("object at 0x7f3a2b1c", "object at <hex>"),
        ("user 3f2a9c1e-1111-2222-3333-444455556666 gone", "user <id> gone"),
        ("timeout after 2.5s calling 127.0.0.1:8081", "timeout after <n>s calling <n>:<n>"),
        ("open /srv/app/data/x.json failed", "open <path> failed"),
        ("abc123 v2 stay", "abc123 v2 stay"),
        ('{"detail": "pricing timed out"}', "pricing timed out"),
        ('{"title": "Conflict", "status": 409}', "Conflict"),
        ('{"detail": "order 42', "{'<v>': \"order <n>"),  # a cut-off excerpt stays text
    ],
)
def test_normalise_keeps_one_cause_together(raw: str, normalised: str) -> None:
    assert normalise(raw) == normalised


def test_regression_root_cause_names_the_error_the_frame_and_the_hunk() -> None:
    logs = [_locked(i) for i in range(30)] + [_locked(i, "base") for i in range(2)]
    verdict = judged(_regression_events(), [WRITE], logs=logs, hunks=[Hunk("app/db.py", 38, 47)], repo_roots=[ROOT])
    assert verdict.cls == "REGRESSION"
    cause = verdict.root_cause
    assert cause is not None
    assert cause.kind == "database_locked" and cause.introduced
    assert cause.error == "sqlite3.OperationalError: database is locked (visit <n>, file '<v>')"
    assert cause.location == "app/db.py:42"
    assert "introduced by this change, at app/db.py:42" in cause.summary
    sources = {e.source for e in verdict.evidence}
    assert {"proxy", "target log"} <= sources
    assert any("error bodies read 'database is locked'" in e.fact for e in verdict.evidence)
    text = render_analysis(verdict)
    for section in (
        "## Summary",
        "## Affected endpoints",
        "## Root cause",
        "## Evidence",
        "## Recommendation",
    ):
        assert section in text
    assert "Keep write transactions short" in text and "_(source: target log)_" in text
    assert text == render_analysis(verdict)  # deterministic


def test_a_frame_outside_every_hunk_names_the_frame_and_the_hunk_in_its_file() -> None:
    logs = [_locked(i, line=90) for i in range(10)]
    verdict = judged(_regression_events(), [WRITE], logs=logs, hunks=[Hunk("app/db.py", 38, 47)], repo_roots=[ROOT])
    cause = verdict.root_cause
    assert cause is not None and not cause.introduced
    assert cause.location == "app/db.py:90 in insert_visit" and cause.hunk == "app/db.py:38-47"


def test_without_logs_the_proxy_excerpt_and_the_handler_hunk_make_the_cause() -> None:
    hunks = [Hunk("app/other.py", 1, 3), Hunk("app/visits.py", 10, 20)]
    verdict = judged(_regression_events(), [WRITE], hunks=hunks)
    cause = verdict.root_cause
    assert cause is not None
    assert cause.error == "database is locked" and cause.hunk == "app/visits.py:10-20"
    assert "this change touched app/visits.py:10-20" in cause.summary


def test_an_exception_equally_common_at_base_is_not_the_cause() -> None:
    logs = [_locked(i, v) for i in range(5) for v in ("head", "base")]
    verdict = judged(_regression_events(), [WRITE], logs=logs)
    assert verdict.root_cause is not None and verdict.root_cause.error == "database is locked"


def test_504s_are_a_downstream_timeout() -> None:
    events = [
        e.__class__(**{**e.to_dict(), "status": 504, "error": "upstream timed out after 2000 ms"})
        if e.status == 500
        else e
        for e in _regression_events()
    ]
    verdict = judged(events, [WRITE])
    assert verdict.root_cause is not None and verdict.root_cause.kind == "downstream_timeout"
    assert "circuit breaker" in render_analysis(verdict)


def test_a_healthy_verdict_has_no_root_cause() -> None:
    verdict = judged(ab_events([RouteSpec()], seed=1), [Changed("GET", "/api/items")])
    assert verdict.root_cause is None and "Nothing to do." in render_analysis(verdict)


def test_queries_the_target_logged_outrank_scaling_for_an_n_plus_one() -> None:
    """Slower and scaling worse at head, and the target's SQL log (logger-prefixed lines, values bound)
    shows one SELECT repeated per request: the direct evidence names the mechanism, not the symptom."""
    orders = Changed("GET", "/api/customers/{id}/orders")
    spec = RouteSpec(route="/api/customers/{id}/orders", shift_at_head=1.6, high_factor_at_head=3.0)
    events = ab_events([spec, RouteSpec(route="/api/products", n=600)], seed=31)
    head_requests = sum(e.variant == "head" for e in events)
    logs = [
        LogEvent(
            1010.0 + i / 1000,
            "r1",
            "head",
            "stderr",
            "DEBUG",
            f"DEBUG shop.sql: SELECT price FROM products WHERE id = {i}",
        )
        for i in range(4 * head_requests)
    ]
    verdict = judged(events, [orders], logs=logs, stage_users=(2, 16))
    route = verdict.routes[0]
    assert {"latency_shift", "scaling"} <= {s.name for s in route.signals}
    assert verdict.root_cause is not None and verdict.root_cause.kind == "n_plus_one"
    assert "SELECT price FROM products WHERE id = <n>" in verdict.root_cause.summary
    assert "WHERE id = \\<n>" in render_analysis(verdict), "escaped, or a markdown renderer drops <n> as a tag"


def test_growth_on_the_changed_route_outranks_a_collateral_route_scaling() -> None:
    """The changed route's latency grows over the run; an unchanged route scales worse (it queues behind
    the growing work). The cause is named on the changed route, the collateral one is reported."""
    items = Changed("GET", "/api/items")
    growing = RouteSpec(growth_ms_per_s_at_head=0.4)
    queueing = RouteSpec(route="/api/other", n=600, median_ms=3.0, high_factor_at_head=4.0)
    verdict = judged(ab_events([growing, queueing], seed=5), [items], stage_users=(2, 16))
    signals = {str(r.endpoint): {s.name for s in r.signals} for r in verdict.routes}
    assert "trend" in signals["GET /api/items"] and "scaling" in signals["GET /api/other"]
    cause = verdict.root_cause
    assert cause is not None and cause.kind == "growth"
    assert cause.summary.startswith("latency rises over the run on GET /api/items")
    assert "unchanged routes slowed too (GET /api/other)" in cause.summary


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # PostgreSQL (psycopg), as raised through SQLAlchemy
        ("(psycopg.errors.DeadlockDetected) deadlock detected\nDETAIL:  Process 4242 waits for ShareLock on "
         "transaction 991; blocked by process 4243.", "deadlock"),
        ("psycopg2.errors.LockNotAvailable: canceling statement due to lock timeout", "database_locked"),
        ("psycopg2.errors.QueryCanceled: canceling statement due to statement timeout", "downstream_timeout"),
        # MySQL (PyMySQL / mysqlclient)
        ("(1213, 'Deadlock found when trying to get lock; try restarting transaction')", "deadlock"),
        ("(1205, 'Lock wait timeout exceeded; try restarting transaction')", "database_locked"),
        # SQLAlchemy's pool
        ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, "
         "timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)", "pool_exhausted"),
        # SQLite
        ("sqlite3.OperationalError: database is locked", "database_locked"),
        # Redis clients (redis-py)
        ("redis.exceptions.TimeoutError: Timeout reading from socket", "downstream_timeout"),
        ("redis.exceptions.ConnectionError: Too many connections", "pool_exhausted"),
        # HTTP clients
        ("httpx.ReadTimeout: timed out", "downstream_timeout"),
        ("requests.exceptions.ReadTimeout: HTTPConnectionPool(host='pricing', port=80): Read timed out. "
         "(read timeout=2)", "downstream_timeout"),
        ("httpx.PoolTimeout", "pool_exhausted"),
        ("KeyError: 'sku-42'", "server_error"),
    ],
)
def test_error_kinds_are_recognised_from_real_messages(message: str, kind: str) -> None:
    assert error_kind(message, Counter()) == kind


def test_the_root_cause_keeps_the_grouped_error_and_shows_one_raw_message() -> None:
    spec = RouteSpec(errors_at_head=0.1, error_text='{"detail": "KeyError: \'sku-42\'"}')
    verdict = judged(ab_events([spec], seed=1), [Changed("GET", "/api/items")])
    cause = verdict.root_cause
    assert cause is not None and cause.error == "KeyError: '<v>'"
    assert cause.example == "KeyError: 'sku-42'" and "for example: KeyError: 'sku-42'" in cause.summary
    assert cause.to_dict()["example"] == "KeyError: 'sku-42'"


def test_the_playbook_advice_is_database_neutral() -> None:
    for kind in ("database_locked", "deadlock", "pool_exhausted"):
        assert "PRAGMA" not in PLAYBOOK[kind] and "sqlite3.connect" not in PLAYBOOK[kind]
