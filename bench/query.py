"""Benchmark: queries through ``bulle.data.connect()`` and extraction, against raw DuckDB on the same files.

One run:

1. generates an SNDS-shaped ``ER_PRS_F`` table (18 columns, a 32-hex
   beneficiary pseudonym, dates, codes, amounts) as zstd Parquet files;
2. registers those very files as an Iceberg table of an embedded warehouse
   (``add_files``: no copy), as an ingest would have left them;
3. times ``bulle extract`` of a project granted the whole table (its
   beneficiary ids re-keyed for the project) against a raw DuckDB ``COPY``
   of the same files into one Parquet file;
4. times the same aggregate queries on the project's connection
   (``connect()``: read-only, external access off) and with raw DuckDB over
   the source Parquet files, alternating, keeping each query's median.

Prints throughputs and ratios; targets from issue 4: query ≤ 1.05× raw,
extraction ≥ 0.5× raw COPY.

    python bench/query.py                          # 10 M rows (about 0.5 GB of Parquet in a temporary folder)
    python bench/query.py --rows 200000 --repeat 3 # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from bulle.data import connect
from bulle.data.versions import ExtractVersions
from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.commit import table_properties
from bulle.warehouse.config import Warehouse
from bulle.warehouse.extract import extract_project
from bulle.warehouse.pseudonym import PseudonymKey

KEY = b"benchmark-key-of-at-least-thirty-two-bytes"
PLATFORM = """\
timezone: UTC
profiles:
  - {name: notebook, kind: notebook, cpu: 1, memory: 1G, image: x, idle_timeout: 1h, max_lifetime: 2h}
"""
SOURCE = """\
name: bench-snds
kind: snds
location: {location}
namespace: bench
identifiers: {{BEN_NIR_PSA: pseudonymise, BEN_NIR_ANO: pseudonymise, BEN_NIR_IDT: pseudonymise,
  BEN_IDT_ANO: pseudonymise, ASS_NIR_ANO: pseudonymise, NIR_ANO_17: pseudonymise, NIR_ANO_MAM: pseudonymise,
  NUM_ENQ: pseudonymise, DCD_IDT_ENC: pseudonymise, TRS_ACP_NOM: drop, TRS_CDR_NOM: drop}}
"""
PROJECT = """\
id: bench
title: Query benchmark
status: approved
valid_from: 2020-01-01
valid_until: 2099-12-31
members: [{user: alice, role: researcher}]
profiles: [notebook]
quotas: {bubbles_per_member: 1, bubbles_per_project: 1, cpu: 1, memory: 1G}
grants:
  - table: bench.er_prs_f
"""

# One row per care act; about 8 acts per beneficiary, dates over five years.
GENERATE = """
SELECT
  md5('ben' || (i // 8)::VARCHAR)[:32] AS BEN_NIR_PSA,
  (i % 3 + 1)::BIGINT AS BEN_RNG_GEM,
  DATE '2019-01-01' + (hash(i) % 1826)::INTEGER AS EXE_SOI_DTD,
  DATE '2019-01-01' + (hash(i) % 1826)::INTEGER + 1 AS EXE_SOI_DTF,
  (1000 + hash(i * 7) % 400)::BIGINT AS PRS_NAT_REF,
  (hash(i * 11) % 80)::BIGINT AS PSE_SPE_COD,
  (1 + hash(i * 13) % 3)::DOUBLE AS PRS_ACT_QTE,
  round((hash(i * 17) % 20000) / 100.0, 2) AS BSE_REM_MNT,
  round((hash(i * 19) % 15000) / 100.0, 2) AS BSE_REM_BSE,
  DATE '2019-01-01' + (hash(i) % 1826)::INTEGER + 30 AS FLX_DIS_DTD,
  DATE '2019-01-01' + (hash(i) % 1826)::INTEGER + 25 AS FLX_TRT_DTD,
  (hash(i * 23) % 1000000)::BIGINT AS FLX_EMT_NUM,
  (hash(i * 29) % 100)::BIGINT AS FLX_EMT_ORD,
  (hash(i * 31) % 5)::BIGINT AS FLX_EMT_TYP,
  lpad((hash(i * 37) % 100000000)::VARCHAR, 15, '0') AS ORG_CLE_NUM,
  (hash(i * 41) % 1000000)::BIGINT AS DCT_ORD_NUM,
  (hash(i * 43) % 1000000)::BIGINT AS PRS_ORD_NUM,
  (hash(i * 47) % 9)::BIGINT AS REM_TYP_AFF
FROM range({start}, {stop}) AS r(i)
"""

QUERIES = {
    "total": "SELECT count(*), sum(bse_rem_mnt) FROM {t}",
    "by act": "SELECT prs_nat_ref, count(*), sum(bse_rem_mnt), avg(prs_act_qte) FROM {t} GROUP BY 1 ORDER BY 1",
    "by year and specialty": (
        "SELECT year(exe_soi_dtd) AS y, pse_spe_cod, count(*), sum(bse_rem_mnt) FROM {t} GROUP BY ALL ORDER BY ALL"
    ),
    "patients per year": "SELECT year(exe_soi_dtd), count(DISTINCT ben_nir_psa) FROM {t} GROUP BY 1 ORDER BY 1",
    "top patients": (
        "SELECT ben_nir_psa, count(*) AS n, sum(bse_rem_mnt) AS s FROM {t} GROUP BY 1 ORDER BY n DESC, s DESC LIMIT 10"
    ),
    "filtered": (
        "SELECT count(*), avg(bse_rem_mnt) FROM {t} WHERE exe_soi_dtd >= DATE '2022-01-01' AND pse_spe_cod < 10"
    ),
}


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def generate(folder: Path, rows: int, files: int) -> list[Path]:
    folder.mkdir(parents=True)
    con = duckdb.connect()
    paths = []
    step = -(-rows // files)
    for index in range(files):
        path = folder / f"er_prs_f_{index:03d}.parquet"
        query = GENERATE.format(start=index * step, stop=min(rows, (index + 1) * step))
        con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        paths.append(path)
    con.close()
    return paths


def make_warehouse(work: Path, files: Sequence[Path]) -> tuple[Warehouse, Path]:
    """An embedded warehouse whose table bench.er_prs_f is the generated files, and a policy granting it."""
    policy = work / "policy"
    (policy / "projects").mkdir(parents=True)
    (policy / "sources").mkdir()
    (policy / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    (policy / "sources" / "bench-snds.yaml").write_text(SOURCE.format(location=work / "source"), encoding="utf-8")
    (policy / "projects" / "bench.yaml").write_text(PROJECT, encoding="utf-8")
    key_file = work / "key"
    key_file.write_bytes(KEY)
    settings = Warehouse(state_dir=str(work / "state"), pseudonym_key_file=str(key_file))
    schema = duckdb.sql(f"SELECT * FROM read_parquet('{files[0]}') LIMIT 0").arrow().schema  # noqa: S608
    with open_catalog(settings) as catalog:
        catalog.create_namespace_if_not_exists("bench")
        properties = table_properties("bench-snds", PseudonymKey(KEY).key_id)
        table = catalog.create_table("bench.er_prs_f", schema=schema, properties=properties)
        table.add_files([str(f) for f in files])
    return settings, policy


def raw_copy(files: Sequence[Path], out: Path) -> float:
    con = duckdb.connect()
    paths = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    _, seconds = timed(
        lambda: con.execute(f"COPY (SELECT * FROM read_parquet({paths})) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")  # noqa: S608
    )
    con.close()
    return seconds


def compare_queries(bulle: Any, raw: Any, source: str, repeat: int) -> dict[str, dict[str, float]]:
    """Each query's median seconds through bulle's connection and raw DuckDB, run alternately."""
    results = {}
    for name, template in QUERIES.items():
        ours, theirs = [], []
        expected = raw.sql(template.format(t=source)).fetchall()
        assert expected, name
        assert len(bulle.sql(template.format(t="bench_er_prs_f")).fetchall()) == len(expected), name
        for _ in range(repeat):
            ours.append(timed(lambda t=template: bulle.sql(t.format(t="bench_er_prs_f")).fetchall())[1])
            theirs.append(timed(lambda t=template: raw.sql(t.format(t=source)).fetchall())[1])
        results[name] = {"bulle_s": statistics.median(ours), "duckdb_s": statistics.median(theirs)}
        results[name]["ratio"] = results[name]["bulle_s"] / results[name]["duckdb_s"]
    return results


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    files = generate(work / "source", args.rows, args.files)
    size = sum(f.stat().st_size for f in files)
    print(f"{args.rows:,} rows in {len(files)} Parquet files ({size / 1e6:.0f} MB)")
    settings, policy = make_warehouse(work, files)

    copy_s = raw_copy(files, work / "copy.parquet")
    run_, extract_s = timed(lambda: extract_project(settings, policy, "bench", dt.datetime.now(dt.UTC)))
    rows = run_.tables[0].rows
    assert rows == args.rows, (rows, args.rows)
    print(f"raw DuckDB COPY:   {args.rows / copy_s:12,.0f} rows/s ({copy_s:.2f} s)")
    print(f"bulle extract:     {args.rows / extract_s:12,.0f} rows/s ({extract_s:.2f} s, re-keying the beneficiary id)")
    print(f"ratio bulle / raw: {copy_s / extract_s:.2f} (target >= 0.5)")

    folder = ExtractVersions(settings.layout.data_dir("bench")).current_dir()
    assert folder is not None
    bulle = connect({"BULLE_DATA_DIR": str(folder)})
    raw = duckdb.connect()
    source = "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "])"
    queries = compare_queries(bulle, raw, source, args.repeat)
    total_bulle = sum(q["bulle_s"] for q in queries.values())
    total_raw = sum(q["duckdb_s"] for q in queries.values())
    for name, q in queries.items():
        ours, theirs = q["bulle_s"] * 1000, q["duckdb_s"] * 1000
        print(f"  {name:<22} bulle {ours:8.1f} ms   duckdb {theirs:8.1f} ms   {q['ratio']:.2f}x")
    print(f"queries, all together: {total_bulle / total_raw:.2f}x raw DuckDB (target <= 1.05)")
    return {
        "machine": {"cpus": os.cpu_count(), "duckdb": duckdb.__version__},
        "rows": args.rows,
        "files": len(files),
        "source_mb": size / 1e6,
        "extract": {
            "duckdb_copy_rows_per_s": args.rows / copy_s,
            "bulle_rows_per_s": args.rows / extract_s,
            "ratio_bulle_to_duckdb": copy_s / extract_s,
        },
        "queries": queries,
        "query_ratio_total": total_bulle / total_raw,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of ER_PRS_F (default 10 M)")
    parser.add_argument("--files", type=int, default=8, help="Parquet files they are split into")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each query on each side (median kept)")
    parser.add_argument("--workdir", type=Path, help="folder for the generated data (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "query.json")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bulle-bench-query-", dir=args.workdir))
    try:
        results = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
