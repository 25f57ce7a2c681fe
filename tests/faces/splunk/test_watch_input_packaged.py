"""The kassi_watch input from the installable tarball, as splunkd runs it: ``./package.sh`` builds
dist/kassi-<version>.tgz, it is extracted into a scratch $SPLUNK_HOME/etc/apps/kassi, and its
bin/kassi_watch.py runs on a bare Python 3.13 (no site-packages: only what the app vendors in lib/).
splunkd is the loopback stand-in (splunkd_atom_stub.py). Slow (the build): marked packaging."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from modinput import ARGUMENTS, SESSION_KEY, events_of, input_xml
from splunkd_atom_stub import Splunkd, running
from watch_repos import Repo

from kassi_app import __version__

ROOT = Path(__file__).resolve().parents[3]
TARBALL = ROOT / "dist" / f"kassi-{__version__}.tgz"

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(3600),
              pytest.mark.skipif(sys.version_info[:2] != (3, 13), reason="Splunk runs app code on Python 3.13")]


@pytest.fixture(scope="module")
def splunk_home(tmp_path_factory: pytest.TempPathFactory, package_build: subprocess.CompletedProcess[str]) -> Path:
    assert "package.sh: built" in package_build.stdout, package_build.stdout + package_build.stderr
    home = tmp_path_factory.mktemp("splunk")
    apps = home / "etc" / "apps"
    apps.mkdir(parents=True)
    with tarfile.open(TARBALL) as tar:
        tar.extractall(apps, filter="data")
    return home


def installed_input(splunk_home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """bin/kassi_watch.py of the installed app, started the way splunkd starts it (SPLUNK_HOME set, the
    app's own Python files only)."""
    script = splunk_home / "etc" / "apps" / "kassi" / "bin" / "kassi_watch.py"
    return subprocess.run([sys.executable, "-S", str(script), *args], input=stdin, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "SPLUNK_HOME": str(splunk_home)})


@pytest.fixture
def splunkd() -> Iterator[Splunkd]:
    with running(Splunkd(session_key=SESSION_KEY, conf={"settings": {}})) as state:
        yield state


def test_the_installed_input_prints_its_scheme(splunk_home: Path) -> None:
    done = installed_input(splunk_home, "--scheme")
    assert done.returncode == 0, done.stderr
    assert {a.get("name") for a in ET.fromstring(done.stdout).iter("arg")} == ARGUMENTS


def test_the_installed_input_streams_a_baseline_then_a_skipped_commit(
    splunk_home: Path, splunkd: Splunkd, tmp_path: Path,
) -> None:
    repo = Repo.create(tmp_path / "repo")
    xml = input_xml(splunkd.uri, tmp_path / "modinputs", {"repo": str(repo.path), "branch": "main"})
    first = installed_input(splunk_home, stdin=xml)
    assert first.returncode == 0, first.stderr
    assert [(st, e["action"], e["commit"]) for _, st, e in events_of(first.stdout)] == [
        ("kassi:watch", "baseline", repo.tip)]
    docs = repo.commit_docs()
    second = installed_input(splunk_home, stdin=xml)
    assert [(e["action"], e["commit"]) for _, _, e in events_of(second.stdout)] == [("skipped", docs)]
    checkpoint = json.loads((tmp_path / "modinputs" / "shop.json").read_text())
    assert checkpoint["tip"] == docs
    # kassi's home inside Splunk: $SPLUNK_HOME/var/lib/kassi (its watch locks live there)
    assert (splunk_home / "var" / "lib" / "kassi" / "watch" / "locks").is_dir()
