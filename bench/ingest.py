"""Benchmark: bulle's CSV → Iceberg ingest (with pseudonymisation) against DuckDB read_csv → Parquet.

Both read the same generated SNDS-shaped files (``ER_PRS_F`` in ``;``-delimited
deliveries, typed from the SNDS Table Schema) in the same run; then a
many-small-files case (declared schema) and the pseudonymisation alone.
Prints throughputs and ratios; targets from issue 3: ratio >= 0.5 (aim 0.8),
>= 150 small files/s, pseudonymisation >= 1 M ids/s on 2 cores.

    python bench/ingest.py                      # about 20 M rows (a few GB in a temporary folder)
    python bench/ingest.py --rows 200000 --small-files 200   # a quick look
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from bulle.policies.identifiers import KNOWN_DIRECT_IDENTIFIERS
from bulle.warehouse.config import Warehouse
from bulle.warehouse.dictionary import load_dictionary
from bulle.warehouse.duck import connect
from bulle.warehouse.flat import DUCKDB_TYPES, sql_text
from bulle.warehouse.ingest import ingest
from bulle.warehouse.pseudonym import PseudonymKey, pseudonymise
from bulle.warehouse.synth import ER_PRS_F_NARROW, write_snds

KEY = b"benchmark-key-of-at-least-thirty-two-bytes"
CARE_PER_PATIENT = 8
POLICY = """\
timezone: UTC
profiles:
  - {name: notebook, kind: notebook, cpu: 1, memory: 1G, image: x, idle_timeout: 1h, max_lifetime: 2h}
"""
SNDS_SOURCE = """\
name: bench-snds
kind: snds
location: {location}
namespace: bench
encoding: utf-8
tables:
  - files: "ER_PRS_F*.csv"
    table: er_prs_f
"""
SMALL_SOURCE = """\
name: bench-small
kind: csv
location: {location}
namespace: bench_small
tables:
  - files: "part_*.csv"
    table: events
    columns: {{patient: string, day: date, code: string, amount: double}}
identifiers:
  patient: pseudonymise
"""


def timed(action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def duckdb_baseline(files: list[Path], out: Path) -> tuple[int, float]:
    """DuckDB read_csv (same delimiter and types) → one zstd Parquet file; (rows, seconds)."""
    columns = {c.name: c.type for c in load_dictionary("snds", Path("."))["er_prs_f"]}
    with files[0].open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(";")
    declared = ", ".join(f"{sql_text(n)}: {sql_text(DUCKDB_TYPES[columns[n]])}" for n in header)
    paths = "[" + ", ".join(sql_text(str(f)) for f in files) + "]"
    query = f"SELECT * FROM read_csv({paths}, delim=';', header=true, auto_detect=false, columns={{{declared}}})"  # noqa: S608
    con = connect()
    _, seconds = timed(
        lambda: con.execute(f"COPY ({query}) TO {sql_text(str(out))} (FORMAT parquet, COMPRESSION zstd)")
    )
    rows = con.execute(f"SELECT count(*) FROM read_parquet({sql_text(str(out))})").fetchone()[0]  # noqa: S608
    return rows, seconds


def bulle_ingest(state: Path, policy: Path, source: str) -> tuple[int, float]:
    key_file = state / "key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(KEY)
    settings = Warehouse(state_dir=str(state), pseudonym_key_file=str(key_file))
    report, seconds = timed(lambda: ingest(settings, policy, source))
    assert report.committed, (report.problems, [t.problems for t in report.tables])
    return sum(t.rows_written for t in report.tables), seconds


def write_small_files(folder: Path, count: int, rows_per_file: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        lines = ["patient,day,code,amount"]
        lines += [
            f"P{(index * rows_per_file + r) % 5000},2024-01-{1 + r % 28:02d},C{r % 37},{r * 1.5}"
            for r in range(rows_per_file)
        ]
        (folder / f"part_{index:05d}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def pseudonymisation(count: int) -> dict[str, float]:
    key = PseudonymKey(KEY)
    distinct = pa.array([f"BEN{i:014d}" for i in range(count)], pa.string())
    _, seconds = timed(lambda: pseudonymise(key, distinct))
    repeated = pa.array([f"BEN{i % (count // CARE_PER_PATIENT):014d}" for i in range(count)], pa.string())
    _, seconds_repeated = timed(lambda: pseudonymise(key, repeated))
    return {
        "distinct_ids_per_s": count / seconds,
        "rows_per_s_with_repeats": count / seconds_repeated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="ER_PRS_F rows (default 20 M)")
    parser.add_argument("--files", type=int, default=24, help="files ER_PRS_F is split into (default 24)")
    parser.add_argument("--small-files", type=int, default=2000, help="files of the small-files case (default 2000)")
    parser.add_argument("--ids", type=int, default=5_000_000, help="ids for the pseudonymisation case (default 5 M)")
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ingest.json")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bulle-bench-"))
    try:
        results = run(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}")


def run(args: argparse.Namespace, work: Path) -> dict[str, float]:
    data = work / "snds"
    _, generate_s = timed(
        lambda: write_snds(
            data, max(1, args.rows // CARE_PER_PATIENT), 1, care_per_patient=CARE_PER_PATIENT,
            files=args.files, narrow=True, only={"ER_PRS_F"},
        )
    )  # fmt: skip
    files = sorted(data.glob("ER_PRS_F*.csv"))
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    print(f"generated {len(files)} files, {megabytes:,.0f} MB, {len(ER_PRS_F_NARROW)} columns in {generate_s:.1f} s")

    policy = work / "policy"
    (policy / "sources").mkdir(parents=True)
    (policy / "platform.yaml").write_text(POLICY, encoding="utf-8")
    treatments = "identifiers:\n" + "".join(f"  {c}: pseudonymise\n" for c in KNOWN_DIRECT_IDENTIFIERS["snds"])
    descriptor = SNDS_SOURCE.format(location=data) + treatments
    (policy / "sources" / "bench-snds.yaml").write_text(descriptor, encoding="utf-8")
    small = work / "small"
    write_small_files(small, args.small_files, 10)
    (policy / "sources" / "bench-small.yaml").write_text(SMALL_SOURCE.format(location=small), encoding="utf-8")

    rows, duck_s = duckdb_baseline(files, work / "duckdb.parquet")
    bulle_rows, bulle_s = bulle_ingest(work / "state", policy, "bench-snds")
    assert bulle_rows == rows, (bulle_rows, rows)
    _, small_s = bulle_ingest(work / "state", policy, "bench-small")
    ids = pseudonymisation(args.ids)

    results = {
        "rows": rows,
        "csv_megabytes": megabytes,
        "duckdb_rows_per_s": rows / duck_s,
        "bulle_rows_per_s": rows / bulle_s,
        "ratio_bulle_to_duckdb": duck_s / bulle_s,
        "small_files": args.small_files,
        "small_files_per_s": args.small_files / small_s,
        **ids,
    }
    print()
    print(f"  DuckDB read_csv → Parquet          {rows / duck_s:>14,.0f} rows/s  ({megabytes / duck_s:,.0f} MB/s)")
    print(f"  bulle CSV → Iceberg, pseudonymised {rows / bulle_s:>14,.0f} rows/s  ({megabytes / bulle_s:,.0f} MB/s)")
    print(f"  ratio bulle / DuckDB               {duck_s / bulle_s:>14.2f}        (target >= 0.5, aim 0.8)")
    files_per_s = args.small_files / small_s
    print(f"  small files ({args.small_files}, declared schema) {files_per_s:>9,.0f} files/s (target >= 150)")
    print(f"  pseudonymisation, distinct ids     {ids['distinct_ids_per_s']:>14,.0f} ids/s  (target >= 1 M)")
    print(f"  pseudonymisation, 8 rows/patient   {ids['rows_per_s_with_repeats']:>14,.0f} ids/s")
    return results


if __name__ == "__main__":
    main()
