"""A raw-socket upstream whose every connection follows a script: it stands in for the corner cases a
real server produces rarely and at random (a keep-alive closed just as a request arrives, a 1xx, a
body ended by closing, a stalled body), so the proxy tests can produce them on purpose."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress


class Peer:
    """One accepted connection, as a script sees it."""

    def __init__(self, index: int, sock: socket.socket, received: list[bytes]) -> None:
        self.index = index
        self.sock = sock
        self._received = received

    def request(self) -> bytes:
        """One request head and its Content-Length body (all these scripts need); b"" at EOF."""
        data = b""
        while b"\r\n\r\n" not in data:
            piece = self.sock.recv(65536)
            if not piece:
                return b""
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length and (piece := self.sock.recv(65536)):
            body += piece
        self._received.append(head + b"\r\n\r\n" + body)
        return self._received[-1]

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


Script = Callable[[Peer], None]
"""Serves one accepted connection; the socket is closed when it returns."""


@contextmanager
def scripted_upstream(script: Script) -> Iterator[tuple[int, list[bytes]]]:
    """Listen on loopback; yields the port and the requests received (in arrival order)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    received: list[bytes] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def serve(peer: Peer) -> None:
        with peer.sock:
            peer.sock.settimeout(10)
            with suppress(OSError):
                script(peer)

    def accept() -> None:
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=serve, args=(Peer(len(threads), sock, received),), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for thread in threads:
            thread.join(5)
