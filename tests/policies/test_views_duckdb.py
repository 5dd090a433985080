"""The canonical grant views, rendered for DuckDB and run on a tiny warehouse.

The DuckDB rendering is what the embedded extraction materialises, so it is
run here for real: project A sees exactly its granted columns and rows, with
masked values masked, and one patient's pseudonym agrees across A's tables
and differs from project B's. The Trino rendering of the same SELECT is
compared in text (no Trino server runs here).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from bulle.demo import write_demo_policy
from bulle.policies import Grant, Policy, load_policy
from bulle.policies.pseudonyms import project_key, project_pseudonym
from bulle.policies.tables import TableShape, load_table_shapes
from bulle.policies.views import GrantsNotCompilable, compile_grant, render

TABLES = Path(__file__).resolve().parents[2] / "bulle" / "demo" / "warehouse-tables.yaml"
SECRET = b"a warehouse secret of 32 bytes!!"
PATIENTS = {101: 2001, 102: 1930, 103: 1988}  # person id: year of birth


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    folder = tmp_path_factory.mktemp("demo")
    write_demo_policy(folder, dt.date(2026, 11, 25))
    return load_policy(folder)


@pytest.fixture(scope="module")
def shapes() -> dict[str, TableShape]:
    return dict(load_table_shapes(TABLES))


@pytest.fixture(scope="module")
def warehouse(shapes: dict[str, TableShape]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA omop; CREATE SCHEMA maps")
    for table in ("omop.person", "omop.condition_occurrence"):
        columns = ", ".join(f"{c} {shapes[table].type_of(c).sql('duckdb')}" for c in shapes[table].columns)
        con.execute(f"CREATE TABLE {table} ({columns})")
    for pid, born in PATIENTS.items():
        con.execute(
            "INSERT INTO omop.person (person_id, gender_concept_id, year_of_birth, birth_datetime, race_concept_id,"
            " location_id, person_source_value) VALUES (?, 8507, ?, ?, 0, 75, ?)",
            [pid, born, born, f"IPP-{pid}"],
        )
    for cid, (pid, start) in enumerate([(101, "2014-06-01"), (101, "2019-03-02"), (103, "2020-01-01")]):
        con.execute(
            "INSERT INTO omop.condition_occurrence (condition_occurrence_id, person_id, condition_concept_id,"
            " condition_start_date, condition_end_date, provider_id, condition_source_value)"
            " VALUES (?, ?, 4152280, ?, ?, 9, 'F32')",
            [cid, pid, start, start],
        )
    for project in ("psy-cohort", "snds-cardio"):
        key = project_key(SECRET, project)
        schema_name = project.replace("-", "_")
        con.execute(f"CREATE TABLE maps.{schema_name} (warehouse_pseudonym VARCHAR, project_pseudonym VARCHAR)")
        for pid in PATIENTS:
            row = [str(pid), project_pseudonym(key, str(pid))]
            con.execute(f"INSERT INTO maps.{schema_name} VALUES (?, ?)", row)
    return con


def view(
    con: duckdb.DuckDBPyConnection, project: str, grant: Grant, shapes: dict[str, TableShape]
) -> tuple[list[str], list[tuple[object, ...]]]:
    compiled = compile_grant(
        project, 0, grant, shapes, exp.to_table(grant.table), exp.to_table(f"maps.{project.replace('-', '_')}")
    )
    relation = con.sql(render(compiled.select, "duckdb"))
    return relation.columns, sorted(relation.fetchall(), key=repr)


def test_granted_columns_masks_and_pseudonyms(
    demo: Policy, shapes: dict[str, TableShape], warehouse: duckdb.DuckDBPyConnection
) -> None:
    person = demo.projects["psy-cohort"].grants[0]
    columns, rows = view(warehouse, "psy-cohort", person, shapes)
    assert columns == ["person_id", "gender_concept_id", "year_of_birth", "race_concept_id", "location_id"]
    key = project_key(SECRET, "psy-cohort")
    expected = {(project_pseudonym(key, str(pid)), 8507, max(born, 1936), 0, None) for pid, born in PATIENTS.items()}
    assert set(rows) == expected
    assert not {str(pid) for pid in PATIENTS} & {r[0] for r in rows}


def test_row_filter_and_all_but_columns(
    demo: Policy, shapes: dict[str, TableShape], warehouse: duckdb.DuckDBPyConnection
) -> None:
    conditions = demo.projects["psy-cohort"].grants[1]
    columns, rows = view(warehouse, "psy-cohort", conditions, shapes)
    assert "condition_source_value" not in columns
    assert "provider_id" not in columns
    assert len(columns) == len(shapes["omop.condition_occurrence"].columns) - 3
    start = columns.index("condition_start_date")
    assert sorted(r[start] for r in rows) == [dt.date(2019, 3, 2), dt.date(2020, 1, 1)]


def test_one_patient_agrees_across_a_projects_tables_and_differs_between_projects(
    demo: Policy, shapes: dict[str, TableShape], warehouse: duckdb.DuckDBPyConnection
) -> None:
    person, conditions = demo.projects["psy-cohort"].grants[:2]
    _, people = view(warehouse, "psy-cohort", person, shapes)
    columns, events = view(warehouse, "psy-cohort", conditions, shapes)
    ids_in_events = {e[columns.index("person_id")] for e in events}
    assert ids_in_events <= {p[0] for p in people}
    _, elsewhere = view(warehouse, "snds-cardio", person, shapes)
    assert {p[0] for p in people}.isdisjoint({p[0] for p in elsewhere})
    assert len({p[0] for p in elsewhere}) == len(PATIENTS)


def test_builtin_masks_run_in_duckdb(shapes: dict[str, TableShape], warehouse: duckdb.DuckDBPyConnection) -> None:
    grant = Grant.model_validate(
        {
            "table": "omop.condition_occurrence",
            "columns": [
                "condition_concept_id",
                "condition_start_date",
                "condition_end_date",
                "condition_source_value",
                "provider_id",
            ],
            "masks": {
                "condition_concept_id": "CASE WHEN condition_concept_id = 4152280 THEN 0 ELSE condition_concept_id END",
                "condition_start_date": "year",
                "condition_end_date": "month",
                "condition_source_value": "truncate:2",
                "provider_id": "hash",
            },
            "row_filter": "person_id <> 103",
        }
    )
    _, rows = view(warehouse, "psy-cohort", grant, shapes)
    digest = hashlib.sha256(b"psy-cohort:9").hexdigest()
    assert rows == [(0, 2014, dt.date(2014, 6, 1), "F3", digest), (0, 2019, dt.date(2019, 3, 1), "F3", digest)]


def test_the_trino_rendering_of_the_same_select(shapes: dict[str, TableShape]) -> None:
    grant = Grant.model_validate(
        {"table": "omop.person", "columns": ["person_id", "location_id"], "masks": {"location_id": "hash"}}
    )
    compiled = compile_grant(
        "psy-cohort", 0, grant, shapes, exp.to_table("warehouse.omop.person"), exp.to_table("warehouse.m.psy_cohort")
    )
    assert render(compiled.select, "trino") == (
        "SELECT\n"
        "  p_person_id.project_pseudonym AS person_id,\n"
        "  LOWER(TO_HEX(SHA256(TO_UTF8('psy-cohort:' || CAST(t.location_id AS VARCHAR))))) AS location_id\n"
        "FROM warehouse.omop.person AS t\n"
        "LEFT JOIN warehouse.m.psy_cohort AS p_person_id\n"
        "  ON p_person_id.warehouse_pseudonym = CAST(t.person_id AS VARCHAR)"
    )


@pytest.mark.parametrize(
    ("grant", "problem"),
    [
        (
            {"table": "omop.person", "masks": {"person_id": "hash"}},
            "the mask of person_id is computed from the pseudonym column person_id",
        ),
        (
            {"table": "omop.person", "masks": {"gender_source_value": "CAST(person_id AS varchar)"}},
            "the mask of gender_source_value is computed from the pseudonym column person_id",
        ),
        ({"table": "omop.person", "row_filter": "nope = 1"}, "row_filter uses nope, which the table does not have"),
        ({"table": "omop.nothing"}, "the warehouse has no table omop.nothing"),
    ],
)
def test_grants_that_would_reveal_pseudonyms_or_miss_columns_are_refused(
    shapes: dict[str, TableShape], grant: dict[str, object], problem: str
) -> None:
    with pytest.raises(GrantsNotCompilable, match=problem):
        compile_grant("p", 0, Grant.model_validate(grant), shapes, exp.to_table("a.b"), exp.to_table("m.p"))


def test_a_null_mask_may_hide_a_pseudonym_and_warehouse_scope_keeps_it(
    shapes: dict[str, TableShape], warehouse: duckdb.DuckDBPyConnection
) -> None:
    hidden = Grant.model_validate({"table": "omop.person", "columns": ["person_id"], "masks": {"person_id": "null"}})
    assert view(warehouse, "psy-cohort", hidden, shapes)[1] == [(None,), (None,), (None,)]
    linked = Grant.model_validate({"table": "omop.person", "columns": ["person_id"], "pseudonym_scope": "warehouse"})
    assert view(warehouse, "psy-cohort", linked, shapes)[1] == [(101,), (102,), (103,)]


def test_pseudonym_keys_depend_on_the_secret_and_the_project() -> None:
    assert project_key(SECRET, "a") != project_key(SECRET, "b")
    assert project_key(SECRET, "a") != project_key(SECRET[::-1], "a")
    assert len(project_pseudonym(project_key(SECRET, "a"), "42")) == 32
    with pytest.raises(ValueError, match="at least 16 bytes"):
        project_key(b"short", "a")


def test_a_column_with_pseudonyms_inside_its_text_must_be_hidden_from_a_project() -> None:
    scans = TableShape.model_validate(
        {"pseudonyms_in_text": ["participant_id", "file"], "columns": {"participant_id": "varchar", "file": "varchar"}}
    )
    shapes = {"neuro.scans": scans}

    def compiled(grant: dict[str, object]) -> list[str]:
        view = compile_grant("p", 0, Grant.model_validate(grant), shapes, exp.to_table("a.b"), exp.to_table("m.p"))
        return [c.name for c in view.columns]

    with pytest.raises(GrantsNotCompilable, match="file, participant_id hold warehouse pseudonyms inside their text"):
        compiled({"table": "neuro.scans"})
    with pytest.raises(GrantsNotCompilable, match="the mask of file is computed from the pseudonym column file"):
        compiled({"table": "neuro.scans", "masks": {"participant_id": "null", "file": "truncate:3"}})
    assert compiled({"table": "neuro.scans", "masks": {"participant_id": "null", "file": "null"}}) == [
        "participant_id",
        "file",
    ]
    assert compiled({"table": "neuro.scans", "pseudonym_scope": "warehouse"}) == ["participant_id", "file"]
