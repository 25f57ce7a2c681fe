"""The pull-request comment: renders as markdown (markdown-it, CommonMark plus GitHub's tables) and
stays under GitHub's comment size whatever the record holds."""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from report_home import RunHome, fixture_record

from kassi_app.report import render
from kassi_app.report.markdown import LIMIT

MD = MarkdownIt("commonmark").enable("table")
DIFF = """--- a/app.py
+++ b/app.py
@@ -108,3 +108,4 @@ def create_loan():
-    conn = sqlite3.connect(DB)
+    conn = sqlite3.connect(DB, timeout=5)
+    conn.execute("PRAGMA journal_mode=WAL")
     cur = conn.cursor()
"""


def _with_fix(record: dict[str, Any], diff: str = DIFF) -> dict[str, Any]:
    record["remedy"] = {"source": "revert", "diff": diff, "files": ["app.py"],
                        "verified": {"class": "HEALTHY", "reason": "no practically significant change"}}
    return record


def test_comment_has_verdict_table_root_cause_and_folded_evidence(run_home: RunHome) -> None:
    text = render(run_home.record, "markdown")
    html = MD.render(text)
    assert "<strong>REGRESSION</strong>" in html
    table = re.search(r"<table>.*?</table>", html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>", table.group(0))
    assert len(rows) == 3  # header + the two judged routes
    assert table.group(0).index("POST /api/loans") < table.group(0).index("GET /api/books")  # failing first
    assert "database is locked" in html
    assert text.count("<details>") == text.count("</details>") == 1
    assert "356 failing requests at head" in text
    assert "<!doctype" not in text  # an error body is text in the comment, not markup
    assert "no fix in this run" in text


def test_the_fix_is_a_diff_block_with_its_verification() -> None:
    html = MD.render(render(_with_fix(fixture_record()), "markdown"))
    block = re.search(r'<pre><code class="language-diff">(.*?)</code></pre>', html, re.S)
    assert block is not None
    assert "+    conn = sqlite3.connect(DB, timeout=5)" in block.group(1)
    assert "verified under the same load: <strong>HEALTHY</strong>" in html


def test_backticks_in_a_diff_do_not_close_its_fence() -> None:
    diff = DIFF + '+    doc = """```python\n+    x```"""\n'
    html = MD.render(render(_with_fix(fixture_record(), diff), "markdown"))
    block = re.search(r'<pre><code class="language-diff">(.*?)</code></pre>', html, re.S)
    assert block is not None and "x```" in block.group(1)


def test_a_huge_record_stays_under_the_limit_and_says_what_it_cut() -> None:
    record = _with_fix(fixture_record(), "".join(f"+line {i} {'x' * 80}\n" for i in range(4000)))
    route = record["verdict"]["routes"][0]
    record["verdict"]["routes"] = [dict(route, route=f"/api/r{i}") for i in range(300)]
    record["verdict"]["evidence"] = [{"fact": f"fact {i} " + "y" * 500, "source": "proxy"} for i in range(3000)]
    record["verdict"]["reason"] = "z" * 100_000
    text = render(record, "markdown")
    assert len(text) < LIMIT
    assert "diff cut here" in text
    assert "more lines left out" in text
    assert "more routes in the HTML report" in text
    html = MD.render(text)
    assert html.count("<details>") == html.count("</details>") == 1
    assert "<pre><code class=\"language-diff\">" in html
