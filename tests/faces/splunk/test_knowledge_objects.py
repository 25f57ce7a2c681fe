"""The app's knowledge objects for kassi's events: sourcetypes that break and timestamp the JSON the
engine writes, CIM Web fields for kassi:access, the lookups the views join on (checked against the
engine's own verdict classes and phase cards), and alerts that ship disabled with what an alert
action needs."""

from __future__ import annotations

import csv
import json
import re
from typing import Any, get_args

import pytest
from splunk_app import DEFAULT, LOOKUP_REF, LOOKUPS, MACRO_REF, ROOT, read_conf, studio_views

from kassi_app.events import AccessEvent
from kassi_app.judge.model import VerdictClass
from kassi_app.workflow.cards import MAJOR_ARCANA
from kassi_app.workflow.render import arcana

SOURCETYPES = ("kassi:run", "kassi:phase", "kassi:access", "kassi:client", "kassi:log", "kassi:watch")
PROPS = read_conf(DEFAULT / "props.conf")
MACROS = read_conf(DEFAULT / "macros.conf")
TRANSFORMS = read_conf(DEFAULT / "transforms.conf")
ALERTS = read_conf(DEFAULT / "savedsearches.conf")
CIM_WEB = {"src", "dest", "url", "uri_path", "http_method", "status", "duration", "response_time", "bytes_out"}
"""The CIM Web data model fields kassi's access events can fill."""
ALERT_FIELDS = {"repo", "commit", "route", "verdict", "root_cause", "run_id", "run_link"}
RUN_VIEW_PATH = "/app/kassi/kassi_run?form.run_id="


def read_lookup(name: str) -> list[dict[str, str]]:
    with (LOOKUPS / TRANSFORMS[name]["filename"]).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("sourcetype", SOURCETYPES)
def test_sourcetype_breaks_and_extracts_json_lines(sourcetype: str) -> None:
    # props.conf regexes are PCRE; the subset kassi uses reads the same in Python's re.
    props = PROPS[sourcetype]
    assert props["KV_MODE"] == "json"
    assert props["SHOULD_LINEMERGE"] == "false"
    assert re.compile(props["LINE_BREAKER"]).groups == 1, "LINE_BREAKER needs one capture group"
    assert 10_000 <= int(props["TRUNCATE"]) <= 2**20
    assert props["TIME_FORMAT"] == "%s.%6N"


@pytest.mark.parametrize("sourcetype", SOURCETYPES)
@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")], ids=["compact", "spaced"])
def test_timestamp_is_found_in_the_json_the_engine_writes(sourcetype: str, separators: tuple[str, str]) -> None:
    """The engine's events are dicts whose first key is `_time` (epoch seconds, float), as
    AccessEvent.to_dict() gives; json.dumps, compact or not, must put the epoch right after
    TIME_PREFIX and within MAX_TIMESTAMP_LOOKAHEAD."""
    event = AccessEvent(1764391268.123456, "r1", "head", "POST", "/api/loans", "/api/loans", 500, 12.5, 40).to_dict()
    line = json.dumps({**event, "nested": {"time": 1}}, separators=separators)
    props = PROPS[sourcetype]
    found = re.compile(props["TIME_PREFIX"]).search(line)
    assert found is not None
    window = line[found.end() : found.end() + int(props["MAX_TIMESTAMP_LOOKAHEAD"])]
    assert re.match(r"1764391268\.123456\b", window), window
    assert len(re.compile(props["LINE_BREAKER"]).split(line + "\n" + line)) == 3, "one event per line"


def test_access_events_carry_every_cim_web_field() -> None:
    props = PROPS["kassi:access"]
    fields = set(AccessEvent(0.0, "r", "base", "GET", "/", "/", 200, 1.0, 0).to_dict())
    for key, value in props.items():
        if key.startswith("FIELDALIAS-"):
            aliases = re.findall(r"(\S+) AS (\S+)", value)
            assert all(source in fields for source, _ in aliases), aliases
            fields |= {alias for _, alias in aliases}
        elif key.startswith("EVAL-"):
            fields.add(key.removeprefix("EVAL-"))
    assert fields >= CIM_WEB, f"missing CIM Web fields: {CIM_WEB - fields}"
    assert "duration_ms AS duration" in props["FIELDALIAS-kassi_cim_web"]
    assert "duration_ms AS response_time" in props["FIELDALIAS-kassi_cim_web"]


def test_access_events_are_tagged_web_where_the_cim_app_sees_them() -> None:
    eventtypes = read_conf(DEFAULT / "eventtypes.conf")
    tags = read_conf(DEFAULT / "tags.conf")
    tagged = [name for name, et in eventtypes.items() if et["search"] == "sourcetype=kassi:access"]
    assert tagged == ["kassi_access"]
    assert tags["eventtype=kassi_access"]["web"] == "enabled"
    meta = read_conf(ROOT / "metadata" / "default.meta")
    for kind in ("props", "eventtypes", "tags"):
        assert meta[kind]["export"] == "system", f"the CIM data models cannot see kassi's {kind}"


def test_kassi_index_defaults_to_main_and_is_shared() -> None:
    assert MACROS["kassi_index"] == {"definition": "index=main", "iseval": "0"}
    meta = (ROOT / "metadata" / "default.meta").read_text()
    assert "[macros/kassi_index]\nexport = system" in meta


def test_verdict_classes_lookup_covers_every_class_the_judge_gives() -> None:
    rows = read_lookup("kassi_verdict_classes")
    assert [r["class"] for r in rows] == list(get_args(VerdictClass))
    assert all(re.fullmatch(r"#[0-9A-F]{6}", r["colour"]) and r["meaning"] for r in rows)
    assert {r["class"] for r in rows if r["page"] == "yes"} == {"REGRESSION", "DEGRADING"}
    assert {r["page"] for r in rows} == {"yes", "no"}


def test_arcana_lookup_matches_the_workflow_graph() -> None:
    rows = read_lookup("kassi_arcana_cards")
    by_phase = {r["phase"]: (r["card"], r["meaning"]) for r in rows}
    assert len(by_phase) == len(rows), "a phase is listed twice"
    for card, phase, meaning in arcana():
        assert by_phase.pop(phase) == (card, meaning), phase
    assert not by_phase, f"lookup rows name no phase of the graph: {sorted(by_phase)}"
    assert all(r["card"] in MAJOR_ARCANA for r in rows)
    assert len({r["card"] for r in rows}) == len(rows), "two phases share a card"


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_lookup_definitions_point_at_shipped_csv_files(name: str) -> None:
    path = LOOKUPS / TRANSFORMS[name]["filename"]
    assert path.is_file() and path.suffix == ".csv"
    assert read_lookup(name), f"{path.name} is empty"


@pytest.mark.parametrize("name", sorted(ALERTS))
def test_alerts_ship_disabled_and_carry_what_an_alert_action_needs(name: str) -> None:
    alert = ALERTS[name]
    assert alert["disabled"] == "1", "alerts are the team's choice: they ship disabled"
    assert alert["enableSched"] == "1" and alert["cron_schedule"]
    assert alert["alert.suppress.fields"] == "run_id", "a run published twice must alert once"
    search = alert["search"]
    assert search.startswith("`kassi_index` sourcetype=kassi:run ")
    assert "`kassi_dedup_runs`" in search
    table = search.rsplit("| table", 1)[1].split()
    assert set(table) >= ALERT_FIELDS, f"missing {ALERT_FIELDS - set(table)}"
    assert "run_link=`kassi_run_link(run_id)`" in search


def test_every_macro_and_lookup_in_conf_searches_is_defined() -> None:
    searches: list[Any] = [a["search"] for a in ALERTS.values()] + [m["definition"] for m in MACROS.values()]
    assert searches
    for search in searches:
        for macro, args in MACRO_REF.findall(search):
            assert (f"{macro}({len(args.split(','))})" if args else macro) in MACROS, macro
        for lookup in LOOKUP_REF.findall(search):
            assert lookup in TRANSFORMS, lookup


def test_run_link_opens_the_run_view_with_its_input_token() -> None:
    link = MACROS["kassi_run_link(1)"]
    assert link["args"] == "run_id" and link["iseval"] == "0"
    assert f'"{RUN_VIEW_PATH}" . $run_id$' in link["definition"]
    run_view_tokens = {i["options"]["token"] for i in studio_views()["kassi_run"]["inputs"].values()}
    assert "run_id" in run_view_tokens, "form.run_id must name an input token of the run view"


def test_every_macro_argument_used_is_declared() -> None:
    for stanza, macro in MACROS.items():
        used = set(re.findall(r"\$(\w+)\$", macro["definition"]))
        declared = {a.strip() for a in macro.get("args", "").split(",") if a.strip()}
        assert used == declared, stanza


def test_both_p95_forecasts_give_the_panel_the_same_fields() -> None:
    """The overview's forecast panel plots whichever the setup page chose (appserver/static
    kassi_setup_client.js useForecast; tested in setup/client.test.js): the same fields either way."""
    assert MACROS["kassi_p95_forecast(1)"]["definition"] == "`kassi_p95_forecast_trend($endpoint$)`"
    for kind, command in (("trend", "| predict p95_ms AS forecast_ms"), ("mltk", "| fit StateSpaceForecast p95_ms")):
        definition = MACROS[f"kassi_p95_forecast_{kind}(1)"]["definition"]
        assert definition.startswith("`kassi_p95_series($endpoint$)` ") and command in definition
        outputs = set(re.findall(r"(?:AS|=)\s*(\w+_ms)\b", definition)) - {"p95_ms"}
        assert outputs == {"forecast_ms", "lower_ms", "upper_ms"}, (kind, outputs)
