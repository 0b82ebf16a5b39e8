"""The audit chain's key and checkpoints, both kept outside the database.

Key: an HMAC-SHA-256 key (``LABTRACK_AUDIT_KEY`` or the file ``instance/audit_key``, made on first
run with mode 0600). Every audit entry carries ``mac = HMAC(key, entry_hash)``. Because
``entry_hash`` chains every entry before it, the mac of an entry vouches for the whole log up to
it: somebody with the database but without the key cannot re-hash an edited log or append a
forged entry.

Checkpoints: after every committed write, one JSON line ``{"seq", "hash", "at", "mac"}`` (the
chain head, signed with the key) is appended to the checkpoint file (``instance/audit-checkpoints.jsonl``
by default). Deleting the last entries of the log is then seen by comparing the log with the file;
copies of the file (backups, another machine) and the head printed on issued documents are
further anchors (``labtrack audit verify --checkpoint``).

An engine without a registered seal (a benchmark's throwaway database) writes entries without a
mac; ``verify`` accepts such entries only before the first keyed one (logs written before keys
existed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session as OrmSession

HEAD_KEY = "labtrack.audit_head"
_LOG = logging.getLogger(__name__)
_SEALS: weakref.WeakKeyDictionary[Engine, Seal] = weakref.WeakKeyDictionary()
_FILE_LOCK = threading.Lock()
PRINTED_CHECKPOINT = re.compile(r"^\s*(?:audit\s*)?(\d+)\s*[:/]\s*([0-9a-fA-F]{12,64})\s*$")


@dataclass(frozen=True)
class Checkpoint:
    """The chain head at one moment: entry ``seq`` had ``entry_hash``. ``source`` says where it was read."""

    seq: int
    entry_hash: str
    source: str
    signed: bool = True

    def printed(self) -> str:
        """The short form printed on documents: ``<seq>:<first 16 hex of the hash>``."""
        return f"{self.seq}:{self.entry_hash[:16]}"


class CheckpointError(ValueError):
    """A checkpoint line or argument that cannot be read, or whose signature is wrong."""


_FDS: dict[Path, int] = {}  # checkpoint files kept open for appending (one per process)
_MAX_OPEN = 4


def _append_fd(path: Path) -> int:
    """An O_APPEND descriptor of ``path``, reopened when the file was removed or replaced (a
    descriptor of a deleted file would write checkpoints nowhere). Call under ``_FILE_LOCK``."""
    fd = _FDS.get(path)
    if fd is not None:
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except OSError:
            pass
        os.close(fd)
        _FDS.pop(path, None)
    if len(_FDS) >= _MAX_OPEN:  # many databases in one process (tests): keep a few descriptors only
        for other in _FDS.values():
            os.close(other)
        _FDS.clear()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    _FDS[path] = fd
    return fd


@dataclass(frozen=True)
class Seal:
    """The audit key and the checkpoint file of one database."""

    key: bytes
    checkpoint_file: Path | None

    def entry_mac(self, entry_hash: str) -> str:
        return hmac.new(self.key, ("entry:" + entry_hash).encode("ascii"), hashlib.sha256).hexdigest()

    def secret_digest(self, value: str) -> str:
        """16 hex of a keyed digest of a secret column's value (never the value itself)."""
        return hmac.new(self.key, ("secret:" + value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def checkpoint_mac(self, seq: int, entry_hash: str) -> str:
        return hmac.new(self.key, f"checkpoint:{seq}:{entry_hash}".encode("ascii"), hashlib.sha256).hexdigest()

    def checkpoint_line(self, seq: int, entry_hash: str, at: str) -> str:
        return json.dumps({"seq": seq, "hash": entry_hash, "at": at,
                           "mac": self.checkpoint_mac(seq, entry_hash)}, sort_keys=True)

    def write_checkpoint(self, seq: int, entry_hash: str, at: str) -> None:
        """Append a signed checkpoint (one ``write`` on an O_APPEND file: whole lines even with
        several processes). A failure to write is logged, never raised: the data is committed."""
        if self.checkpoint_file is None:
            return
        line = (self.checkpoint_line(seq, entry_hash, at) + "\n").encode("ascii")
        try:
            with _FILE_LOCK:
                os.write(_append_fd(self.checkpoint_file), line)
        except OSError:
            _LOG.exception("audit checkpoint seq %s could not be written to %s", seq, self.checkpoint_file)

    def read_checkpoints(self, path: Path) -> Iterator[Checkpoint]:
        """The checkpoints in a file; a line that is not signed with this key is a ``CheckpointError``."""
        with path.open(encoding="ascii", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path} line {number}"
                try:
                    data = json.loads(line)
                    seq, digest, mac = int(data["seq"]), str(data["hash"]), str(data["mac"])
                except (ValueError, KeyError, TypeError) as error:
                    raise CheckpointError(f"{where}: not a checkpoint ({error})") from error
                if not hmac.compare_digest(mac, self.checkpoint_mac(seq, digest)):
                    raise CheckpointError(f"{where}: the checkpoint of seq {seq} is not signed with the "
                                          "audit key (the file was altered, or the key is not this log's)")
                yield Checkpoint(seq, digest, where)


def parse_checkpoint_argument(seal: Seal, value: str) -> list[Checkpoint]:
    """``--checkpoint``: a checkpoint file, or ``SEQ:HASH`` as printed on an issued document."""
    match = PRINTED_CHECKPOINT.match(value)
    if match:
        return [Checkpoint(int(match.group(1)), match.group(2).lower(), f"checkpoint {value.strip()}",
                           signed=False)]
    path = Path(value)
    if not path.is_file():
        raise CheckpointError(f"{value!r} is neither a checkpoint file nor SEQ:HASH as printed on a document")
    return list(seal.read_checkpoints(path))


def register(engine: Engine, seal: Seal) -> None:
    _SEALS[engine] = seal


def seal_of(engine: Engine) -> Seal | None:
    return _SEALS.get(engine)


def key_from_text(text: str) -> bytes:
    """The key bytes from the configured text (any length; hashed to 32 bytes)."""
    if not text.strip():
        raise ValueError("the audit key is empty")
    return hashlib.sha256(("labtrack-audit-key:" + text.strip()).encode("utf-8")).digest()


def seal_from_config(config: Any) -> Seal:
    """The seal configured in the app config (``AUDIT_KEY``, ``AUDIT_CHECKPOINT_FILE``)."""
    path = str(config.get("AUDIT_CHECKPOINT_FILE") or "")
    return Seal(key=key_from_text(str(config["AUDIT_KEY"])), checkpoint_file=Path(path) if path else None)


def remember_head(session: OrmSession, seq: int, entry_hash: str, at: str) -> None:
    """Called when entries are appended; the head is checkpointed once the transaction commits."""
    session.info[HEAD_KEY] = (seq, entry_hash, at)


def forget_head(session: OrmSession) -> None:
    session.info.pop(HEAD_KEY, None)


def checkpoint_after_commit(session: OrmSession) -> None:
    """Write the checkpoint of the head this session's committed transaction appended, if any."""
    head = session.info.pop(HEAD_KEY, None)
    if head is None:
        return
    seal = seal_of(session.get_bind().engine)  # type: ignore[union-attr]
    if seal is not None:
        seal.write_checkpoint(*head)
