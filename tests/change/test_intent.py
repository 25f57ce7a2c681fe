"""Endpoints from intent: BM25 + stemming + verb synonyms over a realistic OpenAPI spec."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kassi_app.change.intent import endpoints_from_intent, load_spec, tokens
from kassi_app.errors import BadInput

SPEC = Path(__file__).with_name("petstore-owners.json")


def best(intent: str) -> str:
    return str(endpoints_from_intent(SPEC, intent)[0].endpoint)


@pytest.mark.parametrize(
    ("intent", "endpoint"),
    [
        ("add a new owner", "POST /api/owners"),
        ("registering owners got slow", "POST /api/owners"),
        ("remove a pet", "DELETE /api/pets/{petId}"),
        ("edit owner details", "PUT /api/owners/{ownerId}"),
        ("show all vets", "GET /api/vets"),
        ("which specialties are there", "GET /api/specialties"),
        ("booking a visit for a pet", "POST /api/owners/{ownerId}/pets/{petId}/visits"),
        ("fetch one pet", "GET /api/pets/{petId}"),
    ],
)
def test_best_match(intent: str, endpoint: str) -> None:
    assert best(intent) == endpoint


def test_scores_are_ordered_and_few() -> None:
    ranked = endpoints_from_intent(SPEC, "delete an owner", limit=3)
    assert 1 <= len(ranked) <= 3
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert str(ranked[0].endpoint) == "DELETE /api/owners/{ownerId}"


def test_tokens_fold_synonyms_and_split_identifiers() -> None:
    assert tokens("addPetToOwner") == tokens("create pet owner")
    assert tokens("Removing the visits") == tokens("delete visit")


def test_nothing_scores_is_an_error_not_all_endpoints() -> None:
    with pytest.raises(BadInput, match="no operation in the spec matches"):
        endpoints_from_intent(SPEC, "quantum flux capacitor")
    with pytest.raises(BadInput, match="no usable words"):
        endpoints_from_intent(SPEC, "the a of")


def test_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read"):
        load_spec(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_spec(broken)
    not_openapi = tmp_path / "x.json"
    not_openapi.write_text(json.dumps({"swagger": "2.0"}))
    with pytest.raises(BadInput, match="no 'paths'"):
        load_spec(not_openapi)


def test_yaml_spec_parses_like_its_json_form(tmp_path: Path) -> None:
    # PyYAML is a declared dependency: the YAML path always runs
    spec = tmp_path / "api.yaml"
    spec.write_text(textwrap.dedent("""\
        openapi: 3.0.0
        info: {title: pets, version: "1"}
        paths:
          /pets:
            get:
              operationId: listPets
              summary: List all pets
          /pets/{petId}:
            delete:
              operationId: deletePet
              summary: Remove a pet
    """))
    as_json = tmp_path / "api.json"
    as_json.write_text(json.dumps(load_spec(spec)))
    assert load_spec(spec) == load_spec(as_json)
    assert [str(m.endpoint) for m in endpoints_from_intent(spec, "list pets")][:1] == ["GET /pets"]
    assert str(endpoints_from_intent(spec, "remove a pet")[0].endpoint) == "DELETE /pets/{petId}"
    broken = tmp_path / "broken.yml"
    broken.write_text("paths:\n  /pets: [unclosed\n")
    with pytest.raises(BadInput, match="not valid YAML"):
        load_spec(broken)
    not_openapi = tmp_path / "list.yaml"
    not_openapi.write_text("- just\n- a list\n")
    with pytest.raises(BadInput, match="no 'paths'"):
        load_spec(not_openapi)
