"""The load allowlist decides from the URL text alone."""

from __future__ import annotations

import socket

import pytest

from kassi_app.errors import BadInput
from kassi_app.hosts import check_url_allowed, is_loopback


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "192.168.1.1", "0.0.0.0", "localhost.evil.com"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_refused_host_is_never_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("DNS lookup attempted")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(BadInput, match=r"--allow-host api\.example\.com"):
        check_url_allowed("http://api.example.com:8080/x")


def test_allowed_host_and_default_ports() -> None:
    assert check_url_allowed("http://api.example.com/x", ["api.example.com"]) == ("api.example.com", 80)
    assert check_url_allowed("https://localhost/") == ("localhost", 443)
    assert check_url_allowed("http://127.0.0.1:8000") == ("127.0.0.1", 8000)


@pytest.mark.parametrize("url", ["ftp://localhost/", "localhost:80", "http://", "http://localhost:99999/"])
def test_malformed_urls(url: str) -> None:
    with pytest.raises(BadInput):
        check_url_allowed(url)
