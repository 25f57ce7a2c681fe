"""The deterministic claim check on the analysis of a real run (the trimmed verdict of
``kassi demo run sqlite-write-lock --json``) and on tampered copies of it."""

from __future__ import annotations

from typing import Any

from kassi_app.remedy.audit import check_claims, claims_of, facts_of


def test_every_claim_of_the_real_analysis_is_in_the_evidence(lock_verdict: dict[str, Any]) -> None:
    report = check_claims(lock_verdict["analysis"], lock_verdict)
    kinds = {claim.kind for claim, _ in report.checked}
    assert kinds == {"route", "number", "error", "location"}
    assert len(report.checked) > 40
    assert report.unsupported == []
    sources = {claim.text: source for claim, source in report.checked}
    assert sources["app.py:116"] == "target log"
    assert sources["sqlite3.OperationalError"] == "target log"
    assert sources["96.26"] == "judge"  # a median from the route's figures, rounded as the table shows it


def test_tampered_claims_are_reported_with_their_line(lock_verdict: dict[str, Any]) -> None:
    analysis = lock_verdict["analysis"]
    tampered = (analysis.replace("436 failing requests", "512 failing requests")
                .replace("raised at app.py:116", "raised at app.py:140")
                .replace("## Root cause\n\n", "## Root cause\n\nGET /api/admin/export also fails with "
                         "'disk I/O error' (a TimeoutError in db.py:7).\n\n"))
    report = check_claims(tampered, lock_verdict)
    unsupported = {(c.kind, c.text) for c in report.unsupported}
    assert unsupported == {("number", "512"), ("location", "app.py:140"), ("route", "GET /api/admin/export"),
                           ("error", "disk I/O error"), ("error", "TimeoutError"), ("location", "db.py:7")}
    line = next(c.line for c in report.unsupported if c.text == "512")
    assert "512 failing requests" in tampered.splitlines()[line - 1]
    assert report.to_dict()["unsupported"]


def test_a_number_must_come_from_the_route_its_line_is_about(lock_verdict: dict[str, Any]) -> None:
    """Each figure of GET /api/books's row is checked against GET /api/books's facts: the median of
    GET /api/books/{book_id} (89.79) or of POST /api/loans (165.92) does not support it."""
    row = "| GET /api/books | unchanged | INCONCLUSIVE | 96.26"
    for stolen in ("89.79", "165.92"):
        tampered = lock_verdict["analysis"].replace(row, row.replace("96.26", stolen))
        unsupported = check_claims(tampered, lock_verdict).unsupported
        assert [(c.text, c.about) for c in unsupported] == [(stolen, "GET /api/books")]


def test_a_location_inside_the_named_hunk_is_supported_and_advice_is_not_checked(lock_verdict: dict[str, Any]) -> None:
    text = "The lock is taken at app.py:114, inside the hunk.\n\n## Recommendation\n\nSet timeout=5 on GET /x.\n"
    report = check_claims(text, lock_verdict)
    assert [(c.text, source) for c, source in report.checked] == [("app.py:114", "root cause")]


def test_numbers_inside_routes_and_quotes_are_not_separate_claims() -> None:
    claims = [(c.kind, c.text) for c in claims_of("GET /api/v2/items read 'error 503 upstream' x9.4 p95 5xx\n")]
    assert claims == [("error", "error 503 upstream"), ("route", "GET /api/v2/items"), ("number", "9.4")]


def test_facts_carry_their_sources(lock_verdict: dict[str, Any]) -> None:
    sources = {f.source for f in facts_of(lock_verdict)}
    assert sources == {"proxy", "target log", "judge", "root cause"}
