"""Benchmark: bulle's disclosure checks against the pandas work that makes the table, in one run.

    .venv/bin/python bench/airlock.py [--rows 1000000] [--repeat 5] [--json]

Two workloads over the same synthetic records (department × age band × sex,
about 2,000 cells plus margins, and a cost per record):

- *frequency*: plain pandas is ``pd.crosstab(..., margins=True)`` then
  ``to_csv()``; bulle adds ``check_output`` on those CSV bytes (every
  installed check, default profile);
- *statistics*: plain pandas is a ``pivot_table`` of mean cost with margins
  then ``to_csv()``; bulle adds the contributors file
  (``contributor_table``: count, sum, max, top_2_sum per cell) and
  ``check_output`` with it (threshold, zeros, n,k and p% rules...).

It prints the median of ``--repeat`` runs of each step (after one warm-up)
and the ratio (pandas + bulle) / pandas, the overhead a researcher pays for
a checked table. ACRO's published figure for its checked crosstab is 15.6×;
bulle's target is 2×.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from bulle.airlock import Kind, Output, check_output, contributor_table
from bulle.policies import DISCLOSURE_PROFILES

RULES = DISCLOSURE_PROFILES["default"]


def make_records(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    departments = [f"{d:02d}" for d in range(1, 97)]
    ages = ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85-94", "95+"]
    return pd.DataFrame(
        {
            "department": pd.Categorical(rng.choice(departments, rows)),
            "age_band": pd.Categorical(rng.choice(ages, rows)),
            "sex": pd.Categorical(rng.choice(["F", "M"], rows)),
            "cost": rng.gamma(2.0, 150.0, rows),
        }
    )


def median_seconds(step: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    value = step()  # warm-up, and the value the next step uses
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def bench_frequency(records: pd.DataFrame, repeat: int) -> dict[str, Any]:
    crosstab, table = median_seconds(
        lambda: pd.crosstab([records.department, records.age_band], records.sex, margins=True), repeat
    )
    to_csv, text = median_seconds(lambda: table.to_csv().encode(), repeat)
    check, verdict = median_seconds(lambda: check_output(Output("frequency.csv", Kind.FREQUENCY, text), RULES), repeat)
    pandas_seconds = crosstab + to_csv
    return {
        "cells": int(table.size),
        "pandas_s": {"crosstab": crosstab, "to_csv": to_csv},
        "bulle_s": {"check_output": check},
        "ratio": (pandas_seconds + check) / pandas_seconds,
        "verdict": verdict.status.value,
    }


def bench_statistics(records: pd.DataFrame, repeat: int) -> dict[str, Any]:
    by = ["department", "age_band", "sex"]
    pivot, table = median_seconds(
        lambda: records.pivot_table(
            index=["department", "age_band"], columns="sex", values="cost", aggfunc="mean", margins=True, observed=True
        ),
        repeat,
    )
    to_csv, text = median_seconds(lambda: table.to_csv().encode(), repeat)
    evidence, counts = median_seconds(lambda: contributor_table(records, by, "cost").to_csv().encode(), repeat)
    check, verdict = median_seconds(
        lambda: check_output(Output("statistics.csv", Kind.STATISTICS, text, counts=counts), RULES), repeat
    )
    pandas_seconds = pivot + to_csv
    return {
        "cells": int(table.size),
        "pandas_s": {"pivot_table": pivot, "to_csv": to_csv},
        "bulle_s": {"contributor_table": evidence, "check_output": check},
        "ratio": (pandas_seconds + evidence + check) / pandas_seconds,
        "verdict": verdict.status.value,
    }


def run(rows: int, repeat: int) -> dict[str, Any]:
    records = make_records(rows)
    return {
        "rows": rows,
        "repeat": repeat,
        "frequency": bench_frequency(records, repeat),
        "statistics": bench_statistics(records, repeat),
    }


def _report(results: dict[str, Any]) -> str:
    lines = [f"{results['rows']:,} records, median of {results['repeat']} runs"]
    for workload in ("frequency", "statistics"):
        found = results[workload]
        pandas_steps = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in found["pandas_s"].items())
        bulle_steps = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in found["bulle_s"].items())
        lines.append(
            f"  {workload:<10} {found['cells']:,} cells  pandas: {pandas_steps}  bulle adds: {bulle_steps}"
            f"  → {found['ratio']:.2f}× (verdict {found['verdict']})"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    results = run(arguments.rows, arguments.repeat)
    print(json.dumps(results, indent=2) if arguments.json else _report(results))


if __name__ == "__main__":
    main()
