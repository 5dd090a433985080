"""S3 with server-side encryption under a customer key (SSE-C).

pyiceberg's fsspec FileIO passes no SSE-C parameters, so
:class:`SseCustomerKeyFileIO` builds its S3 filesystem with them: every
PutObject, GetObject, HeadObject and multipart upload carries the key (s3fs
keeps only the parameters each call accepts). The object store keeps no copy
of the key, only its MD5 to check it: an object written so cannot be read
back, by anyone, without the key.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from pyiceberg.io.fsspec import FsspecFileIO
from pyiceberg.typedef import Properties

SSE_C_KEY_PROPERTY = "bulle.s3.sse-c-key"
"""FileIO property holding the base64 SSE-C key; set in memory from a key file, never stored."""

SSE_C_KEY_BYTES = 32


class SseKeyProblem(Exception):
    """The SSE-C key file is missing or does not hold a 32-byte key. The message never contains the key."""


def read_sse_customer_key(path: str | Path) -> str:
    """The SSE-C key of ``path`` (32 raw bytes, or their base64 text), as base64 text."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SseKeyProblem(f"cannot read the SSE-C key file {path}: {exc.strerror}") from None
    if len(raw) != SSE_C_KEY_BYTES:
        try:
            raw = base64.b64decode(raw.strip(), validate=True)
        except ValueError:
            raw = b""
    if len(raw) != SSE_C_KEY_BYTES:
        raise SseKeyProblem(
            f"the SSE-C key file {path} must hold exactly {SSE_C_KEY_BYTES} bytes, raw or as base64 text "
            "(for example `openssl rand 32 > keyfile`)"
        )
    return base64.b64encode(raw).decode()


def sse_c_request_parameters(properties: Properties) -> dict[str, str | bytes]:
    """The S3 request parameters that turn on SSE-C (empty when no key is configured)."""
    key = properties.get(SSE_C_KEY_PROPERTY)
    if not key:
        return {}
    # botocore base64-encodes the key and adds its MD5 itself: give it the raw bytes.
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64decode(key)}


def _s3_filesystem(properties: Properties) -> Any:
    from s3fs import S3FileSystem

    return S3FileSystem(
        anon=False,
        client_kwargs={
            "endpoint_url": properties.get("s3.endpoint") or None,
            "aws_access_key_id": properties.get("s3.access-key-id") or None,
            "aws_secret_access_key": properties.get("s3.secret-access-key") or None,
            "region_name": properties.get("s3.region") or None,
        },
        s3_additional_kwargs=sse_c_request_parameters(properties),
    )


class SseCustomerKeyFileIO(FsspecFileIO):
    """pyiceberg's fsspec FileIO, with SSE-C on every S3 request when a key is configured."""

    def __init__(self, properties: Properties) -> None:
        super().__init__(properties)
        self._scheme_to_fs["s3"] = _s3_filesystem
        self._scheme_to_fs["s3a"] = _s3_filesystem
