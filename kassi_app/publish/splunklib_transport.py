"""The transport inside Splunk: splunklib with the session key splunkd gave the search command or the
modular input, posting to ``receivers/simple`` (REST API reference, "receivers/simple": the body is
raw event text; ``index``, ``sourcetype``, ``source`` and ``host`` are query arguments).

One POST per run of consecutive events of one sourcetype: the lines are JSON objects that the app's
props.conf breaks one per line and timestamps from their ``_time``. No token is handled here: the
``splunklib.client.Service`` the caller built already carries the session key.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Sequence
from functools import partial
from itertools import groupby
from typing import Any

from splunklib import binding, client

from kassi_app.publish.events import PublishEvent
from kassi_app.publish.hec import RETRY_STATUSES, SOURCE
from kassi_app.publish.retry import PublishError, RetryPolicy, TransientFailure, with_retries


class SplunklibTransport:
    """Sends batches of events through ``service`` (a connected ``splunklib.client.Service``) into
    ``index`` (None: the receiving role's default index)."""

    def __init__(self, service: client.Service, index: str | None = None, *, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._service = service
        self._index = index
        self._host = socket.gethostname()
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self.destination = f"splunkd {service.scheme}://{service.host}:{service.port} receivers/simple" + (
            f" index={index}" if index else "")

    def send(self, batch: Sequence[PublishEvent]) -> None:
        for sourcetype, events in groupby(batch, key=lambda e: e.sourcetype):
            body = "\n".join(e.line() for e in events)
            with_retries(partial(self._post, body, sourcetype), self._policy, self.destination, self._sleep)

    def _post(self, body: str, sourcetype: str) -> None:
        args: dict[str, Any] = {"sourcetype": sourcetype, "source": SOURCE, "host": self._host}
        if self._index:
            args["index"] = self._index
        try:
            self._service.post(client.PATH_RECEIVERS_SIMPLE, body=body, **args)
        except binding.HTTPError as exc:
            if exc.status in RETRY_STATUSES:
                raise TransientFailure(f"splunkd answered {exc}") from None
            raise PublishError(f"{self.destination} refused the events: {exc}") from None
        except ssl.SSLError as exc:  # a certificate problem does not pass by retrying
            raise PublishError(f"{self.destination}: TLS failed: {exc}") from None
        except OSError as exc:  # refused, reset, timed out: splunkd restarting or unreachable
            raise TransientFailure(f"cannot reach splunkd: {type(exc).__name__}: {exc}") from None
