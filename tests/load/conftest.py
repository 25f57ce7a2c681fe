"""Fixtures for the load tests: the recording service from loadsvc on a free loopback port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from loadsvc import Recorder, Service, handler_for


@pytest.fixture
def service() -> Iterator[Service]:
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(recorder))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Service(f"http://127.0.0.1:{server.server_address[1]}", recorder)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
