"""Model backends against loopback stubs that stand in for an Ollama server, an OpenAI-compatible
server and the Anthropic API (see ``ModelStub``: each answers its documented path with its
documented response shape). The edits are applied for real to the sqlite-write-lock demo repo."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from remedy_support import ModelStub

from kassi_app.errors import BadInput
from kassi_app.remedy.audit import AuditorOpinion, audit_with_model
from kassi_app.remedy.backends import BackendName, ModelFailure, ModelSettings, configured, model_choice
from kassi_app.remedy.edits import EditSet
from kassi_app.remedy.propose import fix_context, propose_fix
from kassi_app.remedy.revert import change_hunks

BACKENDS: tuple[BackendName, ...] = ("ollama", "openai", "anthropic")
SECRET = "sk-test-do-not-leak-4242"
OLD = '''        conn.execute("BEGIN IMMEDIATE")
'''
GOOD = {
    "rationale": "Do not hold the write lock across the slow signing: drop the explicit BEGIN IMMEDIATE.",
    "edits": [{"file": "app.py", "anchor": OLD, "replacement": ""},
              {"file": "app.py", "anchor": '(receipt, cur.lastrowid))\n        conn.execute("COMMIT")\n',
               "replacement": "(receipt, cur.lastrowid))\n"}],
}


def _settings(stub: ModelStub, backend: BackendName, timeout_s: float = 10.0) -> ModelSettings:
    endpoint = stub.url + "/v1" if backend == "openai" else stub.url
    env = {"KASSI_MODEL_API_KEY": SECRET}
    return ModelSettings.from_env(backend, "test-model", endpoint=endpoint, timeout_s=timeout_s, env=env)


def _propose(stub: ModelStub, backend: BackendName, repo: Path, verdict: dict[str, Any],
             timeout_s: float = 10.0) -> Any:
    hunks = change_hunks(repo, "base", "head")
    context = fix_context(repo, "head", verdict, hunks)
    return propose_fix(_settings(stub, backend, timeout_s), repo, "head", context)  # the change's files


@pytest.mark.parametrize("backend", BACKENDS)
def test_good_edits_become_a_patch_that_applies_and_parses(
        backend: BackendName, model_stub: ModelStub, mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    model_stub.content = json.dumps(GOOD)
    fix = _propose(model_stub, backend, mixed_repo, lock_verdict)
    assert fix.patch.files == ("app.py",)
    assert '-        conn.execute("BEGIN IMMEDIATE")' in fix.patch.text
    assert fix.edits.rationale.startswith("Do not hold")

    (request,) = model_stub.requests
    body, headers = request["body"], {k.lower(): v for k, v in request["headers"].items()}
    prompt = json.dumps(body)
    assert "database is locked" in prompt and "app.py:112-124" in prompt  # evidence and hunks
    assert "def create_loan" in prompt  # the enclosing function at head
    schema = EditSet.model_json_schema()
    if backend == "ollama":
        assert request["path"] == "/api/chat" and body["format"] == schema and body["stream"] is False
        assert headers["authorization"] == f"Bearer {SECRET}"
    elif backend == "openai":
        assert request["path"] == "/v1/chat/completions"
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["schema"] == schema
        assert headers["authorization"] == f"Bearer {SECRET}"
    else:
        assert request["path"] == "/v1/messages" and headers["x-api-key"] == SECRET
        assert headers["anthropic-version"] == "2023-06-01"
        assert body["tools"][0]["input_schema"] == schema
        assert body["tool_choice"] == {"type": "tool", "name": "EditSet"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("file", ["../outside.py", "/etc/passwd", "tools/../app.py", "README.md"])
def test_edits_outside_the_change_or_the_repo_are_refused(
        backend: BackendName, file: str, model_stub: ModelStub, mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    model_stub.content = json.dumps({"rationale": "r", "edits": [{"file": file, "anchor": "a", "replacement": "b"}]})
    with pytest.raises(ModelFailure) as failure:
        _propose(model_stub, backend, mixed_repo, lock_verdict)
    assert failure.value.reason == "refused"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("content", ["this is not json", '{"edits": "none"}', '{"edits": [], "rationale": "r"}'])
def test_malformed_answers_are_a_typed_failure(backend: BackendName, content: str, model_stub: ModelStub,
                                               mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    model_stub.content = content
    with pytest.raises(ModelFailure) as failure:
        _propose(model_stub, backend, mixed_repo, lock_verdict)
    assert failure.value.reason == "malformed"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_hanging_server_times_out_within_the_bound(
        backend: BackendName, model_stub: ModelStub, mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    model_stub.hang = True
    started = time.monotonic()
    with pytest.raises(ModelFailure) as failure:
        _propose(model_stub, backend, mixed_repo, lock_verdict, timeout_s=1.0)
    assert failure.value.reason == "timeout"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_a_trickling_server_times_out_on_the_total_bound(
        backend: BackendName, model_stub: ModelStub, mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    """Each byte comes well within the per-read timeout; the whole answer would take minutes."""
    model_stub.content, model_stub.trickle = json.dumps(GOOD), True
    started = time.monotonic()
    with pytest.raises(ModelFailure) as failure:
        _propose(model_stub, backend, mixed_repo, lock_verdict, timeout_s=1.0)
    assert failure.value.reason == "timeout"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_edits_that_do_not_apply_or_do_not_parse(
        backend: BackendName, model_stub: ModelStub, mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    model_stub.content = json.dumps({"rationale": "r", "edits": [
        {"file": "app.py", "anchor": "no such text anywhere", "replacement": "x"}]})
    with pytest.raises(ModelFailure) as missing:
        _propose(model_stub, backend, mixed_repo, lock_verdict)
    assert missing.value.reason == "does_not_apply" and "anchor not found" in missing.value.detail

    model_stub.content = json.dumps({"rationale": "r", "edits": [
        {"file": "app.py", "anchor": "conn.execute", "replacement": "x"}]})
    with pytest.raises(ModelFailure) as ambiguous:
        _propose(model_stub, backend, mixed_repo, lock_verdict)
    assert ambiguous.value.reason == "does_not_apply" and "times" in ambiguous.value.detail

    model_stub.content = json.dumps({"rationale": "r", "edits": [
        {"file": "app.py", "anchor": OLD, "replacement": "        conn.execute(\n"}]})
    with pytest.raises(ModelFailure) as broken:
        _propose(model_stub, backend, mixed_repo, lock_verdict)
    assert broken.value.reason == "does_not_parse" and "app.py" in broken.value.detail


def test_an_http_error_and_an_unreachable_server(model_stub: ModelStub, mixed_repo: Path,
                                                 lock_verdict: dict[str, Any]) -> None:
    wrong = ModelSettings(backend="openai", model="m", endpoint=model_stub.url + "/nope", timeout_s=5)
    hunks = change_hunks(mixed_repo, "base", "head")
    context = fix_context(mixed_repo, "head", lock_verdict, hunks)
    with pytest.raises(ModelFailure) as http:
        propose_fix(wrong, mixed_repo, "head", context, ["app.py"])
    assert http.value.reason == "http_error" and "404" in http.value.detail
    for backend in BACKENDS:
        closed = ModelSettings(backend=backend, model="m", endpoint="http://127.0.0.1:9", timeout_s=5)
        with pytest.raises(ModelFailure) as gone:
            propose_fix(closed, mixed_repo, "head", context, ["app.py"])
        assert gone.value.reason == "unreachable"


def test_the_key_never_shows(model_stub: ModelStub) -> None:
    settings = _settings(model_stub, "anthropic")
    assert settings.api_key is not None and settings.api_key.get_secret_value() == SECRET
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert SECRET not in text
    model_stub.hang = True
    with pytest.raises(ModelFailure) as failure:
        audit_with_model(settings.model_copy(update={"timeout_s": 0.5}), "analysis", "", {})
    assert SECRET not in str(failure.value)


def test_keys_come_from_the_backends_own_variable() -> None:
    env = {"OPENAI_API_KEY": "o", "ANTHROPIC_API_KEY": "a"}
    assert ModelSettings.from_env("openai", "m", env=env).api_key.get_secret_value() == "o"  # type: ignore[union-attr]
    assert ModelSettings.from_env("anthropic", "m", env=env).api_key.get_secret_value() == "a"  # type: ignore[union-attr]
    assert ModelSettings.from_env("ollama", "m", env=env).api_key is None
    assert ModelSettings.from_env("ollama", "m", env={}).url == "http://127.0.0.1:11434"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_auditor_model_gives_an_advisory_opinion(backend: BackendName, model_stub: ModelStub,
                                                     lock_verdict: dict[str, Any]) -> None:
    model_stub.content = json.dumps({"grounded": False, "concerns": ["the 512 failing requests are not in the facts"]})
    opinion = audit_with_model(_settings(model_stub, backend), lock_verdict["analysis"], "", lock_verdict)
    assert opinion == AuditorOpinion(grounded=False, concerns=["the 512 failing requests are not in the facts"])
    prompt = json.dumps(model_stub.requests[0]["body"])
    assert "raised at app.py:116 (source: target log)" in prompt


def test_a_model_is_switched_on_by_settings_alone() -> None:
    assert configured(env={}) is None
    on = configured(env={"KASSI_MODEL_BACKEND": "anthropic", "KASSI_MODEL": "claude-x", "ANTHROPIC_API_KEY": SECRET,
                         "KASSI_MODEL_TIMEOUT_S": "30"})
    assert on is not None and on.backend == "anthropic" and on.model == "claude-x" and on.timeout_s == 30
    assert on.url == "https://api.anthropic.com" and on.api_key is not None
    auditor = configured("KASSI_AUDITOR", env={"KASSI_AUDITOR_BACKEND": "ollama", "KASSI_AUDITOR": "qwen",
                                               "KASSI_AUDITOR_ENDPOINT": "http://127.0.0.1:9999"})
    assert auditor is not None and auditor.url == "http://127.0.0.1:9999"
    for bad in ({"KASSI_MODEL": "m"}, {"KASSI_MODEL_BACKEND": "gpt", "KASSI_MODEL": "m"},
                {"KASSI_MODEL_BACKEND": "openai", "KASSI_MODEL": "m", "KASSI_MODEL_TIMEOUT_S": "-1"}):
        with pytest.raises(BadInput):
            configured(env=bad)


def test_the_model_flag_names_backend_and_model() -> None:
    chosen = model_choice("ollama:qwen2.5-coder:7b", env={})
    assert (chosen.backend, chosen.model, chosen.url) == ("ollama", "qwen2.5-coder:7b", "http://127.0.0.1:11434")
    keyed = model_choice("openai:gpt-x", "http://127.0.0.1:8000/v1", env={"OPENAI_API_KEY": SECRET})
    assert keyed.url == "http://127.0.0.1:8000/v1" and keyed.api_key is not None
    assert SECRET not in repr(keyed)
    for bad in ("gpt-4o", "mistral:x", "openai:"):
        with pytest.raises(BadInput, match="BACKEND:MODEL"):
            model_choice(bad, env={})
