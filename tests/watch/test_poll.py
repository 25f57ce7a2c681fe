"""The watcher's polling semantics on real git repos, with a recording stand-in for the kassi run
(tests/support/watch_repos.py: FakeRun); one real run end to end is in tests/faces/cli/test_watch.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from watch_repos import Events, FakeRun, Repo, pairs

from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.git import GitFailed, check_git_url, git
from kassi_app.watch import CheckpointFile, WatchConfig, Watcher
from kassi_app.watch.checkpoint import repo_lock
from kassi_app.watch.poll import duration_load


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo.create(tmp_path / "repo")


def make(repo: Repo | str, tmp_path: Path, run: FakeRun, **config: object) -> tuple[Watcher, Events]:
    events = Events()
    location = str(repo.path) if isinstance(repo, Repo) else repo
    watcher = Watcher(WatchConfig(name="shop", repo=location, **config),  # type: ignore[arg-type]
                      CheckpointFile(tmp_path / "checkpoints", "shop"), tmp_path / "home", events, run)
    return watcher, events


def saved_tip(tmp_path: Path) -> str:
    return str(json.loads((tmp_path / "checkpoints" / "shop.json").read_text())["tip"])


def test_first_poll_is_the_baseline_and_runs_nothing(repo: Repo, tmp_path: Path) -> None:
    run = FakeRun()
    watcher, events = make(repo, tmp_path, run)
    outcomes = watcher.poll()
    assert outcomes is not None and [o.action for o in outcomes] == ["baseline"]
    assert events.actions() == [("baseline", repo.tip)]
    assert run.asked == [] and saved_tip(tmp_path) == repo.tip


def test_no_new_commit_emits_nothing(repo: Repo, tmp_path: Path) -> None:
    watcher, events = make(repo, tmp_path, FakeRun())
    watcher.poll()
    assert watcher.poll() == [] and len(events.items) == 1


def test_a_docs_only_commit_is_skipped_with_the_reason(repo: Repo, tmp_path: Path) -> None:
    run = FakeRun()
    watcher, events = make(repo, tmp_path, run)
    watcher.poll()
    docs = repo.commit_docs()
    watcher.poll()
    skipped = events.of("kassi:watch")[-1]
    assert (skipped["action"], skipped["commit"]) == ("skipped", docs)
    assert "changes no endpoint" in skipped["reason"] and "docs/notes.md" in skipped["reason"]
    assert run.asked == [] and saved_tip(tmp_path) == docs


def test_a_push_of_three_commits_gets_three_runs_oldest_first_each_against_its_parent(
    repo: Repo, tmp_path: Path,
) -> None:
    run = FakeRun(verdict="DEGRADING")
    watcher, events = make(repo, tmp_path, run)
    watcher.poll()
    start = repo.tip
    commits = [repo.commit_endpoint() for _ in range(3)]
    outcomes = watcher.poll()
    assert run.asked == pairs(commits, start)
    assert outcomes is not None and [(o.action, o.commit, o.parent, o.verdict) for o in outcomes] == [
        ("ran", c, p, "DEGRADING") for p, c in pairs(commits, start)]
    assert [e["run_id"] for e in events.of("kassi:watch")[1:]] == ["run-1", "run-2", "run-3"]
    # each run's phase and record come before its watch event
    kinds = [kind for kind, _ in events.items[1:]]
    assert kinds == ["kassi:phase", "kassi:run", "kassi:watch"] * 3
    run_event = events.of("kassi:run")[0]
    assert (run_event["origin"], run_event["base"], run_event["commit"], run_event["verdict"]) == (
        "watch", start, commits[0], "DEGRADING")
    assert run_event["ledger_sealed"] is True and run_event["repo"] == str(repo.path)
    assert all(next(iter(data)) == "_time" for _, data in events.items)
    assert saved_tip(tmp_path) == commits[-1]


def test_a_restart_mid_push_reruns_the_interrupted_commit_and_skips_none(repo: Repo, tmp_path: Path) -> None:
    killed = FakeRun(interrupt_on=2)  # SIGTERM during the second run: kassi's handler raises SystemExit
    watcher, events = make(repo, tmp_path, killed)
    watcher.poll()
    start = repo.tip
    commits = [repo.commit_endpoint() for _ in range(3)]
    with pytest.raises(SystemExit):
        watcher.poll()
    assert killed.finished == pairs(commits, start)[:1] and saved_tip(tmp_path) == commits[0]
    restarted = FakeRun()
    watcher, more = make(repo, tmp_path, restarted)
    watcher.poll()
    assert restarted.asked == pairs(commits, start)[1:]
    ran = [c for action, c in events.actions() + more.actions() if action == "ran"]
    assert ran == commits  # every commit recorded once, none skipped, none twice


def test_a_run_that_fails_or_raises_is_that_commits_failure_and_the_next_commit_still_runs(
    repo: Repo, tmp_path: Path,
) -> None:
    class Flaky(FakeRun):
        def __call__(self, request, sink):  # type: ignore[no-untyped-def]
            if not self.asked:
                self.asked.append((request.base, request.head))
                raise RuntimeError("k6 vanished")
            return super().__call__(request, sink)

    run = Flaky()
    watcher, events = make(repo, tmp_path, run)
    watcher.poll()
    first, second = repo.commit_endpoint(), repo.commit_endpoint()
    watcher.poll()
    watch = events.of("kassi:watch")[1:]
    assert [(e["action"], e["commit"]) for e in watch] == [("failed", first), ("ran", second)]
    assert "RuntimeError: k6 vanished" in watch[0]["reason"]


def test_a_force_push_is_recorded_and_the_new_commits_after_the_common_ancestor_run(
    repo: Repo, tmp_path: Path,
) -> None:
    run = FakeRun()
    watcher, _events = make(repo, tmp_path, run)
    watcher.poll()
    common = repo.commit_endpoint()
    old = repo.commit_endpoint()
    watcher.poll()
    repo.git("reset", "--quiet", "--hard", common)  # the force-push: `old` is replaced
    new = [repo.commit_endpoint(), repo.commit_endpoint()]
    run.asked.clear()
    outcomes = watcher.poll()
    assert outcomes is not None
    assert [(o.action, o.commit) for o in outcomes] == [("rewritten", new[-1]), ("ran", new[0]), ("ran", new[1])]
    assert outcomes[0].parent == old and "not an ancestor" in outcomes[0].reason
    assert run.asked == pairs(new, common)
    assert saved_tip(tmp_path) == new[-1]


def test_a_rewrite_with_no_common_history_makes_the_new_tip_the_baseline(repo: Repo, tmp_path: Path) -> None:
    run = FakeRun()
    watcher, _events = make(repo, tmp_path, run)
    watcher.poll()
    repo.git("checkout", "--quiet", "--orphan", "fresh")
    new_tip = repo.commit({"README.md": "all new\n"}, "Start over", append=False)
    repo.git("branch", "--quiet", "-M", "fresh", "main")
    outcomes = watcher.poll()
    assert outcomes is not None and [(o.action, o.commit) for o in outcomes] == [("rewritten", new_tip)]
    assert "new baseline" in outcomes[0].reason and run.asked == [] and saved_tip(tmp_path) == new_tip


def test_tip_mode_runs_a_push_once_from_the_previous_tip(repo: Repo, tmp_path: Path) -> None:
    run = FakeRun()
    watcher, events = make(repo, tmp_path, run, mode="tip")
    watcher.poll()
    start = repo.tip
    commits = [repo.commit_endpoint() for _ in range(3)]
    watcher.poll()
    assert run.asked == [(start, commits[-1])]
    assert events.actions()[1:] == [("skipped", commits[0]), ("skipped", commits[1]), ("ran", commits[2])]
    assert "mode=tip" in events.of("kassi:watch")[1]["reason"]


def test_one_watcher_per_repo_a_held_lock_leaves_the_poll_to_the_next_one(repo: Repo, tmp_path: Path) -> None:
    run = FakeRun()
    watcher, events = make(repo, tmp_path, run)
    watcher.poll()
    repo.commit_endpoint()
    with repo_lock(tmp_path / "home" / "watch" / "locks" / f"{watcher.source.key}.lock") as held:
        assert held
        assert watcher.poll() is None
    assert run.asked == [] and len(events.items) == 1
    watcher.poll()
    assert len(run.asked) == 1


def test_a_missing_branch_is_a_failed_poll_that_moves_nothing(repo: Repo, tmp_path: Path) -> None:
    watcher, _events = make(repo, tmp_path, FakeRun(), branch="release")
    outcomes = watcher.poll()
    assert outcomes is not None and outcomes[0].action == "failed"
    assert "branch 'release' not found" in outcomes[0].reason
    assert not (tmp_path / "checkpoints" / "shop.json").exists()


def test_check_refuses_what_cannot_work(repo: Repo, tmp_path: Path) -> None:
    def refusal(location: str, **config: object) -> str:
        watcher, _ = make(location, tmp_path, FakeRun(), **config)
        with pytest.raises(BadInput) as caught:
            watcher.check()
        return str(caught.value)

    plain = tmp_path / "plain"
    plain.mkdir()
    assert "no such repo" in refusal(str(tmp_path / "absent"))
    assert "not a git repository" in refusal(str(plain))
    assert "branch 'nope' not found" in refusal(str(repo.path), branch="nope")
    repo.git("rm", "--quiet", "kassi.toml")
    repo.commit({}, "Drop kassi.toml")
    assert "no kassi.toml at the tip of branch 'main'" in refusal(str(repo.path))


def test_a_git_url_is_cloned_under_the_kassi_home_and_fetched_each_poll(repo: Repo, tmp_path: Path) -> None:
    run = FakeRun()
    watcher, events = make(repo.path.as_uri(), tmp_path, run)
    watcher.poll()
    clone = tmp_path / "home" / "watch" / "clones" / watcher.source.key
    assert events.actions() == [("baseline", repo.tip)] and (clone / ".git").is_dir()
    start, pushed = repo.tip, repo.commit_endpoint()
    watcher.poll()
    assert run.asked == [(start, pushed)]
    assert git(clone, "config", "--get", "remote.origin.url") == repo.path.as_uri()


@pytest.mark.parametrize(("url", "message"), [
    ("-oProxyCommand=touch /tmp/x", "not a usable git URL"),
    ("--upload-pack=touch /tmp/x", "not a usable git URL"),
    ("ext::sh -c touch% /tmp/x", "not a usable git URL"),
    ("ext::sh", "the ext:: transport"),
    ("fd::3", "the fd:: transport"),
    ("ftp://example.com/repo.git", "scheme 'ftp'"),
    ("https://user:hunter2@example.com/repo.git", "holds a password"),
])
def test_urls_that_could_act_as_options_or_run_commands_are_refused(url: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        check_git_url(url)


def test_git_itself_refuses_the_ext_transport_even_if_a_url_got_past_the_check(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(GitFailed, match="transport 'ext' not allowed"):
        git(tmp_path, "clone", "--quiet", "--", f"ext::sh -c touch% {marker}", "dest")
    assert not marker.exists()


def test_duration_splits_between_the_stages_and_is_bounded() -> None:
    load = duration_load(8)
    assert (load.low_duration_s, load.high_duration_s) == (3.0, 5.0)
    assert duration_load(None).low_duration_s is None
    with pytest.raises(BadInput, match="duration must be between"):
        duration_load(0.5)


def test_check_while_another_watcher_holds_a_url_repo_reads_its_clone_or_asks_to_retry(
    repo: Repo, tmp_path: Path,
) -> None:
    watcher, _ = make(repo.path.as_uri(), tmp_path, FakeRun())
    lock = tmp_path / "home" / "watch" / "locks" / f"{watcher.source.key}.lock"
    with repo_lock(lock) as held:
        assert held
        with pytest.raises(InfrastructureError, match="another watcher is cloning"):
            watcher.check()
    watcher.poll()  # clones
    pushed = repo.commit_endpoint()
    with repo_lock(lock):
        assert watcher.check() != pushed  # the clone as it is, not fetched under another's lock
    assert watcher.check() == pushed
