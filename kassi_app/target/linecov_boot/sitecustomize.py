"""kassi's line-coverage bootstrap, loaded by the head target's own interpreter (``PYTHONPATH``).

It runs inside the service under test, so it imports nothing of kassi and only the standard library
(plus ``coverage`` when the interpreter has no ``sys.monitoring``). It records which of the changed
lines kassi asked about (``KASSI_LINECOV_SPEC``: ``{"lines": {abs_path: [line, ...]}}``) ran, and
when kassi asks (a ``request`` file appears in ``KASSI_LINECOV_DIR``) writes them to
``<pid>.json`` there and stops measuring: the rest of the run pays nothing.

Python 3.12+: ``sys.monitoring`` with LINE events switched on only for the code objects of the
changed files, each line reported once (then disabled). Older interpreters: ``coverage`` limited to
the changed files, if importable; else the file says why nothing was measured. A target's own
``sitecustomize`` (if any, later on ``sys.path``) is still imported after this one.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from types import CodeType
from typing import Any, Protocol

_POLL_S = 0.1


def _write(folder: str, payload: dict[str, Any]) -> None:
    path = os.path.join(folder, f"{os.getpid()}.json")
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(payload, fh)
    os.replace(path + ".tmp", path)


class _Recorder(Protocol):
    def stop(self) -> dict[str, set[int]]: ...


class _Monitor:
    """sys.monitoring: PY_START picks the code objects of the changed files, LINE records each line once."""

    def __init__(self, wanted: dict[str, set[int]]) -> None:
        self.wanted = wanted
        self.hit: dict[str, set[int]] = {}
        mon = sys.monitoring
        self.tool = next(t for t in range(2, 6) if mon.get_tool(t) is None)
        mon.use_tool_id(self.tool, "kassi-linecov")
        mon.register_callback(self.tool, mon.events.PY_START, self._start)
        mon.register_callback(self.tool, mon.events.LINE, self._line)
        self._seen: set[CodeType] = set()
        self._paths: dict[str, str] = {}
        mon.set_events(self.tool, mon.events.PY_START)

    def _path(self, name: str) -> str:
        path = self._paths.get(name)
        if path is None:
            path = self._paths[name] = os.path.realpath(name)
        return path

    def _start(self, code: CodeType, offset: int) -> object:
        if self._path(code.co_filename) in self.wanted and code not in self._seen:
            self._seen.add(code)
            sys.monitoring.set_local_events(self.tool, code, sys.monitoring.events.LINE)
        return sys.monitoring.DISABLE

    def _line(self, code: CodeType, line: int) -> object:
        path = self._path(code.co_filename)
        if line in self.wanted.get(path, ()):
            self.hit.setdefault(path, set()).add(line)
        return sys.monitoring.DISABLE

    def stop(self) -> dict[str, set[int]]:
        mon = sys.monitoring
        mon.set_events(self.tool, 0)
        for code in self._seen:
            mon.set_local_events(self.tool, code, 0)
        mon.free_tool_id(self.tool)
        return self.hit


class _Coverage:
    """coverage.py, measuring only the changed files (Python before 3.12)."""

    def __init__(self, wanted: dict[str, set[int]]) -> None:
        import coverage  # type: ignore[import-not-found,unused-ignore]

        self.wanted = wanted
        self.cov = coverage.Coverage(include=sorted(wanted), data_file=None, branch=False)
        self.cov.start()

    def stop(self) -> dict[str, set[int]]:
        self.cov.stop()
        data = self.cov.get_data()
        hit: dict[str, set[int]] = {}
        for path, lines in self.wanted.items():
            ran = set(data.lines(path) or ()) & lines
            if ran:
                hit[path] = ran
        return hit


def _serve(folder: str, recorder: _Recorder | None, how: str) -> None:
    request = os.path.join(folder, "request")
    while not os.path.exists(request):
        threading.Event().wait(_POLL_S)
    hit = recorder.stop() if recorder is not None else {}
    _write(folder, {"how": how, "done": True, "hit": {p: sorted(ls) for p, ls in hit.items()}})


def _begin() -> None:
    folder, spec = os.environ.get("KASSI_LINECOV_DIR"), os.environ.get("KASSI_LINECOV_SPEC")
    if not folder or not spec:
        return
    recorder: _Recorder | None = None
    try:
        with open(spec, encoding="utf-8") as fh:
            wanted = {p: set(ls) for p, ls in json.load(fh)["lines"].items()}
        if hasattr(sys, "monitoring"):
            recorder, how = _Monitor(wanted), "sys.monitoring"
        else:
            recorder, how = _Coverage(wanted), "coverage"
    except ImportError:
        how = ("not measured: Python {}.{} has no sys.monitoring and coverage is not "
               "installed".format(*sys.version_info[:2]))
    except Exception as exc:  # never break the service kassi measures
        recorder, how = None, f"not measured: {type(exc).__name__}: {exc}"

    def answer() -> None:
        """This process's file and the thread that answers kassi's request (again in a forked worker,
        which inherits the measurement but not the thread)."""
        _write(folder, {"how": how, "done": False, "hit": {}})
        threading.Thread(target=_serve, args=(folder, recorder, how), daemon=True, name="kassi-linecov").start()

    answer()
    os.register_at_fork(after_in_child=answer)


def _chain() -> None:
    """Import the target's own sitecustomize, if one sits later on sys.path."""
    here = os.path.dirname(os.path.abspath(__file__))
    me = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    try:
        import sitecustomize  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        if me is not None:
            sys.modules["sitecustomize"] = me
    finally:
        sys.path[:] = saved


_begin()
_chain()
