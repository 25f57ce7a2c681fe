"""The setup page's JavaScript, tested with node's own test runner (no npm packages): its REST client
against a loopback stand-in for Splunk Web's splunkd proxy, and the page itself in headless Chromium.
The node files live in tests/faces/splunk/setup/; these tests run them and fail when they fail."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from splunk_app import read_conf

from kassi_app.faces.splunk import app_settings, telemetry_conf

SETUP = Path(__file__).resolve().parent / "setup"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def run_node_tests(test_file: Path, timeout_s: float, env: dict[str, str] | None = None) -> str:
    """``node --test <file>``; fails the pytest test with node's report unless every node test passed."""
    node = shutil.which("node")
    assert node is not None, "node (>= 20) is needed to test the setup page's JavaScript"
    try:
        done = subprocess.run(
            [node, "--test", "--test-reporter=tap", str(test_file)],
            capture_output=True, text=True, timeout=timeout_s, env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"node --test {test_file.name} did not finish in {timeout_s} s:\n{timeout.stdout or ''}")
    report = done.stdout + done.stderr
    counts = {key: int(n) for key, n in re.findall(r"^# (pass|fail|cancelled) (\d+)$", report, re.MULTILINE)}
    assert done.returncode == 0 and counts.get("fail") == 0 and counts.get("cancelled") == 0, report
    assert counts.get("pass", 0) > 0, f"node ran no test:\n{report}"
    return report


def test_setup_rest_client_against_splunkd_stub() -> None:
    report = run_node_tests(SETUP / "client.test.js", timeout_s=60)
    assert "# pass 21" in report, "a node test went missing or was skipped"


def test_setup_page_in_headless_chromium() -> None:
    chromium = os.environ.get("KASSI_CHROMIUM") or next((p for p in CHROMIUM_PATHS if Path(p).exists()), None)
    if chromium is None:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium, or set KASSI_CHROMIUM)")
    report = run_node_tests(SETUP / "page.test.js", timeout_s=120, env={"KASSI_CHROMIUM": chromium})
    assert "# skipped 0" in report, "the browser test was skipped although Chromium is here"


ROOT = SETUP.parents[3]


def test_setup_view_is_the_apps_setup_view_and_its_files_exist() -> None:
    view = ET.parse(ROOT / "default" / "data" / "ui" / "views" / "kassi_setup.xml").getroot()
    assert (view.tag, view.get("version"), view.get("hideEdit"), view.get("isVisible")) == (
        "dashboard", "1.1", "true", "false")
    for asset in (view.get("script"), view.get("stylesheet"), "kassi_setup_client.js"):
        assert (ROOT / "appserver" / "static" / str(asset)).is_file(), asset
    assert view.find(".//html/div[@id='kassi-setup']") is not None, "kassi_setup.js renders into #kassi-setup"
    app = read_conf(ROOT / "default" / "app.conf")
    assert app["ui"]["setup_view"] == "kassi_setup"
    assert app["install"]["is_configured"] == "false"
    assert app["triggers"]["reload.kassi"] == "simple"


def test_every_kassi_conf_key_is_documented_in_the_spec_and_no_secret_key_exists() -> None:
    defaults = read_conf(ROOT / "default" / "kassi.conf")
    spec = (ROOT / "README" / "kassi.conf.spec").read_text()
    documented = set(re.findall(r"^([a-z_0-9]+) = ", spec, re.MULTILINE))
    assert set(defaults["settings"]) | set(defaults["telemetry_splunk"]) | {"path", "branch"} == documented
    assert set(defaults["telemetry_splunk"]) == set(telemetry_conf.KEYS), "every [telemetry_splunk] key ships"
    assert not any(re.search(r"token|password|secret|api_key", key) for key in documented)


def test_page_and_engine_agree_on_where_secrets_live() -> None:
    """The page stores what kassi_app.faces.splunk.app_settings reads: same realm, same names."""
    node = shutil.which("node")
    assert node is not None, "node (>= 20) is needed to test the setup page's JavaScript"
    script = ("const c = require(process.argv[1]);"
              "console.log(JSON.stringify([c.REALM, c.gitTokenName('shop')]))")
    done = subprocess.run([node, "-e", script, str(ROOT / "appserver" / "static" / "kassi_setup_client.js")],
                          capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout) == [app_settings.REALM, app_settings.git_token_name("shop")]
    page = (ROOT / "appserver" / "static" / "kassi_setup.js").read_text()
    assert re.search(r"SECRETS = \['model_api_key', 'hec_token'\]", page)
    assert (app_settings.MODEL_API_KEY, app_settings.HEC_TOKEN) == ("model_api_key", "hec_token")


def test_kassi_conf_replicates_across_a_search_head_cluster() -> None:
    server = read_conf(ROOT / "default" / "server.conf")
    assert dict(server["shclustering"]) == {"conf_replication_include.kassi": "true"}
