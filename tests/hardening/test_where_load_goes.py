"""Load goes to the target's origin and nowhere else: routes are validated paths, k6 builds every
URL from the parsed origin (never ``BASE_URL + route`` as text) and follows no redirect."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hardening_servers import serving

from kassi_app.endpoint import BadRoute, Endpoint, validate_route
from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.events import AccessEvent
from kassi_app.hosts import check_target_url
from kassi_app.load import LoadPlan, LoadProfile, render_script, run_k6
from kassi_app.openapi import operations
from kassi_app.telemetry.proxy import AccessLogProxy

TINY = LoadProfile(low_vus=1, high_vus=2, low_duration_s=1, high_duration_s=1, graceful_stop_s=1)


@pytest.mark.parametrize("route", ["/", "/api/items", "/api/owners/{id}/pets", "/a/b.json", "/users/@me",
                                   "/a/%20b", "/a..b/c"])
def test_plain_paths_are_routes(route: str) -> None:
    assert validate_route(route) == route


@pytest.mark.parametrize("route", [
    "", "api/items", "@169.254.169.254/latest", "//169.254.169.254/latest", "http://evil/x", "/a/../b",
    "/a/%2e%2e/b", "/./x", "/a\\b", "/a b", "/a\tb", "/a\nb", "/a\x00", "/a?x=1", "/a#f", "/" + "a" * 2048,
])
def test_anything_else_is_refused(route: str) -> None:
    with pytest.raises(BadRoute):
        validate_route(route)
    with pytest.raises(ValueError):  # older callers catch ValueError: BadRoute is one too
        Endpoint.parse(f"GET {route}")


def test_an_openapi_key_that_is_not_a_path_refuses_the_spec() -> None:
    spec = {"paths": {"/ok": {"get": {}}, "@169.254.169.254/latest": {"get": {}}}}
    with pytest.raises(BadInput, match="OpenAPI path key refused"):
        operations(spec)


@pytest.mark.parametrize("url", ["https://127.0.0.1:8080", "http://127.0.0.1:8080/prefix", "http://127.0.0.1/?a=1",
                                 "http://10.0.0.1:80"])
def test_base_urls_kassi_cannot_honour(url: str) -> None:
    with pytest.raises(BadInput):
        check_target_url(url)


def test_user_info_is_accepted_but_only_host_and_port_are_kept() -> None:
    assert check_target_url("http://user:pw@127.0.0.1:8080/") == ("127.0.0.1", 8080)


def _write(tmp_path: Path, endpoints: Sequence[Endpoint]) -> Path:
    script = tmp_path / "load.js"
    script.write_text(render_script(LoadPlan(list(endpoints), [], TINY, None)))
    return script


def test_k6_refuses_a_route_that_would_leave_the_origin(tmp_path: Path) -> None:
    """An endpoint built without validation (as a hand-edited plan could be): the script must not
    turn ``origin + "@127.0.0.2:port/x"`` into a request to 127.0.0.2."""
    with serving("127.0.0.1") as target, serving("127.0.0.2") as elsewhere:
        port = elsewhere.server_address[1]
        script = _write(tmp_path, [Endpoint("GET", f"@127.0.0.2:{port}/stolen")])
        with pytest.raises(InfrastructureError):
            run_k6(script, env={"BASE_URL": target.url, "KASSI_BLOCK": "0"}, workdir=tmp_path / "out",
                   timeout_s=60)
        assert elsewhere.paths == []
        assert target.paths == []


def test_redirects_are_not_followed_and_recorded_as_3xx(tmp_path: Path) -> None:
    events: list[AccessEvent] = []
    with serving("127.0.0.2") as elsewhere, serving("127.0.0.1", redirect_to=elsewhere.url) as target:
        proxy = AccessLogProxy("127.0.0.1", target.server_address[1], "r1", "live", ["/go"], events.extend)
        port = proxy.start()
        try:
            run_k6(_write(tmp_path, [Endpoint("GET", "/go")]), env={"BASE_URL": f"http://127.0.0.1:{port}",
                   "KASSI_BLOCK": "0"}, workdir=tmp_path / "out", timeout_s=60)
        finally:
            proxy.stop()
        assert elsewhere.paths == []  # the 302 pointed here; k6 never went
        assert len(target.paths) > 10
    assert events and {e.status for e in events} == {302}


def test_routes_read_from_a_diff_are_validated_too(tmp_path: Path) -> None:
    """A route in the repo's code with a '..' segment is not loaded (left out with a warning);
    the plain route of the same change still is."""
    from gitrepo import git_repo

    from kassi_app.config import RunRequest
    from kassi_app.workflow import actions
    from kassi_app.workflow.context import RunContext

    base = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/items')\ndef items():\n    return []\n"
    head = base + "\n@app.get('/items/../../admin')\ndef sneaky():\n    return []\n\n" \
        "@app.get('/orders')\ndef orders():\n    return []\n"
    toml = '[target]\nstart = "{python} -c pass"\n'
    repo = git_repo(tmp_path / "repo", [{"app.py": base, "kassi.toml": toml}, {"app.py": head}])
    ctx = RunContext(home=tmp_path / "home")
    try:
        actions.begin(ctx, RunRequest(mode="ab", repo=str(repo)))
        actions.read_change(ctx)
    finally:
        ctx.resources.close()
        ctx.resources.store.close()
    ev = ctx.evidence
    routes = {e.route for e in (*ev.endpoints, *ev.background)}
    assert "/orders" in routes and "/items" in routes
    assert not any(".." in r for r in routes)
    assert any("'..' segment" in w for w in ev.warnings)
    assert {e.route for e in ev.refused} == {"/items/../../admin"}
