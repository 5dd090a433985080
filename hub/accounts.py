"""Local accounts: usernames with scrypt password hashes, in one JSON file.

This is the embedded deployment's identity store. Production uses OpenID
Connect instead. Passwords are never stored; each hash is
``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` (RFC 7914, via :mod:`hashlib`).
The file is written to a temporary name and renamed into place, mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash; False on any malformed hash."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(_unb64(expected))
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


def read_accounts(path: Path) -> dict[str, str]:
    """Username → password hash; an absent file means no accounts."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    users = data.get("users", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in users.items()}


def set_password(path: Path, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    accounts = read_accounts(path)
    accounts[username] = hash_password(password)
    _write(path, accounts)


def remove_account(path: Path, username: str) -> bool:
    accounts = read_accounts(path)
    if accounts.pop(username, None) is None:
        return False
    _write(path, accounts)
    return True


def _write(path: Path, accounts: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "users": dict(sorted(accounts.items()))}, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
