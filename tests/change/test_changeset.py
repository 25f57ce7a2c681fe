"""Library API details: declaration sites, hunks, all_endpoints, and diff-only limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitrepo import git

from kassi_app.change import all_endpoints, changed_endpoints, changed_endpoints_from_diff
from kassi_app.endpoint import Endpoint


def test_modified_endpoint_carries_site_handler_and_hunk(corpus_repo: Callable[[str], Path]) -> None:
    repo = corpus_repo("fastapi-service-helper")
    result = changed_endpoints(repo, "HEAD~1", "HEAD")
    [ep] = result.endpoints
    assert ep.endpoint == Endpoint("GET", "/api/owners/")
    assert (ep.change, ep.file, ep.line, ep.framework, ep.handler) == (
        "modified",
        "app/routers/owners.py",
        9,
        "fastapi",
        "list_owners",
    )
    assert result.files == ["app/services/owners.py"]
    [hunk] = result.hunks
    assert hunk.file == "app/services/owners.py" and "+    return [_to_owner(r) for r in rows][:limit]" in hunk.text
    assert result.hunks_for("app/services/owners.py", hunk.start) == [hunk]
    assert result.hunks_for("app/services/owners.py", hunk.end + 1) == []


def test_removed_endpoint_points_at_the_base_declaration(corpus_repo: Callable[[str], Path]) -> None:
    repo = corpus_repo("fastapi-route-removed")
    [ep] = changed_endpoints(repo).endpoints
    assert (ep.change, ep.method, ep.route, ep.file, ep.line) == (
        "removed",
        "GET",
        "/api/visits/{visit_id}",
        "app/routers/visits.py",
        21,
    )


def test_all_endpoints_lists_every_route_with_prefixes(corpus_repo: Callable[[str], Path]) -> None:
    repo = corpus_repo("chi-mounted-handler")
    eps = {(d.method, d.route, d.framework) for d in all_endpoints(repo, "HEAD~1")}
    assert eps == {
        ("GET", "/", "chi"),
        ("GET", "/admin/stats", "chi"),
        ("GET", "/articles", "chi"),
        ("GET", "/articles/{articleID}", "chi"),
        ("PUT", "/articles/{articleID}", "chi"),
    }


def test_all_endpoints_django_methods_come_from_views(corpus_repo: Callable[[str], Path]) -> None:
    repo = corpus_repo("django-cbv-post")
    eps = {str(d.endpoint) for d in all_endpoints(repo)}
    assert eps == {
        "GET /blog/",
        "GET /blog/posts/{pk}/",
        "DELETE /blog/posts/{pk}/",
        "POST /blog/posts/{pk}/comment/",
        "GET /blog/archive/{year}/",
    }


def test_diff_only_sees_handler_in_context_but_not_helpers(corpus_repo: Callable[[str], Path]) -> None:
    handler_repo = corpus_repo("fastapi-app-route-body")
    text = git(handler_repo, "diff", "HEAD~1", "HEAD")
    [ep] = changed_endpoints_from_diff(text).endpoints
    assert (ep.method, ep.route, ep.change, ep.file) == ("GET", "/health", "modified", "app/main.py")
    helper_repo = corpus_repo("fastapi-service-helper")
    helper_diff = git(helper_repo, "diff", "HEAD~1", "HEAD")
    assert changed_endpoints_from_diff(helper_diff).endpoints == []
    # the calling handler is not in the diff: only repo mode can follow the helper (documented limit)
    assert changed_endpoints(helper_repo).endpoints != []


def test_diff_only_cannot_know_prefixes_declared_elsewhere(corpus_repo: Callable[[str], Path]) -> None:
    repo = corpus_repo("fastapi-handler-body")
    plain = changed_endpoints_from_diff(git(repo, "diff", "HEAD~1", "HEAD"))
    assert [(e.method, e.route) for e in plain.endpoints] == [("GET", "/{owner_id}")]  # prefix not in the diff
