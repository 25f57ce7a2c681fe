"""The kassi app's settings as its setup page writes them, typed, for the search command and the
watched-repo input: kassi.conf ``[settings]``, ``[repo:<name>]`` and ``[telemetry_splunk]`` stanzas
(README/kassi.conf.spec),
and secrets from splunkd's storage/passwords (realm ``kassi``).

Inside Splunk, read through splunkd with the session key the command or input received
(:func:`settings_from_splunkd`, :func:`read_secret`): splunkd merges every layer (default/, local/,
users) and is where secrets live. Outside it (tests, a CLI next to an app directory),
:func:`settings_from_app_dir` merges default/ and local/ as Splunk does. Secrets come back as
``SecretStr``, so a repr, a log line or an event shows ``**********``; nothing here logs.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from kassi_app.config import LoadSettings
from kassi_app.errors import BadInput
from kassi_app.faces.splunk.telemetry_conf import STANZA as TELEMETRY_STANZA
from kassi_app.faces.splunk.telemetry_conf import nest, telemetry_settings
from kassi_app.git import is_git_url
from kassi_app.hosts import is_loopback
from kassi_app.telemetry.splunk_settings import SplunkSettings

if TYPE_CHECKING:
    from kassi_app.remedy.backends import RemedyModels

APP = "kassi"
REALM = "kassi"
CONF = "kassi"
MODEL_API_KEY = "model_api_key"
HEC_TOKEN = "hec_token"
APP_DIR = Path(__file__).resolve().parents[3]
"""The app's folder: the repo root in a checkout, ``$SPLUNK_HOME/etc/apps/kassi`` when installed."""

_REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def git_token_name(repo: str) -> str:
    """The storage/passwords name of the git credential of a ``[repo:<name>]`` or watched repo."""
    return f"git_token.{repo}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _http_url(value: str) -> str:
    if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _host(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._:\[\]-]+", value):
        raise ValueError(f"{value!r} is not a host name or address (no scheme, port or path)")
    return value


HttpUrlText = Annotated[str, AfterValidator(_http_url)]
Host = Annotated[str, AfterValidator(_host)]


class ModelSettings(_Frozen):
    """Which model may write scripts, prose and edits (never the verdict); its key is a secret."""

    backend: Literal["none", "ollama", "openai", "anthropic"] = "none"
    endpoint: HttpUrlText | None = None
    name: str | None = None


class HecSettings(_Frozen):
    """Where runs started outside a Splunk session are published; the token is a secret."""

    url: HttpUrlText | None = None
    index: str | None = None
    ca_file: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.url is not None


class RepoSettings(_Frozen):
    """A repo searches may name (``| kassi repo=<name>``): a local clone or a git URL, and a branch."""

    name: str = Field(pattern=_REPO_NAME.pattern)
    path: str = Field(min_length=1)
    branch: str = "main"

    @property
    def is_url(self) -> bool:
        """True for a git URL (kassi keeps its own clone), False for a local clone's path."""
        return is_git_url(self.path)


class AppSettings(_Frozen):
    """kassi.conf as a whole. Defaults equal default/kassi.conf (a test keeps them equal)."""

    k6_path: Path | None = None
    allowed_hosts: tuple[Host, ...] = ()
    max_concurrent_runs: Annotated[int, Field(ge=1)] = 1
    load: LoadSettings = LoadSettings()
    model: ModelSettings = ModelSettings()
    hec: HecSettings = HecSettings()
    repos: Mapping[str, RepoSettings] = Field(default_factory=dict)
    telemetry_splunk: SplunkSettings | None = None
    """``[telemetry_splunk]``: the service's access log in Splunk (``telemetry=splunk``); None: not set up."""

    def repo(self, name: str) -> RepoSettings:
        """The configured repo ``name``; BadInput naming the configured ones when there is none."""
        try:
            return self.repos[name]
        except KeyError:
            known = ", ".join(sorted(self.repos)) or "none"
            raise BadInput(f"no repo {name!r} in the kassi app's setup (configured: {known})") from None


_SETTINGS_KEYS = {
    "k6_path": ("k6_path",),
    "allowed_hosts": ("allowed_hosts",),
    "max_concurrent_runs": ("max_concurrent_runs",),
    **{key: ("load", key) for key in LoadSettings.model_fields},
    "model_backend": ("model", "backend"),
    "model_endpoint": ("model", "endpoint"),
    "model_name": ("model", "name"),
    "hec_url": ("hec", "url"),
    "hec_index": ("hec", "index"),
    "hec_ca_file": ("hec", "ca_file"),
}
"""Flat kassi.conf keys -> where they go in :class:`AppSettings`."""


def settings_from_stanzas(stanzas: Mapping[str, Mapping[str, str]], source: str = "kassi.conf") -> AppSettings:
    """Typed settings from kassi.conf stanzas as ``{stanza: {key: value}}`` (strings, as splunkd gives
    them). An empty value means "the default". A misspelt key or a bad value is a BadInput that
    names the stanza and key, so a user can fix it on the setup page."""
    fields: dict[str, Any] = {}
    repos: dict[str, RepoSettings] = {}
    for stanza, content in stanzas.items():
        values = {k: v.strip() for k, v in content.items() if v is not None and v.strip()}
        if stanza == "settings":
            unknown = sorted(set(values) - set(_SETTINGS_KEYS))
            if unknown:
                raise BadInput(f"{source} [settings]: unknown key(s) {', '.join(unknown)} (see README/kassi.conf.spec)")
            fields.update(nest(values, _SETTINGS_KEYS))
        elif stanza == TELEMETRY_STANZA:
            fields["telemetry_splunk"] = telemetry_settings(content, source)
        elif stanza.startswith("repo:"):
            name = stanza.removeprefix("repo:")
            try:
                repos[name] = RepoSettings(name=name, **values)
            except ValidationError as exc:
                raise BadInput(f"{source} [{stanza}]: {_explain(exc)}") from None
    if "load" in fields:  # conf values are text: the run's strict load model reads them in lax mode
        try:
            fields["load"] = LoadSettings.model_validate(fields["load"], strict=False)
        except ValidationError as exc:
            raise BadInput(f"{source} [settings]: {_explain(exc, 'load.')}") from None
    if "allowed_hosts" in fields:
        fields["allowed_hosts"] = tuple(h.strip() for h in fields["allowed_hosts"].split(",") if h.strip())
    try:
        return AppSettings(**fields, repos=repos)
    except ValidationError as exc:
        raise BadInput(f"{source} [settings]: {_explain(exc)}") from None


def _explain(exc: ValidationError, prefix: str = "") -> str:
    """One line per bad field, without the input values pydantic would echo."""
    return "; ".join(f"{prefix}{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def read_conf_files(app_dir: Path = APP_DIR) -> dict[str, dict[str, str]]:
    """kassi.conf merged as Splunk merges an app's layers: local/ over default/ key by key, and the
    ``[default]`` stanza's keys (and keys before any stanza) under every stanza.

    stdlib configparser set to Splunk's rules (``=`` only, ``#`` comments, no interpolation,
    case-sensitive keys, a repeated key's last value wins) rather than
    addonfactory-splunk-conf-parser-lib, which also takes ``;`` as a comment and keeps comments as
    keys (it is made to rewrite files, not to read them)."""
    merged: dict[str, dict[str, str]] = {}
    for layer in ("default", "local"):
        path = app_dir / layer / f"{CONF}.conf"
        if not path.is_file():
            continue
        # "[default]" is an ordinary section here (configparser's own default section would hide
        # which stanza set a key); the merge below applies it the way Splunk does.
        parser = configparser.RawConfigParser(
            delimiters=("=",), comment_prefixes=("#",), inline_comment_prefixes=None, strict=False,
            empty_lines_in_values=False, default_section="\0",
        )
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        text = re.sub(r"\\\n", "", path.read_text(encoding="utf-8"))  # Splunk's line continuation
        try:
            parser.read_string("[default]\n" + text, source=str(path))
        except configparser.Error as exc:
            raise BadInput(f"{path}: not a readable .conf file: {exc}") from None
        for stanza in parser.sections():
            merged.setdefault(stanza, {}).update(parser.items(stanza))
    defaults = merged.pop("default", {})
    return {stanza: {**defaults, **keys} for stanza, keys in merged.items()}


def settings_from_app_dir(app_dir: Path = APP_DIR) -> AppSettings:
    """The settings from the app's own default/ and local/ kassi.conf (no splunkd needed)."""
    return settings_from_stanzas(read_conf_files(app_dir), source=str(app_dir / "{default,local}" / f"{CONF}.conf"))


def connect(splunkd_uri: str, session_key: str, *, verify: bool | None = None, timeout_s: float = 30.0) -> Any:
    """A splunklib ``Service`` in the app's namespace (owner ``nobody``, app ``kassi``) from the
    splunkd URI and session key Splunk hands the command or input.

    ``verify`` defaults to verifying TLS except for a loopback splunkd: that is the splunkd that
    started us, on its default self-signed certificate. splunklib itself never verifies unless
    told to, and has no timeout unless given a handler with one: every call here has
    ``timeout_s``."""
    from splunklib import binding, client  # splunk-sdk: imported here so the CLI never pays for it

    parts = urlsplit(splunkd_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"not a splunkd URI: {splunkd_uri!r}")
    if verify is None:
        verify = not is_loopback(parts.hostname)
    return client.Service(
        handler=binding.handler(verify=verify, timeout=timeout_s),
        scheme=parts.scheme, host=parts.hostname, port=parts.port or 8089, token=session_key,
        owner="nobody", app=APP,
    )


def settings_from_splunkd(service: Any) -> AppSettings:
    """The settings as splunkd merges them over every layer, through ``service.confs['kassi']``."""
    try:
        conf = service.confs[CONF]
    except KeyError:
        return AppSettings()
    stanzas = {
        stanza.name: {k: v for k, v in stanza.content.items() if not k.startswith("eai:") and k != "disabled"}
        for stanza in conf.list()
    }
    return settings_from_stanzas(stanzas, source=f"splunkd conf-{CONF}")


def read_secret(service: Any, name: str) -> SecretStr | None:
    """The secret ``name`` of realm kassi from storage/passwords, or None when it is not stored."""
    try:
        entry = service.storage_passwords[f"{REALM}:{name}:"]
    except KeyError:
        return None
    clear = entry.clear_password
    return SecretStr(clear) if clear else None


def remedy_models(settings: AppSettings, service: Any) -> RemedyModels:
    """The fix's model as the setup page chose it (``model_backend``, ``model_name``,
    ``model_endpoint``), its key from storage/passwords (``model_api_key``); no model when the backend
    is "none". Read only when a search asks for ``fix=true``. No auditor model inside Splunk."""
    from kassi_app.remedy.backends import ModelSettings as BackendSettings
    from kassi_app.remedy.backends import RemedyModels

    model = settings.model
    if model.backend == "none":
        return RemedyModels()
    if not model.name:
        raise BadInput(f"model_backend = {model.backend} needs model_name on the kassi app's setup page")
    return RemedyModels(fixer=BackendSettings(backend=model.backend, model=model.name, endpoint=model.endpoint,
                                              api_key=read_secret(service, MODEL_API_KEY)))
