import sqlite3
from functools import lru_cache


@lru_cache(maxsize=1)
def get_connection() -> sqlite3.Connection:
    return sqlite3.connect("petclinic.db", check_same_thread=False)
