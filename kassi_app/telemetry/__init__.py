"""Server-side telemetry: the access-log proxy, the target's own log lines, and the stores."""
