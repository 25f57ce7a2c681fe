"""The target gets a clean environment: a real service that answers with its own environment."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from kassi_app.errors import BadInput
from kassi_app.target import TargetSpec, start_target

ENV_APP = '''
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(dict(os.environ)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''
KASSI_SECRETS = {
    "KASSI_SEAL_KEY": "seal-key-0123456789abcdef",
    "KASSI_HEC_TOKEN": "hec-0123456789abcdef",
    "KASSI_HOME": "/somewhere/private",
    "OPENAI_API_KEY": "sk-0123456789abcdef",
    "ANTHROPIC_API_KEY": "sk-ant-0123456789abcdef",
    "SPLUNK_TOKEN": "splunk-0123456789abcdef",
    "UNRELATED_SECRET": "not-named-in-kassi-toml",
}


def test_the_target_sees_only_the_base_names_pass_env_and_its_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**KASSI_SECRETS, "SHOP_DB_URL": "sqlite:///shop.db", "LC_ALL": "C.UTF-8"}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "app.py").write_text(ENV_APP)
    spec = TargetSpec.parse({"target": {
        "start": "{python} app.py {port}", "health": "/", "pass_env": ["SHOP_DB_URL"],
        "env": {"GREETING": "hello on {port}"},
    }})
    with start_target(spec, tmp_path, lambda *_: None) as target:
        env = json.loads(httpx2.get(target.base_url + "/", timeout=5).text)
    assert env["SHOP_DB_URL"] == "sqlite:///shop.db"  # named in pass_env
    assert env["GREETING"] == f"hello on {target.port}"  # the env table, placeholders filled
    assert env["PATH"] and env["HOME"] and env["LC_ALL"] == "C.UTF-8"
    assert not set(KASSI_SECRETS) & set(env), sorted(env)
    leaked = [v for v in KASSI_SECRETS.values() if v in json.dumps(env)]
    assert leaked == []


@pytest.mark.parametrize("name", ["KASSI_SEAL_KEY", "KASSI_HEC_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
                                  "SPLUNK_HEC_TOKEN", "bad-name", ""])
def test_pass_env_cannot_name_kassi_secrets(name: str) -> None:
    with pytest.raises(BadInput, match="pass_env"):
        TargetSpec.parse({"target": {"start": "x", "pass_env": [name]}})
