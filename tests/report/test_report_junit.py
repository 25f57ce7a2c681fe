"""JUnit XML: one test case per judged route, validated against the Jenkins/Ant junit-10.xsd."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from report_home import RUN_ID, RunHome, fixture_record

from kassi_app.report import render

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit-10.xsd"))


def _junit(record: dict[str, Any]) -> ET.Element:
    text = render(record, "junit")
    SCHEMA.validate(text)  # raises with the offending element when the document breaks the schema
    return ET.fromstring(text)


def test_regression_is_a_failure_inconclusive_a_skip_with_the_judges_reasons(run_home: RunHome) -> None:
    root = _junit(run_home.record)
    suite = root.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["run_id"] == RUN_ID
    assert props["ledger_head"] == run_home.record["ledger"]["head"]
    assert props["verdict"] == "REGRESSION"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"POST /api/loans", "GET /api/books"}
    failure = cases["POST /api/loans"].find("failure")
    assert failure is not None and failure.get("type") == "REGRESSION"
    assert failure.get("message") == "server errors 0.0 % at base → 41.0 % at head (+41.0 points)"
    assert "-124.2 ms [-141.8, -105.5]" in (failure.text or "")  # the judge's shift, as recorded
    skipped = cases["GET /api/books"].find("skipped")
    assert skipped is not None and "too noisy" in (skipped.get("message") or "")
    counts = [suite.get(k) for k in ("tests", "failures", "skipped", "errors")]
    assert counts == ["2", "1", "1", "0"]


@pytest.mark.parametrize("cls", ["HEALTHY", "THROTTLED"])
def test_passing_classes_have_neither_failure_nor_skip(cls: str) -> None:
    record = fixture_record()
    for route in record["verdict"]["routes"]:
        route["class"] = cls
    suite = _junit(record).find("testsuite")
    assert suite is not None
    assert not list(suite.iter("failure")) and not list(suite.iter("skipped"))
    assert all(c.find("system-out") is not None for c in suite.iter("testcase"))


def test_a_run_that_judged_nothing_is_one_skipped_case_with_the_reason() -> None:
    record = fixture_record()
    record["verdict"] = {"class": "INCONCLUSIVE", "reason": "the proxy recorded no requests", "routes": []}
    suite = _junit(record).find("testsuite")
    assert suite is not None
    cases = list(suite.iter("testcase"))
    assert len(cases) == 1
    skipped = cases[0].find("skipped")
    assert skipped is not None and skipped.get("message") == "the proxy recorded no requests"


def test_markup_in_reasons_survives_escaping() -> None:
    record = copy.deepcopy(fixture_record())
    nasty = 'error body <!doctype html> & "quotes" ]]> \u00e9'
    failing = next(r for r in record["verdict"]["routes"] if r["class"] == "REGRESSION")
    failing["reason"] = nasty
    failure = next(_junit(record).iter("failure"))
    assert failure.get("message") == nasty
