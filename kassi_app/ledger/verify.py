"""Check a ledger's chain and seal and name every problem found (not only the first).

Speed matters (target >= 100,000 entries/s), so the loop never re-serialises an entry: it hashes
the raw canonical bytes and reads ``prev``, ``run_id`` and ``seq`` from the entry's tail, whose
layout the canonical form fixes (sorted keys: ... prev, run_id, seq, state_digest, time).
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from kassi_app.ledger.chain import HASH_PREFIX, HASH_SUFFIX_LEN, SEAL_FILE, genesis, read_seal
from kassi_app.ledger.seal import Seal, seal_mac

_TAIL_KEY = b',"prev":"'
_PREV_OFFSET = len(_TAIL_KEY)
_TAIL = re.compile(
    rb',"prev":"([0-9a-f]{64})","run_id":"((?:[^"\\]|\\.)*)","seq":(-?\d+),'
    rb'"state_digest":"(?:[^"\\]|\\.)*","time":-?[0-9.]+(?:[eE][+-]?\d+)?\}\Z'
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a ledger. ``line`` is 1-based, None for whole-ledger problems."""

    kind: str
    line: int | None
    message: str


def verify_ledger(
    path: Path, key: bytes | None, run_id: str | None = None, seal_path: Path | None = None
) -> list[Problem]:
    """All problems of the ledger at ``path`` (empty list: chain intact and seal valid).

    ``run_id`` is the run the ledger must belong to; None takes it from the seal, else the first
    entry. ``key`` None reports the seal as unverifiable. ``seal_path`` defaults to the sibling
    ``seal.json``.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Problem("unreadable", None, f"cannot read {path}: {exc.strerror}")]
    seal_path = seal_path or path.with_name(SEAL_FILE)
    problems: list[Problem] = []
    seal: Seal | None = None
    if seal_path.exists():
        try:
            seal = read_seal(seal_path)
        except (ValueError, KeyError, TypeError):
            problems.append(Problem("bad_seal", None, f"{seal_path.name} is malformed"))
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    else:
        problems.append(Problem("partial_line", len(lines), "last line has no newline (write cut short)"))
    if run_id is None:
        run_id = seal.run_id if seal else _first_run_id(lines)
    run_id = run_id or ""
    rid_bytes = json.dumps(run_id)[1:-1].encode("ascii")
    # Fast path: in a canonical entry of this run, `prev` is followed by exactly these bytes, so the
    # tail is read by slicing; anything else falls back to the regex, which names what is wrong.
    after_prev = b'","run_id":"' + rid_bytes + b'","seq":'
    head = genesis(run_id).encode("ascii")
    expected_seq = 0
    match_tail = _TAIL.match
    for number, line in enumerate(lines, start=1):
        if line[-2:] != b'"}' or line[-HASH_SUFFIX_LEN:-66] != HASH_PREFIX:
            problems.append(Problem("malformed", number, "entry has no trailing hash field"))
            continue
        stored = line[-66:-2]
        hasher = sha256(memoryview(line)[:-HASH_SUFFIX_LEN])
        hasher.update(b"}")
        if hasher.hexdigest().encode("ascii") != stored:
            problems.append(Problem("hash_mismatch", number, "entry content does not match its hash (edited)"))
        start = line.rfind(_TAIL_KEY) + _PREV_OFFSET
        seq_at = start + 64 + len(after_prev)
        if start >= _PREV_OFFSET and line.startswith(after_prev, start + 64):
            prev = line[start : start + 64]
            seq_text = line[seq_at : line.find(b",", seq_at)]
        else:
            body = line[:-HASH_SUFFIX_LEN] + b"}"
            tail = match_tail(body, max(body.rfind(_TAIL_KEY), 0))
            if tail is None:
                problems.append(Problem("malformed", number, "entry is not a canonical ledger entry"))
                head, expected_seq = stored, expected_seq + 1
                continue
            prev, entry_run, seq_text = tail.groups()
            if entry_run != rid_bytes:
                problems.append(_wrong_run(number, entry_run, run_id))
        try:
            seq = int(seq_text)
        except ValueError:
            problems.append(Problem("malformed", number, "entry has no valid seq"))
            head, expected_seq = stored, expected_seq + 1
            continue
        if seq != expected_seq:
            problems.append(
                Problem(
                    "sequence",
                    number,
                    f"seq {seq} where {expected_seq} expected (entry missing, inserted or reordered)",
                )
            )
        if prev != head:
            problems.append(Problem("chain_break", number, "prev does not match the previous entry's hash"))
        head, expected_seq = stored, seq + 1
    problems.extend(_check_seal(seal, seal_path, key, run_id, head.decode("ascii", "replace"), len(lines)))
    return problems


def _wrong_run(number: int, entry_run: bytes, run_id: str) -> Problem:
    found = json.loads(b'"' + entry_run + b'"')
    return Problem("wrong_run", number, f"entry belongs to run {found!r}, not {run_id!r}")


def _first_run_id(lines: list[bytes]) -> str | None:
    try:
        return str(json.loads(lines[0])["run_id"]) if lines else None
    except (ValueError, KeyError, TypeError):
        return None


def _check_seal(
    seal: Seal | None, seal_path: Path, key: bytes | None, run_id: str, head: str, count: int
) -> list[Problem]:
    if seal is None:
        if seal_path.exists():
            return []  # already reported as malformed
        return [Problem("unsealed", None, "no seal.json: the run was never sealed")]
    found: list[Problem] = []
    if seal.run_id != run_id:
        found.append(Problem("wrong_run", None, f"seal is for run {seal.run_id!r}, not {run_id!r}"))
    if seal.count != count:
        kind = "truncated" if count < seal.count else "extended"
        found.append(Problem(kind, None, f"seal covers {seal.count} entries, ledger has {count}"))
    elif seal.head != head:
        found.append(Problem("head_mismatch", None, "ledger head differs from the sealed head"))
    if key is None:
        found.append(Problem("no_key", None, "no seal key here (set KASSI_SEAL_KEY): seal not checked"))
    elif not hmac.compare_digest(seal.hmac, seal_mac(key, seal.run_id, seal.head, seal.count)):
        found.append(Problem("bad_seal", None, "seal HMAC does not match (forged, or another key)"))
    return found
