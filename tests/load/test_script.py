"""Script generation without running k6: sample values, request shapes, weights, options."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from loadsvc import SPEC

from kassi_app.endpoint import Endpoint
from kassi_app.load import LoadPlan, LoadProfile, render_script
from kassi_app.load.requests import SpecIndex, build_request
from kassi_app.load.samples import SEQ_TOKEN, SchemaResolver
from kassi_app.load.script import k6_options, weighted_schedule


def test_body_follows_schema_refs_formats_enums_and_skips_read_only() -> None:
    spec = SpecIndex(SPEC)
    request = build_request(spec, Endpoint("POST", "/api/owners"), "changed", 1.0)
    assert request.content_type == "application/json"
    assert request.body is not None
    body = json.loads(request.body)
    assert set(body) == {"firstName", "email", "address", "kind", "birthDate"}  # no readOnly id
    assert body["address"] == {"city": "Tallinn", "zip": "10115"}
    assert body["kind"] == "person"
    assert body["birthDate"] == "2024-01-15"
    assert body["email"] == f"kassi{SEQ_TOKEN}@example.com"
    assert SEQ_TOKEN in body["firstName"]


def test_recursive_all_of_and_one_of_schemas_terminate() -> None:
    spec = {"components": {"schemas": {
        "Node": {"type": "object", "required": ["name", "child"],
                 "properties": {"name": {"type": "string"}, "child": {"$ref": "#/components/schemas/Node"}}},
        "Both": {"allOf": [{"$ref": "#/components/schemas/Node"},
                           {"type": "object", "required": ["n"],
                            "properties": {"n": {"type": "integer", "minimum": 5}}}]},
        "Either": {"oneOf": [{"type": "number", "exclusiveMinimum": 2}, {"type": "string"}]},
    }}}
    resolver = SchemaResolver(spec)
    node = resolver.example({"$ref": "#/components/schemas/Node"}, seq=False)
    assert node == {"name": "kassi", "child": None}  # a required cycle ends in null
    both = resolver.example({"$ref": "#/components/schemas/Both"}, seq=False)
    assert both["n"] == 5 and both["name"] == "kassi"
    assert resolver.example({"$ref": "#/components/schemas/Either"}) == 3.0


def test_swagger2_body_parameter_and_required_query_and_header() -> None:
    spec = {"swagger": "2.0", "definitions": {"Visit": {"type": "object", "required": ["date"],
                                                          "properties": {"date": {"type": "string",
                                                                                  "format": "date-time"}}}},
            "paths": {"/visits/{visitId}": {"put": {"parameters": [
                {"name": "visitId", "in": "path", "required": True, "type": "string", "format": "uuid"},
                {"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Visit"}},
                {"name": "X-Tenant", "in": "header", "required": True, "type": "string", "example": "t1"},
                {"name": "dry", "in": "query", "required": True, "type": "boolean"}]}}}}
    request = build_request(SpecIndex(spec), Endpoint("PUT", "/visits/{id}"), "changed", 1.0)
    assert json.loads(request.body or "") == {"date": "2024-01-15T10:30:00Z"}
    assert request.headers == {"X-Tenant": "t1"}
    assert request.query == {"dry": True}
    (param,) = request.path_params
    assert param.name == "id"  # the endpoint's own name, the spec's value (matched by position)
    assert param.fallback == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert param.collection is None  # the spec has no GET /visits


def test_path_params_resolve_through_nested_collections() -> None:
    request = build_request(SpecIndex(SPEC), Endpoint("GET", "/api/owners/{ownerId}/pets/{petId}"), "bg", 1.0)
    assert [(p.name, p.collection) for p in request.path_params] == [
        ("ownerId", "/api/owners"), ("petId", "/api/owners/{ownerId}/pets")]
    without_spec = build_request(SpecIndex(None), Endpoint("DELETE", "/items/{id}"), "changed", 1.0)
    assert without_spec.path_params[0].collection == "/items"
    assert without_spec.body is None


def test_weights_give_changed_endpoints_their_share() -> None:
    changed = [Endpoint("POST", "/api/owners"), Endpoint("GET", "/api/owners/{id}")]
    background = [Endpoint("GET", "/api/vets"), Endpoint("GET", "/a"), Endpoint("GET", "/b"), changed[0]]
    weighted = LoadPlan(changed, background, LoadProfile(changed_share=0.6)).weighted()
    assert [(str(e), g) for e, g, _ in weighted][-1] == ("GET /b", "background")
    assert len(weighted) == 5  # a changed endpoint listed as background is not doubled
    assert sum(w for _, g, w in weighted if g == "changed") == pytest.approx(0.6)
    schedule = weighted_schedule([w for _, _, w in weighted])
    counts = Counter(schedule)
    assert counts[0] == counts[1] == 30 and counts[2] == counts[3] == counts[4] == 13
    assert schedule[:5] != [0, 0, 0, 0, 0]  # interleaved, not in blocks
    only_changed = LoadPlan(changed).weighted()
    assert sum(w for *_, w in only_changed) == pytest.approx(1.0)


def test_profile_becomes_low_then_high_scenarios() -> None:
    options = k6_options(LoadProfile(thresholds={"http_req_failed": ["rate<0.01"]}))
    low, high = options["scenarios"]["low"], options["scenarios"]["high"]
    assert (low["vus"], low["duration"], "startTime" in low) == (2, "3s", False)
    assert (high["vus"], high["duration"], high["startTime"]) == (16, "5s", "3s")
    assert {"p(50)", "p(95)", "p(99)"} <= set(options["summaryTrendStats"])
    assert options["thresholds"] == {"http_req_failed": ["rate<0.01"]}
    with pytest.raises(ValueError):
        LoadProfile(changed_share=1.5)


def test_rendered_script_is_self_contained() -> None:
    script = render_script(LoadPlan([Endpoint("GET", "/api/owners/{id}")], openapi=SPEC))
    assert "/*__KASSI" not in script
    assert "export const options = {" in script and "const PLAN = {" in script
    assert "import http from 'k6/http'" in script


def test_optional_query_parameters_are_sent_when_the_spec_gives_an_example() -> None:
    spec = {"openapi": "3.1.0", "paths": {"/api/search": {"get": {"parameters": [
        {"name": "q", "in": "query", "required": False, "schema": {"type": "string"}, "example": "oak"},
        {"name": "page", "in": "query", "schema": {"type": "integer", "example": 2}},
        {"name": "debug", "in": "query", "schema": {"type": "boolean"}}]}}}}
    request = build_request(SpecIndex(spec), Endpoint("GET", "/api/search"), "changed", 1.0)
    assert request.query == {"q": "oak", "page": 2}  # no example for `debug`: not typical, not sent
