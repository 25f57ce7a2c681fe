"""The Splunk app's knowledge objects and Dashboard Studio views as plain data, for the tests and the
run-view picture: .conf files read with Splunk's own parser library, views parsed from their XML,
and Splunk's npm dashboard validator driven as a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from addonfactory_splunk_conf_parser_lib import TABConfigParser

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "default"
VIEWS = DEFAULT / "data" / "ui" / "views"
LOOKUPS = ROOT / "lookups"
NODE_DIR = ROOT / "tests" / "faces" / "splunk" / "node"

MACRO_REF = re.compile(r"`([A-Za-z_][\w-]*)(?:\(([^`]*)\))?`")
"""A macro call in SPL: `name` or `name(arg, ...)`."""
LOOKUP_REF = re.compile(r"\b(?:lookup|inputlookup|outputlookup)\s+(?:\w+=\S+\s+)*([\w-]+)")


def read_conf(path: Path) -> dict[str, dict[str, str]]:
    """Stanza -> key -> value, as Splunk reads the file: keys keep their case, a trailing backslash
    continues a value on the next line (the newline is kept, the backslash is not)."""
    parser = TABConfigParser()
    parser.read(str(path))
    return {
        stanza: {k: v.replace("\\\n", "\n") for k, v in parser.items(stanza) if k != "__name__"}
        for stanza in parser.sections()
    }


def studio_views() -> dict[str, dict[str, Any]]:
    """Every Dashboard Studio view (``<dashboard version="2">``) by name, its JSON definition parsed.
    Simple XML views (the setup page, version 1.1) are not Studio views and are left out."""
    views: dict[str, dict[str, Any]] = {}
    for path in sorted(VIEWS.glob("*.xml")):
        root = ET.parse(path).getroot()
        if root.tag == "dashboard" and root.get("version") == "2":
            text = root.findtext("definition")
            if text is None:
                raise AssertionError(f"{path.name}: a Studio view without <definition>")
            views[path.stem] = json.loads(text)
    return views


def queries(definition: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(data source id, type, query) of every search-backed data source."""
    for name, source in definition.get("dataSources", {}).items():
        query = source.get("options", {}).get("query")
        if query is not None:
            yield name, source["type"], query


def full_query(definition: Mapping[str, Any], name: str) -> str:
    """The SPL a data source runs: a ds.chain's query appended to its base's, recursively."""
    source = definition["dataSources"][name]
    query = str(source["options"]["query"])
    if source["type"] == "ds.chain":
        return full_query(definition, source["options"]["extend"]) + "\n" + query
    return query


def validate_with_splunk(definitions: Mapping[str, Mapping[str, Any]], workdir: Path) -> dict[str, Any]:
    """Run Splunk's dashboard validator (node/validate.js) over the definitions: name ->
    {"errors": None when valid else the schema errors, "tokens": the tokens used}. Needs
    ``npm ci`` done in NODE_DIR."""
    paths = {}
    for name, definition in definitions.items():
        path = workdir / f"{name}.json"
        path.write_text(json.dumps(definition), encoding="utf-8")
        paths[str(path)] = name
    done = subprocess.run(
        ["node", str(NODE_DIR / "validate.js"), *paths],
        capture_output=True, text=True, timeout=120, cwd=NODE_DIR, stdin=subprocess.DEVNULL,
    )
    if done.returncode not in (0, 1):
        raise AssertionError(f"validate.js failed ({done.returncode}): {done.stderr}")
    results: dict[str, Any] = json.loads(done.stdout)
    return {paths[path]: errors for path, errors in results.items()}
