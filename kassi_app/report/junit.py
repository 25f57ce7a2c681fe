"""The run as JUnit XML, the test-report format every CI system reads: one test case per judged route,
a failure for REGRESSION / DEGRADING and a skip for INCONCLUSIVE, each with the judge's reason.

Built with the standard library's ElementTree (it escapes text and attributes correctly); the shape
follows the Jenkins/Ant ``junit-10.xsd`` the tests validate against."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from kassi_app.report.data import ReportData
from kassi_app.report.facts import FAILING, route_facts

SUITE = "kassi"


def _case(suite: ET.Element, run_id: str, route: Mapping[str, Any]) -> tuple[bool, bool]:
    """Add one route's test case; return (failed, skipped)."""
    f = route_facts(route)
    case = ET.SubElement(suite, "testcase", name=f.label or "route", classname=f"{SUITE}.{run_id}")
    detail = (
        f"{f.label}: {f.cls} ({f.change})\nreason: {f.reason}\nsamples: {f.samples}\n"
        f"median ms base -> head: {f.median}\nHodges-Lehmann shift: {f.shift}\n"
        f"5xx: {f.errors}\n429: {f.throttled}\nsignals: {f.signals or '-'}"
    )
    if f.cls in FAILING:
        ET.SubElement(case, "failure", message=f.reason, type=f.cls).text = detail
    elif f.cls == "INCONCLUSIVE":
        ET.SubElement(case, "skipped", message=f.reason, type=f.cls).text = detail
    else:
        ET.SubElement(case, "system-out").text = detail
    return f.cls in FAILING, f.cls == "INCONCLUSIVE"


def render_junit(data: ReportData) -> str:
    """The JUnit document. A run that judged no route (it failed before a verdict) is one skipped case
    carrying the run's reason, so CI shows why instead of an empty report."""
    record = data.record
    run_id = str(record.get("run_id", "unknown"))
    timings = record.get("timings_s") or {}
    seconds = sum(v for v in timings.values() if isinstance(v, int | float)) if isinstance(timings, Mapping) else 0
    suites = ET.Element("testsuites", name=SUITE)
    suite = ET.SubElement(suites, "testsuite", name=f"{SUITE} {run_id}")
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", run_id),
        ("ledger_head", data.ledger_head),
        ("verdict", data.verdict_class),
        ("verdict_reason", data.reason),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    failures = skipped = 0
    routes = data.routes
    for route in routes:
        failed, skip = _case(suite, run_id, route)
        failures += failed
        skipped += skip
    if not routes:
        case = ET.SubElement(suite, "testcase", name="run", classname=f"{SUITE}.{run_id}")
        ET.SubElement(case, "skipped", message=data.reason, type=data.verdict_class).text = data.reason
        skipped = 1
    tests = max(len(routes), 1)
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0", "time": f"{seconds:.3f}"}
    suite.attrib.update({**counts, "skipped": str(skipped)})
    suites.attrib.update(counts)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
