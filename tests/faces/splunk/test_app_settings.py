"""kassi_app.faces.splunk.app_settings: kassi.conf merged from the app's layers, and read through the
real splunklib (its Atom parsing, namespaces and auth header) from a loopback stand-in for splunkd
(splunkd_atom_stub.py), with secrets from storage/passwords."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from splunkd_atom_stub import NS, Splunkd, running

from kassi_app.errors import BadInput
from kassi_app.faces.splunk import app_settings
from kassi_app.faces.splunk.app_settings import (
    AppSettings,
    HecSettings,
    LoadSettings,
    ModelSettings,
    RepoSettings,
    connect,
    git_token_name,
    read_conf_files,
    read_secret,
    settings_from_app_dir,
    settings_from_splunkd,
    settings_from_stanzas,
)
from kassi_app.load.plan import LoadProfile

ROOT = Path(__file__).resolve().parents[3]
SESSION_KEY = "a0b1c2d3e4f5-session-key"
SECRET = "sk-ant-2c4e6a8b0d1f3e5a-key"


@pytest.fixture
def splunkd() -> Iterator[Splunkd]:
    state = Splunkd(session_key=SESSION_KEY, conf={
        "default": {},
        "settings": {"k6_path": "/opt/k6/k6", "allowed_hosts": "staging.example.com, 10.0.0.7",
                     "max_concurrent_runs": "2", "low_vus": "2", "high_vus": "32", "low_duration_s": "3",
                     "high_duration_s": "7.5", "rounds": "4", "model_backend": "ollama",
                     "model_endpoint": "http://127.0.0.1:11434", "model_name": "llama3.1:8b", "hec_url": "",
                     "hec_index": "", "hec_ca_file": ""},
        "repo:shop": {"path": "https://git.example.com/shop.git", "branch": "release"},
        "repo:local": {"path": "/srv/git/local", "branch": ""},
    })
    with running(state):
        yield state


def test_settings_read_through_splunklib_are_typed(splunkd: Splunkd) -> None:
    settings = settings_from_splunkd(connect(splunkd.uri, SESSION_KEY))
    assert settings == AppSettings(
        k6_path=Path("/opt/k6/k6"), allowed_hosts=("staging.example.com", "10.0.0.7"), max_concurrent_runs=2,
        load=LoadSettings(low_vus=2, high_vus=32, low_duration_s=3, high_duration_s=7.5, rounds=4),
        model=ModelSettings(backend="ollama", endpoint="http://127.0.0.1:11434", name="llama3.1:8b"),
        hec=HecSettings(),
        repos={"shop": RepoSettings(name="shop", path="https://git.example.com/shop.git", branch="release"),
               "local": RepoSettings(name="local", path="/srv/git/local")},
    )
    assert settings.repo("shop").is_url and not settings.repo("local").is_url
    assert settings.repo("local").branch == "main", "an empty branch means the default"
    assert not settings.hec.enabled
    conf_reads = [query for _, path, query, _ in splunkd.requests if path == f"{NS}/configs/conf-kassi/"]
    assert conf_reads, "splunklib reads the app's namespace, nobody/kassi"
    assert all("count=-1" in query.split("&") for query in conf_reads), "every stanza, not splunkd's first page of 30"
    assert all(headers["Authorization"] == f"Splunk {SESSION_KEY}" for *_, headers in splunkd.requests)


def test_no_kassi_conf_in_splunkd_gives_the_defaults(splunkd: Splunkd) -> None:
    splunkd.conf = None
    assert settings_from_splunkd(connect(splunkd.uri, SESSION_KEY)) == AppSettings()


def test_a_wrong_session_key_is_an_error_not_defaults(splunkd: Splunkd) -> None:
    from splunklib.binding import HTTPError

    with pytest.raises(HTTPError) as refused:
        settings_from_splunkd(connect(splunkd.uri, "stale-key"))
    assert refused.value.status == 401


def test_secrets_come_from_storage_passwords_realm_kassi_and_never_reach_a_log(
    splunkd: Splunkd, caplog: pytest.LogCaptureFixture
) -> None:
    splunkd.passwords[("kassi", "model_api_key")] = SECRET
    splunkd.passwords[("kassi", git_token_name("shop"))] = "ghp-0f1e2d3c4b5a"
    splunkd.passwords[("other_app", "hec_token")] = "not-ours"
    service = connect(splunkd.uri, SESSION_KEY)
    with caplog.at_level(logging.DEBUG):
        key = read_secret(service, app_settings.MODEL_API_KEY)
        git = read_secret(service, git_token_name("shop"))
        hec = read_secret(service, app_settings.HEC_TOKEN)
    assert isinstance(key, SecretStr) and key.get_secret_value() == SECRET
    assert git is not None and git.get_secret_value() == "ghp-0f1e2d3c4b5a"
    assert hec is None, "another realm's secret is not kassi's"
    assert SECRET not in f"{key} {key!r} {[key]}"
    assert caplog.records, "splunklib logged its requests at DEBUG (else this check proves nothing)"
    assert SECRET not in caplog.text
    assert f"{NS}/storage/passwords/kassi%3Amodel_api_key%3A" in [p for _, p, _, _ in splunkd.requests]


def test_the_setup_pages_model_is_the_fixs_model_with_its_key_from_storage_passwords(splunkd: Splunkd) -> None:
    """A search's ``fix=true`` (and a watched repo's ``fix``) switch the fixing model on by the app's
    settings alone: backend, name and endpoint from kassi.conf, the key from storage/passwords."""
    splunkd.passwords[("kassi", "model_api_key")] = SECRET
    service = connect(splunkd.uri, SESSION_KEY)
    models = app_settings.remedy_models(settings_from_splunkd(service), service)
    fixer = models.fixer
    assert fixer is not None and models.auditor is None
    assert (fixer.backend, fixer.model, fixer.url) == ("ollama", "llama3.1:8b", "http://127.0.0.1:11434")
    assert fixer.api_key is not None and fixer.api_key.get_secret_value() == SECRET
    assert SECRET not in repr(models)
    assert app_settings.remedy_models(AppSettings(), service).fixer is None, "model_backend = none: no model"
    with pytest.raises(BadInput, match="needs model_name"):
        app_settings.remedy_models(AppSettings(model=ModelSettings(backend="openai")), service)


def test_a_splunkd_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        service = connect(f"http://127.0.0.1:{silent.getsockname()[1]}", SESSION_KEY, timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            settings_from_splunkd(service)
        assert time.monotonic() - started < 10


@pytest.fixture
def tls_splunkd(tmp_path: Path) -> Iterator[Splunkd]:
    """The stand-in over https with a self-signed certificate, as splunkd ships by default."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl CLI to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with running(Splunkd(session_key=SESSION_KEY, conf={"settings": {"rounds": "3"}}), tls=context) as state:
        yield state


def test_tls_is_not_verified_for_the_loopback_splunkd_unless_asked(tls_splunkd: Splunkd) -> None:
    assert tls_splunkd.uri.startswith("https://127.0.0.1:")
    assert settings_from_splunkd(connect(tls_splunkd.uri, SESSION_KEY)).load.rounds == 3
    with pytest.raises(ssl.SSLCertVerificationError):
        settings_from_splunkd(connect(tls_splunkd.uri, SESSION_KEY, verify=True))


def test_shipped_defaults_are_the_models_defaults_and_the_engines() -> None:
    assert settings_from_app_dir(ROOT) == AppSettings()
    profile = LoadProfile()
    load = AppSettings().load
    assert (load.low_vus, load.high_vus, load.low_duration_s, load.high_duration_s) == (
        profile.low_vus, profile.high_vus, profile.low_duration_s, profile.high_duration_s)


def _app(tmp_path: Path, local: str) -> Path:
    (tmp_path / "default").mkdir()
    shutil.copy(ROOT / "default" / "kassi.conf", tmp_path / "default" / "kassi.conf")
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "kassi.conf").write_text(local)
    return tmp_path


def test_local_overrides_default_key_by_key_as_splunk_merges_layers(tmp_path: Path) -> None:
    app = _app(tmp_path, "# written by the setup page\n"
                         "[settings]\nhigh_vus = 24\nallowed_hosts = a.example.com,\\\n b.example.com\n"
                         "model_backend = openai\nmodel_endpoint = https://llm.example.com/v1\n\n"
                         "[repo:shop]\npath = /srv/git/shop\n")
    merged = read_conf_files(app)
    assert merged["settings"]["low_vus"] == "2", "a key local/ does not set keeps default/'s value"
    settings = settings_from_app_dir(app)
    assert settings.load.high_vus == 24
    assert settings.allowed_hosts == ("a.example.com", "b.example.com"), "a backslash continues the line"
    assert settings.model == ModelSettings(backend="openai", endpoint="https://llm.example.com/v1")
    assert settings.repos == {"shop": RepoSettings(name="shop", path="/srv/git/shop")}


def test_the_default_stanza_applies_to_every_stanza_unless_the_stanza_sets_the_key(tmp_path: Path) -> None:
    app = _app(tmp_path, "branch = develop\n[default]\n\n"
                         "[repo:a]\npath = /srv/a\n[repo:b]\npath = /srv/b\nbranch = b1\n")
    merged = read_conf_files(app)
    assert merged["repo:a"]["branch"] == "develop" and merged["repo:b"]["branch"] == "b1"


@pytest.mark.parametrize(("stanzas", "message"), [
    ({"settings": {"hig_vus": "8"}}, r"unknown key\(s\) hig_vus"),
    ({"settings": {"high_vus": "0"}}, r"load\.high_vus: Input should be greater than or equal to 1"),
    ({"settings": {"rounds": "two"}}, r"load\.rounds"),
    ({"settings": {"model_backend": "gpt"}}, r"model\.backend"),
    ({"settings": {"hec_url": "splunk:8088"}}, r"hec\.url: Value error, not an http\(s\) URL"),
    ({"settings": {"allowed_hosts": "ok.example.com, https://x.example.com/"}}, r"allowed_hosts\.1"),
    ({"repo:a b": {"path": "/srv/x"}}, r"\[repo:a b\]: name"),
    ({"repo:shop": {"branch": "main"}}, r"\[repo:shop\]: path: Field required"),
    ({"repo:shop": {"path": "/x", "url": "y"}}, r"\[repo:shop\]: url: Extra inputs"),
])
def test_bad_settings_are_refused_naming_the_stanza_and_key(stanzas: dict[str, dict[str, str]], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        settings_from_stanzas(stanzas)


def test_an_unknown_repo_name_is_refused_listing_the_configured_ones() -> None:
    settings = settings_from_stanzas({"repo:shop": {"path": "/srv/shop"}, "repo:api": {"path": "/srv/api"}})
    with pytest.raises(BadInput, match=r"no repo 'web' .*configured: api, shop"):
        settings.repo("web")


def test_telemetry_splunk_stanza_is_the_cli_toml_flattened(tmp_path: Path) -> None:
    """[telemetry_splunk] fills the same pydantic model as the CLI's [splunk] TOML (one set of rules);
    inside Splunk the connection is the splunkd that runs the search, in the app's namespace."""
    from kassi_app.faces.splunk.telemetry_conf import in_this_splunk
    from kassi_app.telemetry.splunk_settings import SplunkSettings

    toml = tmp_path / "splunk.toml"
    toml.write_text('[splunk]\nhistory_days = 30\naccess = { index = "web", sourcetype = "access_combined", '
                    'dest = "staging-1", fields = { duration = "duration", duration_unit = "s" } }\n'
                    'errors = { index = "app", type_field = "exception.type" }\n'
                    "timing = { index_delay_s = 2.5, settle_deadline_s = 60 }\n")
    stanza = {"index": "web", "sourcetype": "access_combined", "dest": "staging-1", "duration_field": "duration",
              "duration_unit": "s", "errors_index": "app", "errors_type_field": "exception.type",
              "index_delay_s": "2.5", "settle_deadline_s": "60", "history_days": "30", "error_field": ""}
    settings = settings_from_stanzas({"telemetry_splunk": stanza}).telemetry_splunk
    assert settings == SplunkSettings.load(toml)
    inside = in_this_splunk(settings, "https://127.0.0.1:8089").connection  # type: ignore[arg-type]
    assert (inside.transport, inside.host, inside.port, inside.app, inside.owner, inside.verify) == (
        "sdk", "127.0.0.1", 8089, "kassi", "nobody", False)
    assert in_this_splunk(settings, "https://sh1.example.com:8089").connection.verify is True  # type: ignore[arg-type,union-attr]
    assert settings_from_stanzas({"telemetry_splunk": {"index": "", "sourcetype": "x"}}).telemetry_splunk is None


@pytest.mark.parametrize(("key", "value", "says"), [
    ("index", 'web" | delete', "index: Value error"),
    ("sourcetype", "access*", "sourcetype: Value error"),
    ("duration_unit", "min", "duration_unit: Input should be"),
    ("settle_poll_s", "0", "settle_poll_s: Input should be greater than 0"),
    ("indexx", "web", "unknown key(s) indexx"),
])
def test_a_bad_telemetry_splunk_value_names_its_key(key: str, value: str, says: str) -> None:
    with pytest.raises(BadInput, match=r"kassi\.conf \[telemetry_splunk\]: ") as refused:
        settings_from_stanzas({"telemetry_splunk": {"index": "web", key: value}})
    assert says in str(refused.value)
