"""The run ledger: append-only JSON lines, each entry hash-chained to the one before.

Line format: the canonical JSON of the entry without its hash, with ``,"hash":"<sha256>"`` spliced
in before the closing brace. The hash is SHA-256 over exactly those canonical bytes, so a verifier
hashes the raw line minus its tail and never re-serialises (byte-exact and fast). The first
entry's ``prev`` is ``genesis(run_id)``, which binds the chain to its run.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from kassi_app.errors import InfrastructureError
from kassi_app.ledger.canonical import canonical_json
from kassi_app.ledger.seal import Seal, make_seal, seal_key
from kassi_app.redact import redact

LEDGER_FILE = "ledger.jsonl"
SEAL_FILE = "seal.json"
HASH_PREFIX = b',"hash":"'
HASH_SUFFIX_LEN = len(HASH_PREFIX) + 64 + 2  # ,"hash":"<64 hex>"}
EntryKind = Literal["step", "refusal"]


def genesis(run_id: str) -> str:
    """The ``prev`` of a run's first entry."""
    return hashlib.sha256(b"kassi-ledger\x00" + run_id.encode("utf-8")).hexdigest()


def encode_entry(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(hash, line without newline) for an entry that has no ``hash`` key yet."""
    body = canonical_json(entry)
    entry_hash = hashlib.sha256(body.encode("ascii")).hexdigest()
    return entry_hash, f'{body[:-1]},"hash":"{entry_hash}"}}'


@dataclass(frozen=True)
class EntryRef:
    """Where an appended entry sits in the chain."""

    seq: int
    hash: str


class Ledger:
    """One run's ledger file. Thread-safe; every append is flushed to the OS before it returns."""

    def __init__(self, run_dir: Path, run_id: str, head: str, count: int, sealed: bool) -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        self.path = run_dir / LEDGER_FILE
        self.seal_path = run_dir / SEAL_FILE
        self._head = head
        self._count = count
        self._sealed = sealed
        self._lock = threading.Lock()
        self._fh: TextIO | None = None

    @classmethod
    def open(cls, run_dir: Path, run_id: str) -> Ledger:
        """Open (or create) the ledger in ``run_dir``; an existing one is continued from its last entry."""
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / LEDGER_FILE
        head, count = genesis(run_id), 0
        path.touch(exist_ok=True)  # an empty run still has a ledger to seal and verify
        if path.stat().st_size:
            last = b""
            with path.open("rb") as fh:
                for line in fh:
                    if line.strip():
                        last, count = line, count + 1
            if last:
                head = json.loads(last)["hash"]
        return cls(run_dir, run_id, head, count, (run_dir / SEAL_FILE).exists())

    @property
    def head(self) -> str:
        return self._head

    @property
    def count(self) -> int:
        return self._count

    @property
    def sealed(self) -> bool:
        return self._sealed

    def append(
        self,
        *,
        kind: EntryKind,
        action: str,
        card: str,
        inputs: Mapping[str, Any],
        outcome: Mapping[str, Any],
        state_digest: str,
    ) -> EntryRef:
        """Append one entry (inputs and outcome redacted) and return its sequence number and hash."""
        with self._lock:
            if self._sealed:
                raise InfrastructureError(f"ledger of run {self.run_id} is sealed; nothing more can be appended")
            entry = {
                "seq": self._count,
                "time": time.time(),
                "run_id": self.run_id,
                "kind": kind,
                "action": action,
                "card": card,
                "inputs": redact(inputs),
                "outcome": redact(outcome),
                "state_digest": state_digest,
                "prev": self._head,
            }
            entry_hash, line = encode_entry(entry)
            if self._fh is None:
                self._fh = self.path.open("a", encoding="ascii")
            self._fh.write(line + "\n")
            self._fh.flush()
            self._head, self._count = entry_hash, self._count + 1
            return EntryRef(seq=self._count - 1, hash=entry_hash)

    def seal(self, key: bytes | None = None) -> Seal:
        """Seal the head (idempotent: a sealed ledger returns its existing seal)."""
        with self._lock:
            if self._sealed:
                return read_seal(self.seal_path)
            self._close()
            seal = make_seal(key if key is not None else _require_key(), self.run_id, self._head, self._count)
            tmp = self.seal_path.with_suffix(".tmp")
            tmp.write_text(seal.to_json() + "\n", encoding="ascii")
            tmp.replace(self.seal_path)
            self._sealed = True
            return seal

    def close(self) -> None:
        """Release the file handle (appending again reopens it)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _require_key() -> bytes:
    key = seal_key(create=True)
    assert key is not None  # create=True always yields a key
    return key


def read_seal(path: Path) -> Seal:
    """Load ``seal.json`` (raises ``ValueError``/``KeyError``/``TypeError`` on a malformed file)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Seal(
        run_id=str(data["run_id"]),
        head=str(data["head"]),
        count=int(data["count"]),
        hmac=str(data["hmac"]),
        sealed_at=float(data["sealed_at"]),
        algorithm=str(data.get("algorithm", "HMAC-SHA256")),
    )
