"""`kassi serve`'s allow list on its own: which repos, hosts and files a client's request may name.
(Over the wire, with the real server and token: test_mcp_server.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kassi_app.config import RunRequest
from kassi_app.errors import BadInput
from kassi_app.faces.mcp.allow import ServeAllowList


@pytest.fixture
def allow(tmp_path: Path) -> ServeAllowList:
    (tmp_path / "code" / "shop").mkdir(parents=True)
    (tmp_path / "code" / "shop" / "openapi.json").write_text("{}")
    (tmp_path / "secret.json").write_text("{}")
    return ServeAllowList.from_flags([str(tmp_path / "code")], ["Staging.Internal", "[::2]"])


def test_repos_and_files_inside_an_allowed_folder_and_allowed_hosts_pass(allow: ServeAllowList, tmp_path: Path) -> None:
    shop = tmp_path / "code" / "shop"
    for request in (
        RunRequest(repo=str(shop)),
        RunRequest(repo=str(tmp_path / "code" / "shop" / ".." / "shop")),
        RunRequest(mode="live", url="http://staging.internal:8080", endpoints=("GET /x",),
                   allow_hosts=("staging.internal",), openapi=str(shop / "openapi.json")),
        RunRequest(mode="live", url="http://[::2]:8080", endpoints=("GET /x",)),
        RunRequest(mode="live", url="http://127.0.0.1:9", endpoints=("GET /x",),
                   openapi="http://staging.internal/openapi.json"),
    ):
        allow.check(request)
        assert allow.screen("begin", request) is None


@pytest.mark.parametrize(("fields", "expected"), [
    ({"repo": "/"}, "repo '/' is not in a folder kassi serve allows"),
    ({"repo": "code/../secret.json"}, "is not in a folder kassi serve allows"),
    ({"mode": "live", "url": "http://127.0.0.1:9", "endpoints": ("GET /x",), "openapi": "secret.json"},
     "openapi 'secret.json' is not in a folder"),
    ({"mode": "live", "url": "http://127.0.0.1:9", "endpoints": ("GET /x",), "openapi": "http://10.0.0.1/o.json"},
     "host '10.0.0.1' is not allowed"),
    ({"mode": "live", "url": "http://127.0.0.1:9", "endpoints": ("GET /x",), "traffic": "secret.json"},
     "traffic 'secret.json' is not in a folder"),
    ({"mode": "live", "url": "http://127.0.0.1:9", "endpoints": ("GET /x",), "splunk_config": "/tmp/s.toml"},
     "splunk_config cannot be named by an MCP client"),
    ({"mode": "live", "url": "http://staging.internal.evil:80", "endpoints": ("GET /x",)},
     "host 'staging.internal.evil' is not allowed"),
    ({"mode": "live", "url": "http://127.0.0.1:9", "endpoints": ("GET /x",), "allow_hosts": ("db.internal",)},
     "allow_hosts names 'db.internal'"),
])
def test_what_lies_outside_is_refused_with_a_clear_reason(
    allow: ServeAllowList, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fields: dict[str, object], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths are the server's, resolved from its folder
    request = RunRequest.model_validate(fields)
    with pytest.raises(BadInput, match=re.escape(expected)):
        allow.check(request)
    reason = allow.screen("begin", request)
    assert reason is not None and reason.startswith("begin refused by kassi serve's allow list: ")


def test_no_allowed_repo_refuses_every_ab_run_and_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"start it with --allow-repo PATH; allowed: none"):
        ServeAllowList().check(RunRequest(repo=str(tmp_path)))


def test_an_allowed_repo_that_is_no_folder_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"--allow-repo .*: not a folder"):
        ServeAllowList.from_flags([str(tmp_path / "missing")], [])
