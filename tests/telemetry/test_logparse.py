"""Log lines and tracebacks from real uvicorn (FastAPI) and Flask processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kassi_app.events import LogEvent, StackFrame
from kassi_app.telemetry.logparse import LogParser, frames_in, line_level

FASTAPI_APP = """
import sqlite3
from fastapi import FastAPI
app = FastAPI()

def query():
    raise sqlite3.OperationalError("database is locked")

@app.get("/boom")
def boom():
    return query()
"""

FLASK_APP = """
from flask import Flask
app = Flask(__name__)

def lookup(d):
    return d["missing"]

@app.get("/boom")
def boom():
    return lookup({})

app.test_client().get("/boom")
"""


def _parse(lines: list[str], stream: str = "stderr") -> list[LogEvent]:
    events: list[LogEvent] = []
    parser = LogParser("r1", "head", events.append)
    for i, line in enumerate(lines):
        parser.on_line("target", stream, 1000.0 + i, line)  # type: ignore[arg-type]
    parser.close()
    return events


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_uvicorn_fastapi_traceback(tmp_path: Path) -> None:
    (tmp_path / "fapp.py").write_text(FASTAPI_APP)
    port = _free_port()
    argv = [sys.executable, "-m", "uvicorn", "fapp:app", "--port", str(port)]
    proc = subprocess.Popen(argv, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/boom", timeout=5)
            except urllib.error.HTTPError as exc:
                assert exc.code == 500
                break
            except OSError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    events = _parse(stderr.splitlines())
    assert any(e.level == "INFO" and "Application startup complete" in e.message for e in events)
    assert any(e.level == "ERROR" and e.message == "ERROR:    Exception in ASGI application" for e in events)
    (tb,) = [e for e in events if e.exception is not None]
    assert tb.exception is not None and tb.level == "ERROR"
    assert (tb.exception.type, tb.exception.message) == ("sqlite3.OperationalError", "database is locked")
    assert len(tb.exception.frames) > 10
    app_file = str(tmp_path / "fapp.py")
    assert frames_in(tb.exception, tmp_path) == (
        StackFrame(app_file, 11, "boom"),
        StackFrame(app_file, 7, "query"),
    )


def test_flask_traceback(tmp_path: Path) -> None:
    (tmp_path / "flapp.py").write_text(FLASK_APP)
    done = subprocess.run(
        [sys.executable, "flapp.py"], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True
    )
    events = _parse(done.stderr.splitlines())
    first = events[0]
    assert first.level == "ERROR" and "ERROR in app: Exception on /boom [GET]" in first.message
    (tb,) = [e for e in events if e.exception is not None]
    assert tb.exception is not None
    assert (tb.exception.type, tb.exception.message) == ("KeyError", "'missing'")
    assert [f.function for f in frames_in(tb.exception, tmp_path)] == ["boom", "lookup"]


def test_chained_and_cut_off_tracebacks() -> None:
    lines = [
        "Traceback (most recent call last):",
        '  File "/r/a.py", line 2, in f',
        "    x()",
        "ValueError: first",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "/r/a.py", line 4, in g',
        "RuntimeError",
        "Traceback (most recent call last):",
        '  File "/r/b.py", line 9, in h',
    ]
    events = _parse(lines)
    excs = [e.exception for e in events if e.exception is not None]
    assert [(x.type, x.message) for x in excs] == [
        ("ValueError", "first"),
        ("RuntimeError", ""),
        ("", "traceback cut off"),
    ]
    assert excs[2].frames == (StackFrame("/r/b.py", 9, "h"),)
    assert events[0]._time == 1000.0


def test_streams_do_not_mix() -> None:
    events: list[LogEvent] = []
    parser = LogParser("r1", "base", events.append)
    parser.on_line("t", "stderr", 1.0, "Traceback (most recent call last):\n")
    parser.on_line("t", "stdout", 2.0, "INFO: a request\n")
    parser.on_line("t", "stderr", 3.0, '  File "/x.py", line 1, in <module>\n')
    parser.on_line("t", "stderr", 4.0, "OSError: disk\n")
    assert [(e.stream, e.message) for e in events] == [
        ("stdout", "INFO: a request"),
        ("stderr", "OSError: disk"),
    ]


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ('INFO:     127.0.0.1:5 - "GET / HTTP/1.1" 200 OK', "INFO"),
        ("WARNING:root:careful", "WARNING"),
        ("[2026-01-01 10:00:00,123] ERROR in app: Exception on / [GET]", "ERROR"),
        ("2026-01-01 10:00:00,123 WARN worker: slow", "WARNING"),
        ("2026-01-01T10:00:00 - CRITICAL - db gone", "CRITICAL"),
        ("time=1 level=error msg=boom", "ERROR"),
        ('{"level": "debug", "msg": "x"}', "DEBUG"),
        ("[pid 3] [FATAL] out of memory", "CRITICAL"),
        ('127.0.0.1 - - [01/Jan/2026 10:00:00] "GET /x HTTP/1.1" 200 -', "INFO"),
    ],
)
def test_line_level(line: str, level: str) -> None:
    assert line_level(line) == level
