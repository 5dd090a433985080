"""Opening the Iceberg catalog the configuration describes.

:func:`catalog_properties` is the pure part (configuration values in, pyiceberg
catalog properties out); :func:`open_catalog` reads the secrets it needs and
opens pyiceberg's SQL catalog (SQLite or PostgreSQL).
"""

from __future__ import annotations

import os
from typing import Any

from pyiceberg.catalog.sql import SqlCatalog

from .config import Warehouse
from .s3 import SSE_C_KEY_PROPERTY, read_sse_customer_key

CATALOG_NAME = "bulle"
SQLITE_BUSY_TIMEOUT_S = 60


def catalog_properties(
    catalog_url: str,
    location: str,
    s3: dict[str, str] | None = None,
    sse_customer_key: str | None = None,
) -> dict[str, Any]:
    """pyiceberg SQL catalog properties for a catalog URL and a data location (local folder or s3://)."""
    if catalog_url.startswith("sqlite:") and "timeout=" not in catalog_url:
        # Concurrent ingests wait for SQLite's write lock instead of failing at once.
        catalog_url += ("&" if "?" in catalog_url else "?") + f"timeout={SQLITE_BUSY_TIMEOUT_S}"
    properties: dict[str, Any] = {"uri": catalog_url, "warehouse": location}
    if location.startswith("s3://"):
        properties["py-io-impl"] = "bulle.warehouse.s3.SseCustomerKeyFileIO"
        properties.update({f"s3.{name}": value for name, value in (s3 or {}).items() if value})
        if sse_customer_key:
            properties[SSE_C_KEY_PROPERTY] = sse_customer_key
    return properties


def open_catalog(settings: Warehouse) -> SqlCatalog:
    """Open (and create, the first time) the warehouse's Iceberg catalog."""
    s3 = None
    sse_key = None
    if settings.is_s3:
        s3 = {
            "endpoint": settings.s3_endpoint,
            "region": settings.s3_region,
            "access-key-id": settings.s3_access_key_id,
            "secret-access-key": os.environ.get(settings.s3_secret_access_key_env, ""),
        }
        if settings.s3_sse_customer_key_file:
            sse_key = read_sse_customer_key(settings.s3_sse_customer_key_file)
    else:
        os.makedirs(settings.location, mode=0o700, exist_ok=True)
    if settings.catalog_url.startswith("sqlite:///"):
        catalog_file = settings.catalog_url.removeprefix("sqlite:///").split("?")[0]
        os.makedirs(os.path.dirname(catalog_file) or ".", mode=0o700, exist_ok=True)
    return SqlCatalog(CATALOG_NAME, **catalog_properties(settings.catalog_url, settings.location, s3, sse_key))
