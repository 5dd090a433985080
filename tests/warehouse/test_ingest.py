"""``bulle ingest`` on small files made here: loads, no-ops, history, refusals that commit nothing."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from warehouse_helpers import KEY_SECRET, data_files, run_ingest, write_policy

from bulle.cli import main
from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.config import Warehouse
from bulle.warehouse.history import HistoryProblem, read_as_of, resolve_as_of, table_history
from bulle.warehouse.pseudonym import PseudonymKey, pseudonym_of

VISITS = """\
name: clinic
kind: csv
location: {location}
namespace: clinic
tables:
  - files: ["visits_*.csv", "visits_*.csv.gz"]
    table: visits
    columns:
      patient: string
      nom: string
      birth: date
      postcode: string
      score: long
identifiers:
  patient: pseudonymise
  nom: drop
  birth: {{generalise: year}}
  postcode: {{generalise: department}}
error_budget: {budget}
"""
HEADER = "patient,nom,birth,postcode,score\n"


def make_source(root: Path, budget: str = "0", text: str = VISITS) -> Path:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    return write_policy(root / "policy", {"clinic": text.format(location=data, budget=budget)})


def write_csv(root: Path, name: str, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    path = root / "data" / name
    path.write_bytes((header + "".join(f"{row}\n" for row in rows)).encode(encoding))
    return path


def visits(settings: Warehouse) -> pa.Table:
    return open_catalog(settings).load_table("clinic.visits").scan().to_arrow()


def test_csv_is_loaded_pseudonymised_and_generalised(tmp_path: Path, settings: Warehouse, key: PseudonymKey) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3", "P2,Martin,1982-11-30,97411,4"])
    report = run_ingest(settings, policy, "clinic")
    assert report.committed
    assert not report.failed
    rows = visits(settings).sort_by("score").to_pylist()
    assert [r["patient"] for r in rows] == [pseudonym_of(key, "P1"), pseudonym_of(key, "P2")]
    assert [(r["birth"], r["postcode"]) for r in rows] == [(1970, "75"), (1982, "974")]
    assert "nom" not in rows[0]
    table = open_catalog(settings).load_table("clinic.visits")
    assert table.properties["bulle.pseudonym-key-id"] == key.key_id
    summary = table.current_snapshot().summary.additional_properties
    assert summary["bulle.source"] == "clinic"
    assert summary["bulle.files"] == "1"
    assert summary["bulle.loader-version"]
    assert len(summary["bulle.file-digests"]) == 64


def test_running_twice_is_a_no_op(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    run_ingest(settings, policy, "clinic")
    before = open_catalog(settings).load_table("clinic.visits").current_snapshot().snapshot_id
    again = run_ingest(settings, policy, "clinic")
    assert (again.unchanged_files, again.tables, again.status) == (1, [], "nothing new to load")
    assert open_catalog(settings).load_table("clinic.visits").current_snapshot().snapshot_id == before


def test_new_and_changed_files_make_history_and_time_travel_reads_the_past(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    first = write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    run_ingest(settings, policy, "clinic")
    table = open_catalog(settings).load_table("clinic.visits")
    first_snapshot = table.current_snapshot()
    write_csv(tmp_path, "visits_2.csv", ["P2,Martin,1982-11-30,97411,4"])
    write_csv(tmp_path, first.name, ["P1,Dupont,1970-05-02,75012,30"])  # a corrected delivery
    report = run_ingest(settings, policy, "clinic")
    assert report.committed
    assert sorted(visits(settings).column("score").to_pylist()) == [4, 30]
    table = open_catalog(settings).load_table("clinic.visits")
    assert read_as_of(table, first_snapshot.snapshot_id).column("score").to_pylist() == [3]
    moment = dt.datetime.fromtimestamp(first_snapshot.timestamp_ms / 1000 + 0.0005, dt.UTC).isoformat()
    assert resolve_as_of(table, moment) == first_snapshot.snapshot_id
    history = table_history(table)
    assert [h.source for h in history if h.operation == "append"] == ["clinic", "clinic"]
    assert history[-1].total_rows == 2


def test_history_refuses_unknown_points(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    run_ingest(settings, policy, "clinic")
    table = open_catalog(settings).load_table("clinic.visits")
    with pytest.raises(HistoryProblem, match="did not exist yet at 2001-01-01"):
        resolve_as_of(table, "2001-01-01")
    with pytest.raises(HistoryProblem, match="has no snapshot 42"):
        resolve_as_of(table, "42")
    with pytest.raises(HistoryProblem, match="neither a snapshot id nor an ISO date"):
        resolve_as_of(table, "yesterday")


def test_a_new_column_evolves_the_schema(tmp_path: Path, settings: Warehouse) -> None:
    text = VISITS.replace(
        """    columns:
      patient: string
      nom: string
      birth: date
      postcode: string
      score: long
""",
        "",
    ).replace("identifiers:", "infer_schema: true\nidentifiers:")
    policy = make_source(tmp_path, text=text)
    write_csv(tmp_path, "visits_1.csv", ["P1,1970-05-02,3"], header="patient,birth,score\n")
    run_ingest(settings, policy, "clinic")
    write_csv(tmp_path, "visits_2.csv", ["P2,1982-11-30,4,yes"], header="patient,birth,score,smoker\n")
    assert run_ingest(settings, policy, "clinic").committed
    rows = visits(settings).sort_by("score").to_pylist()
    assert [r["smoker"] for r in rows] == [None, True]


def test_rejected_rows_under_the_budget_are_reported_and_the_rest_loaded(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path, budget="2")
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3", "P2,Martin,not-a-date,75001,4", "P3,Durand"])
    report = run_ingest(settings, policy, "clinic")
    assert report.committed
    [file] = report.tables[0].files
    assert (file.rows_read, file.rows_written, file.rows_rejected) == (3, 1, 2)
    assert [str(r) for r in file.rejections] == [
        'visits_1.csv:3: column birth: Error when converting column "birth". '
        "Could not convert string \"not-a-date\" to 'DATE'",
        "visits_1.csv:4: Expected Number of Columns: 5 Found: 2",
    ]
    saved = json.loads((settings.layout.warehouse_reports / f"{report.run_id}.json").read_text())
    assert saved["tables"][0]["files"][0]["rejections"][1].startswith("visits_1.csv:4:")
    assert visits(settings).num_rows == 1


def test_rejected_rows_over_the_budget_commit_nothing(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path, budget="1")
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3", "P2,Martin,bad,75001,4", "P3,Durand"])
    report = run_ingest(settings, policy, "clinic")
    assert report.failed
    assert not report.committed
    assert report.tables[0].over_budget
    assert_nothing_written(settings)


def assert_nothing_written(settings: Warehouse) -> None:
    assert open_catalog(settings).list_namespaces() == [] or open_catalog(settings).list_tables("clinic") == []
    assert data_files(Path(settings.state_dir)) == []


def test_wrongly_encoded_file_gives_a_precise_error_and_commits_nothing(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Jérôme,1970-05-02,75012,3"], encoding="latin-1")
    report = run_ingest(settings, policy, "clinic")
    [rejection] = report.tables[0].files[0].rejections
    assert str(rejection).startswith("visits_1.csv:2: Invalid unicode (byte sequence mismatch) detected.")
    assert "declare encoding: latin-1 in the descriptor" in rejection.reason
    assert not report.committed
    assert_nothing_written(settings)


def test_latin1_semicolon_file_loads_when_declared(tmp_path: Path, settings: Warehouse) -> None:
    text = VISITS.replace("namespace: clinic", 'namespace: clinic\ndelimiter: ";"\nencoding: latin-1')
    policy = make_source(tmp_path, text=text)
    write_csv(
        tmp_path, "visits_1.csv", ["P1;Jérôme;1970-05-02;75012;3"], header=HEADER.replace(",", ";"), encoding="latin-1"
    )
    assert run_ingest(settings, policy, "clinic").committed
    assert visits(settings).num_rows == 1


def test_truncated_gzip_gives_an_error_and_commits_nothing(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    payload = gzip.compress((HEADER + "P1,Dupont,1970-05-02,75012,3\n" * 2000).encode())
    (tmp_path / "data" / "visits_1.csv.gz").write_bytes(payload[: len(payload) // 2])
    report = run_ingest(settings, policy, "clinic")
    assert report.failed
    assert not report.committed
    assert report.tables[0].problems == [
        "visits_1.csv.gz:1: the gzip stream stops before its end: the file is truncated"
    ]
    assert_nothing_written(settings)


def test_file_that_is_not_gzip_gives_an_error(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    (tmp_path / "data" / "visits_1.csv.gz").write_bytes(b"patient,nom\nP1,x\n")
    report = run_ingest(settings, policy, "clinic")
    assert report.tables[0].problems == ["visits_1.csv.gz:1: not a gzip file, though its name ends in .gz"]
    assert_nothing_written(settings)


def test_header_that_does_not_match_the_schema_commits_nothing(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,3"], header="patient,scored\n")
    report = run_ingest(settings, policy, "clinic")
    assert report.tables[0].problems == [
        "visits_1.csv:1: column 'scored' is not in the schema of table visits; declare it (or fix the header)"
    ]
    assert_nothing_written(settings)


def test_corrupt_parquet_gives_an_error_and_commits_nothing(tmp_path: Path, settings: Warehouse) -> None:
    text = "name: clinic\nkind: parquet\nlocation: {location}\nnamespace: clinic\nerror_budget: {budget}\n"
    policy = make_source(tmp_path, text=text)
    pq.write_table(pa.table({"score": [1, 2]}), tmp_path / "data" / "good.parquet")
    (tmp_path / "data" / "bad.parquet").write_bytes(b"PAR1 this is not parquet")
    report = run_ingest(settings, policy, "clinic")
    assert any("bad.parquet:1: cannot be read" in p for t in report.tables for p in t.problems)
    assert not report.committed
    assert data_files(Path(settings.state_dir)) == []


def test_untreated_identifier_found_at_ingest_is_refused(tmp_path: Path, settings: Warehouse) -> None:
    text = (
        "name: clinic\nkind: csv\nlocation: {location}\nnamespace: clinic\ninfer_schema: true\nerror_budget: {budget}\n"
    )
    policy = make_source(tmp_path, text=text)
    write_csv(tmp_path, "visits.csv", ["P1,Dupont"], header="patient,last_name\n")
    report = run_ingest(settings, policy, "clinic")
    [problem] = report.tables[0].problems
    assert "would receive direct identifiers without a treatment: last_name" in problem
    assert_nothing_written(settings)


def test_a_table_made_with_another_key_is_refused(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    run_ingest(settings, policy, "clinic")
    other_key = tmp_path / "other.key"
    other_key.write_bytes(b"another-secret-that-is-long-enough-0123456789")
    other = Warehouse(state_dir=settings.state_dir, pseudonym_key_file=str(other_key))
    write_csv(tmp_path, "visits_2.csv", ["P2,Martin,1982-11-30,97411,4"])
    report = run_ingest(other, policy, "clinic")
    assert not report.committed
    assert "holds pseudonyms made with key id" in report.tables[0].problems[0]
    assert visits(settings).num_rows == 1


def test_dry_run_writes_nothing(tmp_path: Path, settings: Warehouse) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    report = run_ingest(settings, policy, "clinic", dry_run=True)
    assert report.tables[0].rows_written == 1
    assert report.status == "dry run, nothing written"
    assert_nothing_written(settings)


def test_cli_ingest_history_and_show(tmp_path: Path, settings: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    monkeypatch.setenv("BULLE_PSEUDONYM_KEY", KEY_SECRET.decode())
    state = ["--state", settings.state_dir]
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", "clinic", "--policy", str(policy), *state])
    assert result.exit_code == 0, result.output
    assert "(committed)" in result.output
    history = runner.invoke(main, ["warehouse", "history", "clinic.visits", *state])
    assert history.exit_code == 0
    assert "clinic" in history.output
    shown = runner.invoke(main, ["warehouse", "show", "clinic.visits", "--as-of", "2999-01-01", *state])
    assert shown.exit_code == 0
    assert '"patient","birth","postcode","score","_bulle_file"' in shown.output
    missing = runner.invoke(main, ["warehouse", "history", "clinic.nothing", *state])
    assert missing.exit_code == 1
    assert "there is no table clinic.nothing; tables in clinic: clinic.visits" in missing.output
    unknown = runner.invoke(main, ["ingest", "nope", "--policy", str(policy), *state])
    assert unknown.exit_code == 1
    assert "the policy has no source 'nope'" in unknown.output


def test_cli_ingest_without_a_key_says_how_to_give_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = make_source(tmp_path)
    monkeypatch.delenv("BULLE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("BULLE_PSEUDONYM_KEY_FILE", raising=False)
    result = CliRunner().invoke(main, ["ingest", "clinic", "--policy", str(policy), "--state", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert "no pseudonymisation key: set c.Warehouse.pseudonym_key_file" in result.output


def test_cli_ingest_with_an_invalid_policy_exits_2(tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "policy", {"clinic": "name: clinic\nkind: csv\n"})
    result = CliRunner().invoke(main, ["ingest", "clinic", "--policy", str(policy), "--state", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "sources/clinic.yaml:1: location: required key is missing" in result.output
