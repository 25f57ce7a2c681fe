"""Publishing finished runs to Splunk: one event builder (``events``), one publisher that batches
and marks what did not get through (``publisher``), a ``RunSink`` (``sink``), and two transports:
HEC from outside Splunk (``hec``), splunklib with a session key from inside it
(``splunklib_transport``)."""

from kassi_app.publish.publisher import PublishReport, Transport, publish_run, unpublished_runs
from kassi_app.publish.retry import PublishError, RetryPolicy
from kassi_app.publish.splunklib_transport import SplunklibTransport

__all__ = [
    "PublishError", "PublishReport", "RetryPolicy", "SplunklibTransport", "Transport", "publish_run",
    "unpublished_runs",
]
