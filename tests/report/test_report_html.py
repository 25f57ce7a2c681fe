"""The HTML report: what it says (from the record), and how it renders in a real browser.

The browser is Debian's chromium (scripts/env.sh installs it), driven through playwright's protocol
client (``pip install playwright`` brings its driver; no browser download: we point it at
/usr/bin/chromium). Every request the page makes other than the file itself is recorded and refused,
so "no network at view time" is checked, not assumed."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from report_home import RunHome, make_home

from kassi_app.report import plots, render, write_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-    conn = connect(DB)\n+    conn = connect(DB, timeout=5)\n"


def _open_in_chromium(page_file: Path, screenshot: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1150, "height": 900})
            page.set_default_timeout(30_000)
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in (
                "error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            own = page_file.as_uri()

            def refuse_other(route: Any) -> None:
                if route.request.url == own:
                    route.continue_()
                else:
                    problems.append(f"fetched {route.request.url}")
                    route.abort()

            page.route("**/*", refuse_other)
            page.goto(own, wait_until="load")
            svgs = page.eval_on_selector_all(
                "svg",
                "els => els.map(e => {const b = e.getBoundingClientRect();"
                " return {w: b.width, h: b.height, marks: e.querySelectorAll('path, use').length,"
                " text: e.textContent}})",
            )
            page.screenshot(path=str(screenshot), full_page=True)
            title = page.title()
        finally:
            browser.close()
    return {"problems": problems, "svgs": svgs, "title": title}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (scripts/env.sh installs it as root)")
@pytest.mark.skipif(not plots.available(), reason="matplotlib (the report extra) not installed")
def test_report_renders_in_chromium_with_every_plot_drawn_and_nothing_fetched(
    run_home: RunHome, tmp_path: Path
) -> None:
    (page_file,) = write_reports(run_home.record, ["html"], tmp_path / "out")
    seen = _open_in_chromium(page_file, tmp_path / "kassi_report.png")
    assert seen["problems"] == []
    assert seen["title"].startswith("kassi REGRESSION")
    # one run-level block chart + one figure per judged route
    assert len(seen["svgs"]) == 1 + len(run_home.record["verdict"]["routes"])
    for svg in seen["svgs"]:
        assert svg["w"] > 300 and svg["h"] > 100, svg
        assert svg["marks"] > 10, svg
    assert "HL shift -124.2 ms [-141.8, -105.5]" in seen["svgs"][1]["text"]  # the failing route comes first
    shot = tmp_path / "kassi_report.png"
    assert shot.stat().st_size > 50_000  # a full page with plots, not a blank frame


@pytest.fixture(scope="module")
def fixture_html(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunHome, str]:
    """The fixture run's HTML, rendered once for the tests that only read it."""
    home = make_home(tmp_path_factory.mktemp("home"))
    return home, render(home.record, "html")


@pytest.fixture
def no_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests about the text sections: skip drawing (slow on a busy machine, and tested above)."""
    monkeypatch.setattr(plots, "available", lambda: False)


def test_report_states_the_records_verdict_and_clean_absences(fixture_html: tuple[RunHome, str]) -> None:
    run_home, html = fixture_html
    assert "REGRESSION</span> POST /api/loans: server errors 0.0 % at base → 41.0 % at head" in html
    assert "-124.2 ms [-141.8, -105.5] (-55.0 %)" in html  # the judge's Hodges-Lehmann shift, not re-estimated
    assert "sqlite3.OperationalError: database is locked" in html
    assert "Client / server gap</h2><p class=\"none\">not recorded in this run" in html
    assert "Fix</h2><p class=\"none\">no fix in this run" in html
    assert run_home.record["ledger"]["head"] in html
    for action in ("begin", "read_change", "drive_load", "judge", "conclude"):
        assert f"<td>{action}</td>" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html)  # nothing to fetch
    assert "<script" not in html
    # an error body quoted in the evidence is text, not markup
    assert html.count("<!doctype html>") == 1 and "&lt;!doctype html&gt; &lt;html lang=en&gt;" in html


def test_ids_stay_unique_across_the_inline_svgs(fixture_html: tuple[RunHome, str]) -> None:
    _, html = fixture_html
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert ids and max(ids.values()) == 1
    for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', html):
        assert ref in ids, ref


@pytest.mark.usefixtures("no_plots")
def test_fix_gap_and_refusal_are_shown_when_recorded(run_home: RunHome) -> None:
    record = dict(run_home.record)
    record["remedy"] = {"source": "revert", "diff": DIFF, "files": ["app.py"],
                        "checks": {"applies": True, "parses": True},
                        "verified": {"class": "HEALTHY", "reason": "no practically significant change"}}
    record["client_server"] = {"head": {"/api/loans": {"client_p50_ms": 71.5, "server_p50_ms": 69.75,
                                                       "gap_p50_ms": 1.75}}}
    with (run_home.folder / "ledger.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"seq": 9, "kind": "refusal", "card": "Judgement", "action": "remedy", '
                 '"outcome": {"status": "refused", "reason": "the ledger is sealed"}}\n')
    html = render(record, "html")
    assert '<span class="add">+    conn = connect(DB, timeout=5)</span>' in html
    assert '<span class="del">-    conn = connect(DB)</span>' in html
    assert "head + fix vs base:" in html and ">HEALTHY</span>" in html
    assert "<td class=n>1.75</td>" in html and "gap_p50_ms" in html
    assert '<tr class="refused">' in html and "the ledger is sealed" in html


def test_without_the_store_the_report_says_so_and_still_renders(tmp_path: Path) -> None:
    home = make_home(tmp_path, with_store=False)
    html = render(home.record, "html")
    assert "per-request latencies not found" in html
    assert html.count("no per-request latencies for this route") == 2
    assert "REGRESSION" in html


@pytest.mark.usefixtures("no_plots")
def test_without_matplotlib_the_report_says_how_to_get_plots(run_home: RunHome) -> None:
    html = render(run_home.record, "html")
    assert "pip install &#x27;kassi[report]&#x27;" in html
    assert "<svg" not in html


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=60)


@pytest.mark.usefixtures("no_plots")
def test_the_root_causes_hunk_is_read_from_the_repos_own_diff(run_home: RunHome, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    lines = [f"line_{i} = {i}" for i in range(1, 131)]
    (repo / "app.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    lines[111] = "conn = sqlite3.connect(DB, isolation_level='EXCLUSIVE')"
    (repo / "app.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "head")
    record = dict(run_home.record)
    record["request"] = {"repo": str(repo), "base": "HEAD~1", "head": "HEAD"}
    record["verdict"] = dict(record["verdict"], root_cause=dict(record["verdict"]["root_cause"], hunk="app.py:109-115"))
    html = render(record, "html")
    assert "<h3>Diff hunk <code>app.py:109-115</code></h3>" in html
    assert "<span class=\"del\">-line_112 = 112</span>" in html
    assert "<span class=\"add\">+conn = sqlite3.connect(DB, isolation_level=&#x27;EXCLUSIVE&#x27;)</span>" in html
    comment = render(record, "markdown")
    assert "+conn = sqlite3.connect(DB, isolation_level='EXCLUSIVE')" in comment


def test_a_vanished_repo_leaves_the_hunks_name_and_says_why(fixture_html: tuple[RunHome, str]) -> None:
    _, html = fixture_html
    assert "diff hunk: <code>app.py:108-120</code> (its text is not available)" in html
    assert "the repository is no longer at /tmp/kassi-demo-sqlite-write-lock/repo" in html
