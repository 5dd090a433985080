"""Signed checkpoints: the chain's end, vouched for by a key kept outside the database.

The hash chain shows any change *inside* the trail, but not a clean cut of
its end. So the writer periodically signs the last record's (seq, hash) with
an Ed25519 key that lives in a file outside the database (by default
``<state>/hub/audit-signing-key.pem``, mode 0600), and stores the checkpoint
twice: in the database and appended to a file beside the key
(``audit-checkpoints.jsonl``). Whoever can rewrite the database still cannot
forge a checkpoint, nor remove the copies in the file, so
``bulle audit verify`` detects a trail that ends before a checkpoint, or
whose record differs from what a checkpoint signed.

Verification needs only the public key (``audit-signing-key.pub``, or derived
from the private key file), so an auditor can check an exported trail.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .events import canonical_json

CHECKPOINT_FORMAT = "bulle-audit-checkpoint/1"


class KeyProblem(RuntimeError):
    """The signing key file is missing, unreadable or not an Ed25519 key."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: the start of the SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key in ``path``; created (mode 0600, with a ``.pub`` beside it) if absent."""
    if path.exists():
        return load_signing_key(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_new_file(path, pem, 0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_new_file(path.with_suffix(".pub"), public, 0o644)
    return key


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise KeyProblem(f"cannot read the audit signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a public key file, or derived from a private key file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyProblem(f"cannot read the audit key {path}: {exc.strerror}") from None
    if b"PRIVATE KEY" in data:
        return load_signing_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeyProblem(f"{path} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem(f"{path} is not an Ed25519 public key")
    return key


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: "the trail's record ``seq`` had hash ``hash`` at ``time``"."""

    seq: int
    hash: bytes
    time: str
    key_id: str
    body: str
    signature: bytes


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, digest: bytes, time: str) -> Checkpoint:
    kid = key_id(key.public_key())
    body = canonical_json({"format": CHECKPOINT_FORMAT, "seq": seq, "hash": digest.hex(), "time": time, "key_id": kid})
    return Checkpoint(seq, digest, time, kid, body, key.sign(body.encode()))


@dataclass(frozen=True)
class CheckedCheckpoint:
    """A checkpoint read back, with the outcome of its signature check."""

    checkpoint: Checkpoint | None
    body: str
    problem: str | None  # None when the signature is valid under a known key


def check_checkpoint(body: str, signature: bytes, keys: Sequence[Ed25519PublicKey]) -> CheckedCheckpoint:
    try:
        data = json.loads(body)
        checkpoint = Checkpoint(
            seq=int(data["seq"]),
            hash=bytes.fromhex(data["hash"]),
            time=str(data["time"]),
            key_id=str(data["key_id"]),
            body=body,
            signature=signature,
        )
        if data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
    except (ValueError, KeyError, TypeError) as exc:
        return CheckedCheckpoint(None, body, f"it cannot be read ({exc})")
    matching = [k for k in keys if key_id(k) == checkpoint.key_id]
    if not matching:
        return CheckedCheckpoint(checkpoint, body, f"it was signed by key {checkpoint.key_id}, which is not given")
    try:
        matching[0].verify(signature, body.encode())
    except InvalidSignature:
        return CheckedCheckpoint(checkpoint, body, "its signature is not valid: it was forged or edited")
    return CheckedCheckpoint(checkpoint, body, None)


def append_to_file(path: Path, checkpoint: Checkpoint) -> None:
    """Append ``checkpoint`` as one JSON line to ``path`` and make it durable."""
    line = json.dumps({"body": checkpoint.body, "signature": checkpoint.signature.hex()}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_file(path: Path) -> list[tuple[str, bytes]]:
    """(body, signature) of each checkpoint in ``path``; unreadable lines are returned as they are."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append((str(data["body"]), bytes.fromhex(data["signature"])))
        except (ValueError, KeyError, TypeError):
            found.append((line, b""))
    return found


def unique(pairs: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    seen: dict[str, bytes] = {}
    for body, signature in pairs:
        seen.setdefault(body, signature)
    return list(seen.items())
