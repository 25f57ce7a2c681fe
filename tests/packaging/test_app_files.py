"""The Splunk app's own files, checked in a second: the conf stanzas AppInspect and Splunk need, the
icons, the nav and the Dashboard Studio view. (The slow tarball + AppInspect run: test_package.py.)"""

from __future__ import annotations

import configparser
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from make_icons import ICONS, png_size, render_png

from kassi_app import __version__

ROOT = Path(__file__).resolve().parents[2]
VIEWS = ROOT / "default" / "data" / "ui" / "views"


def read_conf(path: Path) -> configparser.ConfigParser:
    """Splunk .conf/.meta as configparser sees it (``[]`` is the default stanza of a .meta file)."""
    conf = configparser.ConfigParser(interpolation=None, strict=True)
    conf.SECTCRE = re.compile(r"\[(?P<header>.*)\]")
    conf.optionxform = str  # type: ignore[assignment,method-assign]
    conf.read_string(path.read_text())
    return conf


def dashboard_definition(view: Path) -> dict[str, Any]:
    root = ET.parse(view).getroot()
    assert root.tag == "dashboard" and root.get("version") == "2", "not a Dashboard Studio view"
    definition = root.findtext("definition")
    assert definition is not None
    parsed: dict[str, Any] = json.loads(definition)
    return parsed


def test_app_conf_has_the_stanzas_appinspect_and_splunk_need() -> None:
    conf = read_conf(ROOT / "default" / "app.conf")
    assert dict(conf["id"]) == {"name": "kassi", "version": __version__}
    assert conf["launcher"]["version"] == __version__
    assert conf["launcher"]["description"] and conf["launcher"]["author"]
    assert dict(conf["package"]) == {"id": "kassi", "check_for_updates": "false"}
    assert conf["ui"]["is_visible"] == "true" and conf["ui"]["label"] == "kassi"
    assert conf["install"]["is_configured"] == "false"


def test_metadata_lets_everyone_read_and_only_admins_write() -> None:
    meta = read_conf(ROOT / "metadata" / "default.meta")
    assert meta.get("", "access").replace(" ", "") == "read:[*],write:[admin,sc_admin]"


def test_kassi_index_macro_is_defined() -> None:
    macros = read_conf(ROOT / "default" / "macros.conf")
    assert macros["kassi_index"]["definition"] == "index=main"


@pytest.mark.parametrize("name", sorted(ICONS))
def test_icons_are_pngs_of_the_size_splunk_expects_and_match_their_generator(name: str) -> None:
    size, tile, ink = ICONS[name]
    data = (ROOT / "static" / name).read_bytes()
    assert png_size(data) == (size, size)
    assert data == render_png(size, tile, ink), "static/ icon is stale: run tests/packaging/make_icons.py"


def test_nav_default_view_exists() -> None:
    nav = ET.parse(ROOT / "default" / "data" / "ui" / "nav" / "default.xml").getroot()
    defaults = [v.get("name") for v in nav.iter("view") if v.get("default") == "true"]
    assert defaults == ["kassi_overview"]
    for view in nav.iter("view"):
        assert view.get("name") == "search" or (VIEWS / f"{view.get('name')}.xml").is_file()


STUDIO_VIEWS = sorted(v for v in VIEWS.glob("*.xml") if ET.parse(v).getroot().get("version") == "2")


def test_views_are_dashboard_studio_except_the_setup_page() -> None:
    """The setup page is Simple XML (its script needs it); tests/faces/splunk/test_setup_page.py checks it."""
    assert {v.stem for v in VIEWS.glob("*.xml")} - {v.stem for v in STUDIO_VIEWS} == {"kassi_setup"}


@pytest.mark.parametrize("view", STUDIO_VIEWS, ids=lambda p: p.stem)
def test_dashboard_studio_definition_is_consistent(view: Path) -> None:
    definition = dashboard_definition(view)
    sources = definition["dataSources"]
    vizzes = definition["visualizations"]
    for name, source in sources.items():
        assert source["type"] in {"ds.search", "ds.chain"}, name
        if source["type"] == "ds.chain":
            assert source["options"]["extend"] in sources, name
        else:
            assert source["options"]["query"].startswith("`kassi_index` "), "searches go through the macro"
    for name, viz in vizzes.items():
        assert viz["type"].startswith("splunk."), name
        assert viz["dataSources"]["primary"] in sources, name
    layout = definition["layout"]  # the current schema: tabs over layoutDefinitions
    placed = {item["item"] for ld in layout["layoutDefinitions"].values() for item in ld["structure"]}
    assert placed == set(vizzes)
    assert set(layout.get("globalInputs", [])) <= set(definition.get("inputs", {}))
