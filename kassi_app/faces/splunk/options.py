"""What a ``| kassi`` search asks for, checked before anything starts.

The search bar is a shared, untrusted input: a repo is named, never given as a path (the app's setup
decides which folders kassi may touch), refs are checked so that none can be read as a git option,
and a live URL's host must be loopback or in the app's allowed hosts. Every problem is a BadInput
whose message the search shows as ``Error in 'kassi' command: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from kassi_app.config import RunRequest
from kassi_app.demos import demo_by_name
from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput
from kassi_app.faces.splunk.app_settings import AppSettings
from kassi_app.git import check_ref_text
from kassi_app.hosts import check_url_allowed, is_loopback

TELEMETRY_MODES = ("embedded", "splunk")
"""Where server-side telemetry comes from: kassi's own access-log proxy, or (live runs) the service's
own access log in Splunk, where the app's ``[telemetry_splunk]`` settings say it is."""


@dataclass(frozen=True)
class SearchOptions:
    """The options as the search gave them (None: not given)."""

    demo: str | None = None
    repo: str | None = None
    diff: str | None = None
    intent: str | None = None
    url: str | None = None
    endpoint: str | None = None
    fix: bool = False
    telemetry: str = "embedded"


@dataclass(frozen=True)
class SearchPlan:
    """A checked search: the demo to write (or None) and the request to run, with warnings to show."""

    request: RunRequest
    demo: str | None
    warnings: tuple[str, ...]


def plan_search(options: SearchOptions, settings: AppSettings) -> SearchPlan:
    """Check ``options`` against the app's settings; BadInput says what is wrong and what would do."""
    modes = [name for name, value in (("demo", options.demo), ("repo", options.repo), ("url", options.url))
             if value is not None]
    if len(modes) != 1:
        given = ", ".join(f"{m}=" for m in modes) or "none"
        raise BadInput(f"give exactly one of demo=<name>, repo=<name> or url=<base url> (given: {given})")
    if options.telemetry not in TELEMETRY_MODES:
        raise BadInput(f"telemetry={options.telemetry}: not supported (supported: {', '.join(TELEMETRY_MODES)})")
    mode = modes[0]
    _only_with(options, mode)
    warnings: tuple[str, ...] = ()
    if options.telemetry == "splunk" and mode != "url":
        raise BadInput("telemetry=splunk goes with url=: an A/B run starts both versions here, behind kassi's proxy")
    if options.fix and mode == "url":
        raise BadInput("fix=true goes with demo= or repo=: a live run has no change to fix")
    label = f"splunk {mode}" + (f"={options.demo or options.repo}" if mode != "url" else "")  # a URL may hold a secret
    if options.demo is not None:
        demo_by_name(options.demo)  # BadInput naming the demos there are
        return SearchPlan(RunRequest(mode="ab", label=label, fix=options.fix), options.demo, warnings)
    if options.repo is not None:
        repo = settings.repo(options.repo)
        if repo.is_url:
            raise BadInput(f"repo {repo.name!r} is a git URL: the search command runs local clones only for now")
        if options.intent is not None:
            raise BadInput("intent= is not available yet: name the change with diff=<base>..<head> or diff=<commit>")
        base, head = _refs(options.diff or repo.branch)
        request = RunRequest(mode="ab", repo=repo.path, base=base, head=head, label=label, fix=options.fix)
        return SearchPlan(request, None, warnings)
    url = str(options.url)
    host = urlsplit(url).hostname or ""
    if host and not is_loopback(host) and host.lower() not in {h.lower() for h in settings.allowed_hosts}:
        raise BadInput(f"host {host!r} is not allowed: load goes to loopback only, unless an admin adds the host "
                       "to allowed_hosts on the kassi app's setup page")
    check_url_allowed(url, settings.allowed_hosts)  # scheme and port
    if not options.endpoint:
        raise BadInput('url= needs endpoint="METHOD /route" (e.g. endpoint="GET /health")')
    endpoint = _endpoint(options.endpoint)
    if options.telemetry == "splunk" and settings.telemetry_splunk is None:
        raise BadInput("telemetry=splunk needs the index of the service's access events: an admin sets it on the "
                       "kassi app's setup page (kassi.conf [telemetry_splunk] index)")
    request = RunRequest(mode="live", url=url, endpoints=(str(endpoint),), allow_hosts=settings.allowed_hosts,
                         label=label, telemetry="splunk" if options.telemetry == "splunk" else "proxy")
    return SearchPlan(request, None, warnings)


_BELONGS = {"diff": "repo", "intent": "repo", "endpoint": "url"}


def _only_with(options: SearchOptions, mode: str) -> None:
    for name, owner in _BELONGS.items():
        if getattr(options, name) is not None and owner != mode:
            raise BadInput(f"{name}= goes with {owner}=, not with {mode}=")
    if options.diff is not None and options.intent is not None:
        raise BadInput("give diff= or intent=, not both")


def _refs(diff: str) -> tuple[str, str]:
    """``base..head``, or one commit (its parent against it)."""
    if ".." in diff:
        base, _, head = diff.partition("..")
        if head.startswith("."):
            raise BadInput(f"diff={diff}: use base..head (two dots)")
        return check_ref_text(base), check_ref_text(head)
    commit = check_ref_text(diff)
    return f"{commit}~1", commit


def _endpoint(text: str) -> Endpoint:
    try:
        return Endpoint.parse(text)
    except ValueError:
        raise BadInput(f'endpoint={text!r}: expected "METHOD /route", e.g. endpoint="GET /health"') from None
