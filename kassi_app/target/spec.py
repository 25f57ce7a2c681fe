"""`kassi.toml`: how to start the service under test (``[target]``), and the run settings it sets.

Parsed once into frozen values so every later phase works with checked, typed values; a bad file is
refused up front (``BadInput``) naming the key at fault. The ``[load]``, ``[slo]`` and ``[judge]``
tables are the run's settings: kassi_app.config owns and validates them. See docs/kassi-toml.md.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kassi_app.config import ProjectSettings, RunRequest, resolve_settings
from kassi_app.errors import BadInput
from kassi_app.inputs import finite_number, read_capped
from kassi_app.target.environment import check_pass_env

SPEC_FILE = "kassi.toml"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_BUILTINS = frozenset({"python", "port", "workdir"})


@dataclass(frozen=True)
class ProcessSpec:
    """One process to start: its command (argv with placeholders), env, health path, ready timeout."""

    name: str
    start: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    health: str = "/health"
    ready_timeout_s: float = 20.0
    pass_env: tuple[str, ...] = ()
    """Names of kassi's environment variables the process may see (beyond PATH, HOME, locale)."""


@dataclass(frozen=True)
class TargetSpec:
    """The whole kassi.toml. ``target`` is the main service; ``processes`` start before it, in order."""

    target: ProcessSpec
    processes: tuple[ProcessSpec, ...] = ()
    openapi_file: str | None = None
    settings: ProjectSettings = field(default_factory=ProjectSettings)
    """The file's ``[load]``, ``[slo]`` and ``[judge]`` tables, as given (validated with the request)."""
    test_command: tuple[str, ...] | None = None
    """``[remedy] test_command``: the repo's own tests, run on a candidate fix (placeholders
    ``{python}``, ``{workdir}``)."""

    @classmethod
    def load(cls, path: Path) -> TargetSpec:
        """Read a kassi.toml (or a folder holding one)."""
        file = path / SPEC_FILE if path.is_dir() else path
        if not file.exists():
            raise BadInput(f"no {SPEC_FILE} at {file}")
        data = parse_toml(read_capped(file, SPEC_FILE), str(file))
        try:
            return cls.parse(data)
        except BadInput as exc:
            raise BadInput(f"{file}: {exc}") from exc

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> TargetSpec:
        _only(data, "", {"target", "load", "slo", "judge", "remedy"})
        table = _table(data, "target", required=True)
        _only(table, "target", {"start", "env", "pass_env", "health", "ready_timeout_s", "openapi_file", "process"})
        raw_extra = table.get("process", [])
        if not isinstance(raw_extra, list) or not all(isinstance(p, dict) for p in raw_extra):
            raise BadInput("target.process: must be an array of tables ([[target.process]])")
        extras = tuple(_process(p, f"target.process[{i}]", None) for i, p in enumerate(raw_extra))
        names = [p.name for p in extras]
        if len(set(names)) != len(names) or "target" in names:
            raise BadInput("target.process: names must be unique and not 'target'")
        main = _process(table, "target", "target")
        allowed = _BUILTINS | {f"{n}_port" for n in names}
        keyed = [("target", main), *((f"target.process[{i}]", p) for i, p in enumerate(extras))]
        for key, proc in keyed:
            for arg in (*proc.start, *proc.env.values()):
                for name in _PLACEHOLDER.findall(arg):
                    if name not in allowed:
                        raise BadInput(f"{key}: unknown placeholder {{{name}}} (known: {sorted(allowed)})")
        remedy = _table(data, "remedy")
        _only(remedy, "remedy", {"test_command"})
        test_command = _argv(remedy["test_command"], "remedy.test_command") if "test_command" in remedy else None
        for name in _PLACEHOLDER.findall(" ".join(test_command or ())):
            if name not in {"python", "workdir"}:
                raise BadInput(f"remedy.test_command: unknown placeholder {{{name}}} (known: ['python', 'workdir'])")
        project = ProjectSettings.from_toml(data)
        resolve_settings(RunRequest(), project)  # the whole file is checked now, not after the load ran
        return cls(
            target=main,
            processes=extras,
            openapi_file=_opt_str(table, "target.openapi_file"),
            settings=project,
            test_command=test_command,
        )


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """A kassi.toml's text as a dict; a byte-order mark, bad TOML or nesting deep enough to exhaust
    the parser's recursion is one ``BadInput`` line naming ``source``."""
    if text.startswith("\ufeff"):
        raise BadInput(f"{source}: starts with a byte-order mark (BOM): save it as UTF-8 without one")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{source}: cannot read: not valid TOML: {exc}") from None
    except RecursionError:
        raise BadInput(f"{source}: nested too deeply") from None


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; names were checked at parse time."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _process(table: Mapping[str, Any], key: str, fixed_name: str | None) -> ProcessSpec:
    if fixed_name is None:
        _only(table, key, {"name", "start", "env", "pass_env", "health", "ready_timeout_s"})
        name = table.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise BadInput(f"{key}.name: required, lower-case letters, digits and '_'")
    else:
        name = fixed_name
    argv = _argv(table.get("start"), f"{key}.start")
    env = _table(table, f"{key}.env") if "env" in table else {}
    if not all(isinstance(v, str) for v in env.values()):
        raise BadInput(f"{key}.env: values must be strings")
    health = table.get("health", "/health")
    if not isinstance(health, str) or not health.startswith("/"):
        raise BadInput(f"{key}.health: must be a URL path starting with '/'")
    timeout = finite_number(table.get("ready_timeout_s", 20.0), f"{key}.ready_timeout_s", positive=True)
    raw_pass = table.get("pass_env", [])
    if not isinstance(raw_pass, list):
        raise BadInput(f"{key}.pass_env: must be a list of variable names")
    return ProcessSpec(name, argv, dict(env), health, timeout, check_pass_env(raw_pass, f"{key}.pass_env"))


def _argv(value: Any, key: str) -> tuple[str, ...]:
    """A command given as a string (shell-split) or a list of strings."""
    if isinstance(value, str):
        try:
            argv = tuple(shlex.split(value))
        except ValueError as exc:  # "No closing quotation", "No escaped character"
            raise BadInput(f"{key}: cannot split the command: {exc}") from None
    elif isinstance(value, list) and all(isinstance(a, str) for a in value):
        argv = tuple(value)
    else:
        raise BadInput(f"{key}: required, a command string or a list of strings")
    if not argv:
        raise BadInput(f"{key}: empty command")
    return argv


def _table(data: Mapping[str, Any], key: str, required: bool = False) -> dict[str, Any]:
    leaf = key.rsplit(".", 1)[-1]
    value = data.get(leaf)
    if value is None:
        if required:
            raise BadInput(f"[{key}]: required table missing")
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{key}: must be a table")
    return value


def _opt_str(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key.rsplit(".", 1)[-1])
    if value is not None and (not isinstance(value, str) or not value):
        raise BadInput(f"{key}: must be a non-empty string")
    return value


def _only(table: Mapping[str, Any], key: str, known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        where = f"{key}.{unknown[0]}" if key else unknown[0]
        raise BadInput(f"{where}: unknown key (known: {', '.join(sorted(known))})")
