"""kassi's Dashboard Studio views, checked with Splunk's own npm packages (the schema Splunk Web's
editor enforces, no migration applied first) and for what that schema does not check: data
sources that exist, searches that go through `kassi_index`, lookups and macros that are defined,
tokens that an input sets, and runs counted by their stable key."""

from __future__ import annotations

import copy
import csv
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from splunk_app import (
    DEFAULT,
    LOOKUP_REF,
    LOOKUPS,
    MACRO_REF,
    NODE_DIR,
    full_query,
    queries,
    read_conf,
    studio_views,
    validate_with_splunk,
)

# The first test may run `npm ci` (about a minute here, up to the 600 s given to npm on a slow
# network): more than the suite's default per-test timeout.
pytestmark = pytest.mark.timeout(900)

VIEWS = studio_views()
MACROS = read_conf(DEFAULT / "macros.conf")
TRANSFORMS = read_conf(DEFAULT / "transforms.conf")
DEDUP_BY_SOURCETYPE = {
    "kassi:run": "kassi_dedup_runs",
    "kassi:phase": "kassi_dedup_walk",
    "kassi:access": "kassi_dedup_requests",
    "kassi:client": "kassi_dedup_requests",
}


@pytest.fixture(scope="session")
def splunk_validator() -> Path:
    """Splunk's validator packages, installed from the committed lock file on first use."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed to validate the dashboards with Splunk's packages")
    if not (NODE_DIR / "node_modules" / "@splunk" / "dashboard-validation").is_dir():
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stderr[-4000:]}"
    return NODE_DIR


def test_there_are_the_two_studio_views() -> None:
    assert {"kassi_overview", "kassi_run"} <= set(VIEWS)


def _old_single_layout(definition: dict[str, Any]) -> None:
    """The pre-tabs layout the first kassi_overview shipped with (Splunk's schema rejects it)."""
    structure = definition["layout"]["layoutDefinitions"]["layout_main"]["structure"]
    definition["layout"] = {"type": "grid", "structure": structure}


def _misspelt_option(definition: dict[str, Any]) -> None:
    viz = next(v for v in definition["visualizations"].values() if v["type"] == "splunk.table")
    viz.setdefault("options", {})["colmnFormat"] = {}


def _wrong_option_type(definition: dict[str, Any]) -> None:
    viz = next(v for v in definition["visualizations"].values() if v["type"] == "splunk.column")
    viz.setdefault("options", {})["stackMode"] = 3


def _bad_id(definition: dict[str, Any]) -> None:
    definition["dataSources"]["ds with spaces"] = {"type": "ds.search", "options": {"query": "`kassi_index`"}}


BREAKAGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "old_single_layout": (_old_single_layout, "/layout"),
    "misspelt_option": (_misspelt_option, "/options"),
    "wrong_option_type": (_wrong_option_type, "/options/stackMode"),
    "bad_id": (_bad_id, "/dataSources"),
}


@pytest.fixture(scope="module")
def splunk_verdicts(splunk_validator: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Splunk's validator over the shipped views and, in the same node process, broken copies of
    the run view (one per BREAKAGES entry): name -> None (valid) or the errors."""
    broken = {}
    for name, (breakage, _) in BREAKAGES.items():
        definition = copy.deepcopy(VIEWS["kassi_run"])
        breakage(definition)
        broken[f"broken_{name}"] = definition
    return validate_with_splunk({**VIEWS, **broken}, tmp_path_factory.mktemp("definitions"))


def test_every_studio_view_passes_splunks_schema(splunk_verdicts: dict[str, Any]) -> None:
    shipped = {name: splunk_verdicts[name]["errors"] for name in VIEWS}
    assert shipped == dict.fromkeys(VIEWS), shipped


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_the_validator_rejects_a_broken_definition(splunk_verdicts: dict[str, Any], name: str) -> None:
    errors = splunk_verdicts[f"broken_{name}"]["errors"]
    assert errors, "Splunk's validator accepted a broken definition: the check is not checking"
    where = BREAKAGES[name][1]
    assert any(where in error["instancePath"] for error in errors), errors


def _views() -> list[Any]:
    return [pytest.param(definition, id=name) for name, definition in VIEWS.items()]


@pytest.mark.parametrize("definition", _views())
def test_data_sources_referenced_exist(definition: dict[str, Any]) -> None:
    sources = definition["dataSources"]
    for name, source in sources.items():
        if source["type"] == "ds.chain":
            assert source["options"]["extend"] in sources, name
        else:
            assert source["type"] == "ds.search", name
    for container in ("visualizations", "inputs"):
        for name, item in definition.get(container, {}).items():
            for role, ref in item.get("dataSources", {}).items():
                assert ref in sources, f"{name}.dataSources.{role} = {ref} is not a data source"
    for name, viz in definition["visualizations"].items():
        assert "primary" in viz.get("dataSources", {}), f"{name} has no primary data source"


@pytest.mark.parametrize("definition", _views())
def test_every_search_goes_through_kassi_index(definition: dict[str, Any]) -> None:
    for name, kind, query in queries(definition):
        if kind == "ds.search":
            assert query.startswith("`kassi_index` "), f"{name} does not start with the kassi_index macro"
            assert "index=" not in query, f"{name} names an index itself"


@pytest.mark.parametrize("definition", _views())
def test_lookups_and_macros_used_are_defined(definition: dict[str, Any]) -> None:
    for name, _, query in queries(definition):
        for lookup in LOOKUP_REF.findall(query):
            assert lookup in TRANSFORMS, f"{name} uses lookup {lookup} that transforms.conf does not define"
        for macro, args in MACRO_REF.findall(query):
            stanza = f"{macro}({len(args.split(','))})" if args else macro
            assert stanza in MACROS, f"{name} calls `{macro}` with {args or 'no'} arguments: not in macros.conf"
            if macro == "kassi_no_data":  # commas and parentheses in a macro argument confuse its parser
                assert args.startswith('"') and args.endswith('"') and not set(args) & set(",()"), args


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_token_used_is_set_by_an_input(splunk_verdicts: dict[str, Any], name: str) -> None:
    """Tokens as Splunk's own extraction finds them; `global_time.earliest` is set by the input
    whose token is `global_time`."""
    defined = {i["options"]["token"] for i in VIEWS[name].get("inputs", {}).values()}
    used = splunk_verdicts[name]["tokens"]
    assert used, "a view that uses no token ignores its inputs"
    assert {t["namespace"] for t in used} == {"default"}
    undefined = {t["name"] for t in used if t["name"].split(".")[0] not in defined}
    assert not undefined, f"tokens no input sets: {undefined}"


@pytest.mark.parametrize("definition", _views())
def test_layout_places_every_visualization_and_input(definition: dict[str, Any]) -> None:
    layout = definition["layout"]
    layouts = layout["layoutDefinitions"]
    assert {tab["layoutId"] for tab in layout["tabs"]["items"]} == set(layouts)
    placed = [item["item"] for ld in layouts.values() for item in ld["structure"]]
    assert sorted(placed) == sorted(definition["visualizations"])
    assert set(layout["globalInputs"]) == set(definition["inputs"])


@pytest.mark.parametrize("definition", _views())
def test_events_are_counted_by_their_stable_key(definition: dict[str, Any]) -> None:
    """A run published twice must not count twice: every search over a kassi sourcetype dedups on
    that sourcetype's key before it counts or shows anything."""
    for name, kind, query in queries(definition):
        if kind != "ds.search":
            continue
        for sourcetype, macro in DEDUP_BY_SOURCETYPE.items():
            if f"sourcetype={sourcetype}" in query:
                assert f"`{macro}`" in query, f"{name} reads {sourcetype} without `{macro}`"
    assert MACROS["kassi_dedup_runs"]["definition"] == "dedup run_id"
    assert MACROS["kassi_dedup_walk"]["definition"] == "dedup run_id seq"


def test_overview_counts_distinct_runs_and_drills_down_to_the_run_view() -> None:
    overview = VIEWS["kassi_overview"]
    assert "dc(run_id)" in full_query(overview, "ds_run_count")
    assert "dc(run_id)" in full_query(overview, "ds_runs_over_time")
    run_inputs = {i["options"]["token"] for i in VIEWS["kassi_run"]["inputs"].values()}
    linked = []
    for name, viz in overview["visualizations"].items():
        for handler in viz.get("eventHandlers", []):
            if handler["type"] != "drilldown.linkToDashboard":
                continue
            link = handler["options"]
            assert (link["app"], link["dashboard"]) == ("kassi", "kassi_run") and link["dashboard"] in VIEWS
            assert {t["token"] for t in link["tokens"]} <= run_inputs
            assert [t["value"] for t in link["tokens"]] == ["row.run_id.value"]
            columns = full_query(overview, viz["dataSources"]["primary"]).rsplit("| table", 1)[1]
            assert "run_id" in columns.split("\n", 1)[0].split(), f"{name} has no run_id column to pass on"
            linked.append(name)
    assert "viz_latest" in linked, "the latest runs table does not open the run view"


@pytest.mark.parametrize("definition", _views())
def test_tables_and_single_values_say_why_they_are_empty(definition: dict[str, Any]) -> None:
    for name, viz in definition["visualizations"].items():
        query = full_query(definition, viz["dataSources"]["primary"])
        if viz["type"] == "splunk.table":
            assert "`kassi_no_data(" in query.splitlines()[-1], f"{name} shows a blank table when empty"
        elif viz["type"] == "splunk.singlevalue":
            assert "kassi_no_data" in query or "| stats dc(" in query, f"{name} shows nothing when empty"
        else:
            assert "No search results returned" in viz.get("description", ""), f"{name}: no empty state told"


def test_verdict_colours_in_the_views_match_the_lookup() -> None:
    with (LOOKUPS / "kassi_verdict_classes.csv").open(newline="") as fh:
        colours = {row["class"]: row["colour"] for row in csv.DictReader(fh)}
    seen = 0
    for definition in VIEWS.values():
        for viz in definition["visualizations"].values():
            by_field = viz.get("options", {}).get("seriesColorsByField", {})
            if set(by_field) & set(colours):
                assert by_field == colours
                seen += 1
            for matches in viz.get("context", {}).values():
                if {m["match"] for m in matches} & set(colours):
                    assert {m["match"]: m["value"] for m in matches} == colours
                    seen += 1
    assert seen >= 3
