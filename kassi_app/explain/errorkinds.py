"""Which kind of failure an error message is, across databases, ORMs and clients.

Matched on the messages the libraries really print (quoted in the tests), most specific first: a
deadlock is also a lock error, and MySQL's "Lock wait timeout exceeded" is a lock wait, not a slow
downstream, though it says "timeout". The kinds key the analysis playbook, whose advice is
database-neutral.
"""

from __future__ import annotations

import re
from collections import Counter

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # PostgreSQL "deadlock detected"; MySQL "Deadlock found when trying to get lock"; SQL Server
    # "was deadlocked on lock resources"; SQLAlchemy wraps them unchanged.
    ("deadlock", re.compile(r"deadlock", re.I)),
    # SQLAlchemy "QueuePool limit of size 5 overflow 10 reached, connection timed out"; psycopg_pool
    # "couldn't get a connection after 30.00 sec"; redis-py "Too many connections"; HikariCP
    # "Connection is not available, request timed out"; httpx "PoolTimeout"; urllib3 "pool is full".
    ("pool_exhausted", re.compile(
        r"QueuePool limit|pool limit|PoolTimeout|couldn't get a connection|Too many connections"
        r"|connection pool (?:is )?(?:exhausted|full)|Connection is not available|pool is full",
        re.I,
    )),
    # SQLite "database is locked" / "database table is locked"; MySQL "Lock wait timeout exceeded; try
    # restarting transaction"; PostgreSQL "canceling statement due to lock timeout", "could not obtain
    # lock on row"; SQL Server "Lock request time out period exceeded".
    ("database_locked", re.compile(
        r"database (?:table )?is locked|lock wait timeout|due to lock timeout|could not obtain lock"
        r"|lock request time ?out",
        re.I,
    )),
    # PostgreSQL "canceling statement due to statement timeout"; redis-py "Timeout reading from socket";
    # httpx/requests "ReadTimeout", "ConnectTimeout", "Read timed out"; a gateway's 504.
    ("downstream_timeout", re.compile(r"timed? ?out|timeout", re.I)),
)


def error_kind(text: str, statuses: Counter[int]) -> str:
    """The kind of ``text`` (an error message), or a 504 majority; ``server_error`` otherwise."""
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    if statuses and statuses.most_common(1)[0][0] == 504:
        return "downstream_timeout"
    return "server_error"
