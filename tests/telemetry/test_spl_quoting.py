"""kassi writes every SPL search from typed parts: a value can never become SPL syntax.

Values are double-quoted string literals compared with ``where``/``eval`` ``=`` (exact: a ``*`` is
a literal there; in the ``search`` command it would be a wildcard no escape turns off). The checks
read the SPL back with the stub's tokenizer (``spl_eval``), which follows SPL's literal rules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from recorded import RUN, SETTINGS, WINDOWS
from spl_eval import SplEngine, split_top, tokens, unquote

from kassi_app.telemetry.history import RouteP95HistoryQuery
from kassi_app.telemetry.queries import RouteStatsQuery, TopErrorsQuery, spl_quote
from kassi_app.telemetry.spl import SplRenderer
from kassi_app.telemetry.splunk_settings import AccessFields, AccessSource, SplunkSettings

NASTY = [
    "/api/owners/{id}",
    '/say/"hi"',
    "/back\\slash\\",
    "/star/*",
    "*",
    "/pipe | delete",
    "/tick/`kassi_index`",
    '\\" | delete index=main | eval x="',
    "/mixed/{id}/*\\\"|`",
    "/two  spaces/ and\ttab",
]


def _literals(spl: str) -> list[str]:
    """The string literals of the where/eval commands, as SPL reads them."""
    out = []
    for command in split_top(spl, "|"):
        name, _, args = command.partition(" ")
        if name in ("where", "eval"):
            out += [unquote(text) for kind, text in tokens(args) if kind == "str"]
    return out


def _outside_quotes(spl: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', spl)


@pytest.mark.parametrize("value", NASTY)
def test_a_value_is_one_literal_and_adds_no_command(value: str) -> None:
    renderer = SplRenderer(SETTINGS, [value, "/plain"])
    plain = renderer.render(RouteStatsQuery(run_id=RUN, route="/plain"), WINDOWS).spl
    spl = renderer.render(RouteStatsQuery(run_id=RUN, route=value), WINDOWS).spl
    assert len(split_top(spl, "|")) == len(split_top(plain, "|"))
    assert f"| where route={spl_quote(value)} " in spl
    assert value in _literals(spl)
    outside = _outside_quotes(spl)
    assert "`" not in outside and "*" not in outside.split("|")[0]  # no macro, no wildcard in `search`


@given(st.text(min_size=1, max_size=40))
def test_any_text_round_trips_through_a_literal(value: str) -> None:
    ((kind, literal),) = tokens(spl_quote(value))
    assert kind == "str" and unquote(literal) == value


@pytest.mark.parametrize("value", NASTY)
def test_a_value_matches_only_itself(value: str) -> None:
    """Run against events: the literal route matches, a path a wildcard would also match does not."""
    events = [
        {"_time": WINDOWS[0].start + 1, "index": "web", "sourcetype": "access_combined", "dest": "staging-1",
         "http_method": "GET", "uri_path": path, "status": "200", "response_time": "5", "bytes_out": "1"}
        for path in ("/x", "/star/anything", "/pipe")
    ]
    renderer = SplRenderer(SETTINGS, [value])
    spl = renderer.render(TopErrorsQuery(run_id=RUN, route=value), WINDOWS).spl
    assert SplEngine(events).run(spl) == []


def test_route_templates_become_anchored_regexes_in_literals() -> None:
    renderer = SplRenderer(SETTINGS, ["/api/owners/{id}", "/files/{rest:path}", "/v1.2/x"])
    spl = renderer.render(RouteStatsQuery(run_id=RUN), WINDOWS).spl
    pairs = re.findall(r'match\(uri_path, ("(?:[^"\\]|\\.)*")\), ("(?:[^"\\]|\\.)*")', spl)
    regexes = {unquote(route): unquote(regex) for regex, route in pairs}
    assert regexes["/api/owners/{id}"] == "^(?:/api/owners/[^/]+/?)$"
    assert re.fullmatch(regexes["/v1.2/x"], "/v1.2/x") and not re.fullmatch(regexes["/v1.2/x"], "/v1x2/x")
    assert re.fullmatch(regexes["/files/{rest:path}"], "/files/a/b/c.txt")


def test_history_keys_are_literal_json_keys() -> None:
    spl = RouteP95HistoryQuery('/a/{id}.x"|`y`').to_spl()
    assert 'json_extract_exact(' in spl and spl_quote('/a/{id}.x"|`y`') in spl
    assert "`" not in _outside_quotes(spl).replace("`kassi_index`", "")


@pytest.mark.parametrize("bad", ["status|x", "x'y", "a b", "resp*", "", "-x"])
def test_field_names_from_settings_cannot_carry_syntax(bad: str) -> None:
    with pytest.raises(ValidationError):
        AccessFields(status=bad)


@pytest.mark.parametrize("bad", ["web*", 'web"', "web | delete", "Web"])
def test_index_names_are_plain(bad: str) -> None:
    with pytest.raises(ValidationError):
        SplunkSettings(access=AccessSource(index=bad))


def test_the_documented_settings_are_valid(tmp_path: Path) -> None:
    """docs/splunk-telemetry.md shows a full settings file: it must load as written."""
    doc = (Path(__file__).parents[2] / "docs" / "splunk-telemetry.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```toml\n(.*?)```", doc, re.DOTALL)
    (tmp_path / "splunk.toml").write_text(block, encoding="utf-8")
    settings = SplunkSettings.load(tmp_path / "splunk.toml")
    assert settings.access.index == "web" and settings.errors is not None
    assert settings.connection.transport == "sdk" and settings.connection.verify
