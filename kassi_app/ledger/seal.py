"""The ledger seal: an HMAC over the head hash, the entry count and the run id.

The key is local to the machine (``<kassi home>/seal.key``, 0600, created on first use) or comes
from ``KASSI_SEAL_KEY``; without it nobody can re-seal an edited chain.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
import time
from dataclasses import asdict, dataclass
from hashlib import sha256
from pathlib import Path

from kassi_app.errors import InfrastructureError
from kassi_app.home import kassi_home
from kassi_app.ledger.canonical import canonical_json

KEY_ENV = "KASSI_SEAL_KEY"
KEY_FILE = "seal.key"


@dataclass(frozen=True)
class Seal:
    """What ``seal.json`` holds: the sealed head, entry count, run id, and their HMAC-SHA256."""

    run_id: str
    head: str
    count: int
    hmac: str
    sealed_at: float
    algorithm: str = "HMAC-SHA256"

    def to_json(self) -> str:
        return canonical_json(asdict(self))


def seal_mac(key: bytes, run_id: str, head: str, count: int) -> str:
    """HMAC-SHA256 (hex) over the canonical JSON of head, count and run id."""
    message = canonical_json({"count": count, "head": head, "run_id": run_id}).encode("ascii")
    return hmac.new(key, message, sha256).hexdigest()


def make_seal(key: bytes, run_id: str, head: str, count: int) -> Seal:
    return Seal(run_id=run_id, head=head, count=count, hmac=seal_mac(key, run_id, head, count), sealed_at=time.time())


def seal_key(create: bool = True) -> bytes | None:
    """The seal key: ``KASSI_SEAL_KEY`` if set, else the key file, created 0600 when ``create``.

    Returns None only when ``create`` is False and no key exists (verification must not mint a key,
    or a foreign ledger would simply look badly sealed).
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = kassi_home() / KEY_FILE
    if not path.exists():
        if not create:
            return None
        _create_key_file(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InfrastructureError(f"seal key {path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise InfrastructureError(f"seal key {path} is empty")
    return key.encode("ascii")


def _create_key_file(path: Path) -> None:
    """Write the key to a private temp file, then hard-link it in place: concurrent first uses agree."""
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
