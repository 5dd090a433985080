"""bulle synth, the demo warehouse, the benchmark script at tiny scale, and DuckDB reading our tables."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from warehouse_helpers import run_ingest, write_policy

from bulle.cli import main
from bulle.demo import write_demo_policy
from bulle.state import StateLayout
from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.config import Warehouse
from bulle.warehouse.demo import DEMO_SOURCES, demo_key_file, prepare_demo_warehouse
from bulle.warehouse.duck import connect, load_extension
from bulle.warehouse.synth import write_omop, write_snds

REPO = Path(__file__).resolve().parents[2]


def test_synth_is_seeded_and_linked(tmp_path: Path) -> None:
    first = write_snds(tmp_path / "a", 50, seed=3, files=2)
    again = write_snds(tmp_path / "b", 50, seed=3, files=2)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    other = write_snds(tmp_path / "c", 50, seed=4, files=2)
    assert first[0].read_bytes() != other[0].read_bytes()
    con = connect()
    snds, omop = tmp_path / "a", tmp_path / "omop"
    write_omop(omop, 50, seed=3)
    beneficiaries = {
        r[0] for r in con.execute(f"SELECT BEN_NIR_PSA FROM read_csv('{snds}/IR_BEN_R.csv', delim=';')").fetchall()
    }
    care = {
        r[0] for r in con.execute(f"SELECT BEN_NIR_PSA FROM read_csv('{snds}/ER_PRS_F_*.csv', delim=';')").fetchall()
    }
    persons = {r[0] for r in con.execute(f"SELECT person_source_value FROM read_csv('{omop}/PERSON.csv')").fetchall()}
    assert len(beneficiaries) == 50
    assert care <= beneficiaries
    assert persons == beneficiaries
    unlinked = con.execute(
        f"SELECT count(*) FROM read_csv('{snds}/ER_PHA_F.csv', delim=';') p "
        f"ANTI JOIN read_csv('{snds}/ER_PRS_F_*.csv', delim=';') c USING (DCT_ORD_NUM, FLX_DIS_DTD, ORG_CLE_NUM)"
    ).fetchone()
    assert unlinked == (0,)


def test_synth_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["synth", "snds", "--patients", "20", "--out", str(tmp_path), "--narrow"])
    assert result.exit_code == 0, result.output
    assert "Wrote 10 files" in result.output
    header = (tmp_path / "ER_PRS_F_001.csv").read_text().splitlines()[0]
    assert header.startswith("BEN_NIR_PSA;BEN_RNG_GEM;")


def test_demo_warehouse_loads_every_source_and_they_join(tmp_path: Path) -> None:
    layout = StateLayout(tmp_path / "state")
    layout.prepare_root()
    policy = layout.root / "policies"
    write_demo_policy(policy, dt.datetime.now(dt.UTC).date())
    lines: list[str] = []
    reports = prepare_demo_warehouse(layout, policy, echo=lines.append)
    assert [r.source for r in reports] == list(DEMO_SOURCES)
    assert all(r.committed for r in reports), [r.problems for r in reports]
    assert demo_key_file(layout).stat().st_mode & 0o777 == 0o600
    assert prepare_demo_warehouse(layout, policy) == [], "the second start loads nothing"
    settings = Warehouse(state_dir=str(layout.root))
    with open_catalog(settings) as catalog:

        def column(table: str, name: str) -> set[str]:
            return set(catalog.load_table(table).scan().to_arrow().column(name).to_pylist())

        people = column("omop.person", "person_source_value")
        assert column("snds.ir_ben_r", "BEN_NIR_PSA") == people
        assert column("psy_fhir.patient", "id") <= people
        assert column("psy_imaging.instances", "patient") <= people
        assert column("psy_genomics.genotypes", "sample") <= people
        assert {p.removeprefix("sub-") for p in column("psy_neuro.participants", "participant_id")} <= people


def test_duckdb_reads_the_iceberg_tables_with_the_extension_from_its_wheel(tmp_path: Path, settings: Warehouse) -> None:
    data = tmp_path / "data"
    write_snds(data, 30, seed=1, only={"IR_BEN_R"})
    policy = write_policy(
        tmp_path / "policy",
        {
            "ben": f"name: ben\nkind: snds\nlocation: {data}\nnamespace: snds\nidentifiers:\n"
            + "".join(
                f"  {c}: pseudonymise\n"
                for c in [
                    "BEN_NIR_PSA",
                    "BEN_NIR_ANO",
                    "BEN_NIR_IDT",
                    "BEN_IDT_ANO",
                    "ASS_NIR_ANO",
                    "NIR_ANO_17",
                    "NIR_ANO_MAM",
                    "NUM_ENQ",
                    "DCD_IDT_ENC",
                ]
            )
            + "  TRS_ACP_NOM: drop\n  TRS_CDR_NOM: drop\n"
        },
    )
    assert run_ingest(settings, policy, "ben").committed
    with open_catalog(settings) as catalog:
        location = catalog.load_table("snds.ir_ben_r").metadata_location
    con = connect()
    load_extension(con, "iceberg")
    assert con.execute(f"SELECT count(*) FROM iceberg_scan('{location}')").fetchone() == (30,)


def test_ingest_benchmark_runs_at_tiny_scale(tmp_path: Path) -> None:
    script = REPO / "bench" / "ingest.py"
    tiny = ["--rows", "2000", "--files", "2", "--small-files", "20", "--ids", "2000", "--out", str(tmp_path / "r.json")]
    result = subprocess.run(
        [sys.executable, str(script), *tiny], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "ratio bulle / DuckDB" in result.stdout
    assert (tmp_path / "r.json").exists()
