"""Optional model backends, chosen by settings alone: Ollama (``/api/chat`` with a JSON-schema
``format``), any OpenAI-compatible server (``/chat/completions`` with a ``json_schema`` response
format) and Anthropic (``/v1/messages``, the answer forced through one tool whose input schema is the
answer's), each one JSON POST over httpx2.

Why not the ``ollama`` package: it is a thin layer over httpx, and the Splunk app would then ship two
HTTP stacks (httpx for it, httpx2 for the MCP SDK). ``/api/chat`` is one documented JSON POST.

Every call has a timeout; every way a call can go wrong — unreachable, timed out, an HTTP error,
an answer that is not the asked-for JSON — is a ``ModelFailure`` with a reason, never a crash. API
keys come from the environment into a ``SecretStr``: they are sent in a header and never appear in
a repr, a message or a record."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import httpx2
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from kassi_app.errors import BadInput

BackendName = Literal["ollama", "openai", "anthropic"]
FailureReason = Literal["unreachable", "timeout", "http_error", "malformed", "refused", "does_not_apply",
                        "does_not_parse", "checks_failed", "not_verified"]
"""Why a model's fix was not used. The last two are the caller's: the repo's tests failed on it, or
the verify-fix run did not come back HEALTHY."""
M = TypeVar("M", bound=BaseModel)

DEFAULT_ENDPOINTS: dict[BackendName, str] = {
    "ollama": "http://127.0.0.1:11434",
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}
KEY_VARIABLES: dict[BackendName, tuple[str, ...]] = {
    "ollama": ("KASSI_MODEL_API_KEY",),
    "openai": ("KASSI_MODEL_API_KEY", "OPENAI_API_KEY"),
    "anthropic": ("KASSI_MODEL_API_KEY", "ANTHROPIC_API_KEY"),
}
ANTHROPIC_VERSION = "2023-06-01"
_ERROR_BODY_CHARS = 300


class ModelSettings(BaseModel):
    """Which model to ask and how long to wait. ``endpoint`` is the server's base URL (OpenAI
    convention: including ``/v1``); None takes the backend's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: BackendName
    model: str = Field(min_length=1)
    endpoint: str | None = None
    timeout_s: float = Field(default=120.0, gt=0, le=900)
    max_tokens: int = Field(default=4096, gt=0)
    api_key: SecretStr | None = None

    @property
    def url(self) -> str:
        return (self.endpoint or DEFAULT_ENDPOINTS[self.backend]).rstrip("/")

    @classmethod
    def from_env(cls, backend: BackendName, model: str, endpoint: str | None = None, timeout_s: float = 120.0,
                 env: Mapping[str, str] | None = None) -> ModelSettings:
        """Settings with the API key taken from the environment: ``KASSI_MODEL_API_KEY``, else the
        backend's own variable (``OPENAI_API_KEY`` / ``ANTHROPIC_API_KEY``)."""
        source = os.environ if env is None else env
        key = next((source[v] for v in KEY_VARIABLES[backend] if source.get(v)), None)
        return cls(backend=backend, model=model, endpoint=endpoint, timeout_s=timeout_s,
                   api_key=SecretStr(key) if key else None)


def configured(prefix: str = "KASSI_MODEL", env: Mapping[str, str] | None = None) -> ModelSettings | None:
    """Settings from the environment alone, or None when no model is configured: ``<prefix>_BACKEND``
    (ollama | openai | anthropic), ``<prefix>`` (the model name), optional ``<prefix>_ENDPOINT`` and
    ``<prefix>_TIMEOUT_S``. The auditor model uses ``prefix="KASSI_AUDITOR"``; API keys as
    ``ModelSettings.from_env``. A half-given or invalid configuration raises ``BadInput``."""
    source = os.environ if env is None else env
    backend, model = source.get(f"{prefix}_BACKEND"), source.get(prefix)
    if not backend and not model:
        return None
    if backend not in KEY_VARIABLES or not model:
        raise BadInput(f"{prefix}_BACKEND must be one of {', '.join(KEY_VARIABLES)} and {prefix} a model name")
    try:
        timeout = float(source.get(f"{prefix}_TIMEOUT_S", "120"))
        return ModelSettings.from_env(backend, model, source.get(f"{prefix}_ENDPOINT") or None, timeout, source)
    except (ValueError, ValidationError) as exc:
        raise BadInput(f"{prefix}: invalid model settings: {exc}") from None


@dataclass(frozen=True)
class RemedyModels:
    """The models a run's fix may use, as a face chose them (the Splunk app from its setup page and
    storage/passwords, the CLI from ``--model``): ``fixer`` proposes edits, ``auditor`` reviews the
    analysis. None is no model. A run given no ``RemedyModels`` reads the environment (``configured``)."""

    fixer: ModelSettings | None = None
    auditor: ModelSettings | None = None


def model_choice(choice: str, endpoint: str | None = None, env: Mapping[str, str] | None = None) -> ModelSettings:
    """``backend:model`` (``ollama:qwen2.5-coder``, ``openai:gpt-4o-mini``) as settings, the API key
    from the environment as ``ModelSettings.from_env``; BadInput when it is not that."""
    backend, _, model = choice.partition(":")
    if backend not in KEY_VARIABLES or not model:
        raise BadInput(f"--model {choice!r}: expected BACKEND:MODEL with BACKEND one of {', '.join(KEY_VARIABLES)}")
    try:
        return ModelSettings.from_env(backend, model, endpoint, env=env)
    except ValidationError as exc:
        raise BadInput(f"--model {choice!r}: invalid model settings: {exc}") from None


class ModelFailure(Exception):
    """A model answer kassi cannot use, with the reason; the deterministic fix stands."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "detail": self.detail}


class Backend(Protocol):
    def answer(self, system: str, prompt: str, name: str, schema: dict[str, Any]) -> str:
        """The model's answer to ``prompt``: JSON text meant to match ``schema`` (not yet checked)."""
        ...


def ask(settings: ModelSettings, system: str, prompt: str, answer: type[M]) -> M:
    """Ask the configured model for an ``answer``-shaped reply and validate it."""
    text = backend_for(settings).answer(system, prompt, answer.__name__, answer.model_json_schema())
    try:
        return answer.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors()[:3])
        raise ModelFailure("malformed", f"the answer is not a valid {answer.__name__}: {problems}") from None


def backend_for(settings: ModelSettings) -> Backend:
    if settings.backend == "ollama":
        return OllamaBackend(settings)
    return OpenAIBackend(settings) if settings.backend == "openai" else AnthropicBackend(settings)


class _HttpBackend:
    """One JSON POST over httpx2 with the settings' timeout, failures mapped to ModelFailure."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings

    def _post(self, url: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
        """POST and read the answer within ``timeout_s`` in all: httpx2's timeout bounds each connect
        and each read, so a server trickling bytes would outlast it; the read loop checks the total."""
        s = self.settings
        late = ModelFailure("timeout", f"{url} did not answer within {s.timeout_s:g} s")
        deadline = time.monotonic() + s.timeout_s
        data = bytearray()
        try:
            with httpx2.Client(timeout=s.timeout_s) as client, client.stream(
                    "POST", url, json=body, headers=headers) as response:
                for chunk in response.iter_bytes():
                    data += chunk
                    if time.monotonic() > deadline:
                        raise late
        except httpx2.TimeoutException:
            raise late from None
        except httpx2.TransportError as exc:
            raise ModelFailure("unreachable", f"{url}: {type(exc).__name__}") from None
        text = data.decode("utf-8", errors="replace")
        if response.status_code >= 400:
            raise ModelFailure("http_error", f"{url} answered {response.status_code}: {text[:_ERROR_BODY_CHARS]}")
        try:
            return json.loads(text)
        except ValueError:
            raise ModelFailure("malformed", f"{url} answered with something that is not JSON") from None


class OllamaBackend(_HttpBackend):
    """Ollama's ``POST {endpoint}/api/chat``, non-streaming, ``format`` = the answer's JSON schema."""

    def answer(self, system: str, prompt: str, name: str, schema: dict[str, Any]) -> str:
        s = self.settings
        headers = {"Authorization": f"Bearer {s.api_key.get_secret_value()}"} if s.api_key else {}
        body = {
            "model": s.model,
            "stream": False,
            "format": schema,
            "options": {"temperature": 0},
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
        }
        reply = self._post(f"{s.url}/api/chat", headers, body)
        message = reply.get("message") if isinstance(reply, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str) or not content:
            raise ModelFailure("malformed", "ollama's reply has no message content")
        return content


class OpenAIBackend(_HttpBackend):
    """``POST {endpoint}/chat/completions`` with ``response_format: json_schema`` (strict)."""

    def answer(self, system: str, prompt: str, name: str, schema: dict[str, Any]) -> str:
        s = self.settings
        headers = {"Authorization": f"Bearer {s.api_key.get_secret_value()}"} if s.api_key else {}
        body = {
            "model": s.model,
            "temperature": 0,
            "max_tokens": s.max_tokens,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            "response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}},
        }
        reply = self._post(f"{s.url}/chat/completions", headers, body)
        try:
            message = reply["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise ModelFailure("malformed", "the reply has no choices[0].message") from None
        if message.get("refusal"):
            raise ModelFailure("refused", f"the model refused: {str(message['refusal'])[:_ERROR_BODY_CHARS]}")
        content = message.get("content")
        if not isinstance(content, str) or not content:
            raise ModelFailure("malformed", "choices[0].message.content is empty")
        return content


class AnthropicBackend(_HttpBackend):
    """``POST {endpoint}/v1/messages`` with one tool whose ``input_schema`` is the answer's schema and
    ``tool_choice`` forcing it; a plain text block holding JSON is accepted too."""

    def answer(self, system: str, prompt: str, name: str, schema: dict[str, Any]) -> str:
        s = self.settings
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if s.api_key:
            headers["x-api-key"] = s.api_key.get_secret_value()
        body = {
            "model": s.model,
            "max_tokens": s.max_tokens,
            "temperature": 0,
            "system": system,
            "messages": [{"role": "user", "content": prompt}],
            "tools": [{"name": name, "description": f"Submit the {name}.", "input_schema": schema}],
            "tool_choice": {"type": "tool", "name": name},
        }
        reply = self._post(f"{s.url}/v1/messages", headers, body)
        blocks = reply.get("content") if isinstance(reply, dict) else None
        if not isinstance(blocks, list):
            raise ModelFailure("malformed", "the reply has no content blocks")
        for block in blocks:
            if isinstance(block, dict) and block.get("type") == "tool_use" and block.get("name") == name:
                return json.dumps(block.get("input"))
        texts = [b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text" and b.get("text")]
        if texts:
            return "".join(texts)
        raise ModelFailure("malformed", f"the reply has neither a {name} tool call nor text")
