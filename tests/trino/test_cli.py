"""``bulle trino simulate`` and ``bulle access explain`` on the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulle.cli import main
from bulle.demo import write_demo_policy

EXAMPLES = "trino-access-control-examples"


def simulate(rules: Path, *args: str) -> tuple[int, object, str]:
    result = CliRunner().invoke(main, ["trino", "simulate", str(rules), *args])
    output = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, output, result.stderr


@pytest.fixture
def examples(shared_data: Path) -> Path:
    return shared_data / EXAMPLES


def test_a_check_prints_its_decision_and_trinos_message(examples: Path) -> None:
    table = ["--catalog", "default", "--schema", "default", "--table", "t"]
    assert simulate(examples / "table_rules.json", "--user", "bob", "--check", "selectFromColumns", *table) == (
        0,
        {"decision": "allow"},
        "",
    )
    denied = simulate(
        examples / "table_rules.json", "--user", "bob", "--check", "selectFromColumns", *table, "--columns", "a,address"
    )
    assert denied == (0, {"decision": "deny"}, "Access Denied: Cannot select from table default.default.t\n")


def test_groups_and_roles_are_repeatable(examples: Path) -> None:
    args = ["--check", "accessCatalog", "--catalog", "postgres"]
    assert simulate(examples / "catalog_rules.json", "--user", "x", "--group", "a", "--group", "finance", *args)[1] == {
        "decision": "allow"
    }
    assert simulate(examples / "catalog_rules.json", "--user", "x", "--group", "a", *args)[1] == {"decision": "deny"}
    roles = ["--user", "x", "--role", "admin", "--check", "setSystemSessionProperty", "--property", "any"]
    assert simulate(examples / "session-property-access.json", *roles)[1] == {"decision": "allow"}


def test_filters_masks_and_row_filters(examples: Path) -> None:
    rules = examples / "table_rules.json"
    table = ["--catalog", "default", "--schema", "default", "--table", "t"]
    assert simulate(rules, "--user", "bob", "--check", "filterColumns", *table, "--columns", "a,address,SSN")[1] == {
        "result": ["a", "SSN"]
    }
    mask = simulate(rules, "--user", "bob", "--check", "getColumnMask", *table, "--column", "SSN")[1]
    assert mask == {
        "result": {
            "expression": "'XXX-XX-' + substring(credit_card, -4)",
            "catalog": "default",
            "schema": "default",
            "identity": "admin",
        }
    }
    assert simulate(rules, "--user", "bob", "--check", "getColumnMask", *table, "--column", "a")[1] == {"result": None}
    hr = ["--catalog", "default", "--schema", "hr", "--table", "employee"]
    assert simulate(rules, "--user", "bob", "--check", "getRowFilters", *hr)[1] == {
        "result": [{"expression": "user = current_user", "catalog": "default", "schema": "hr", "identity": "admin"}]
    }
    tables = simulate(
        rules, "--user", "bob", "--check", "filterTables", "--catalog", "default", "--tables", "hr.employee,hr.salary"
    )
    # This file has no schemas section: everyone owns every schema, so every table is visible.
    assert tables[1] == {"result": ["hr.employee", "hr.salary"]}
    catalogs = simulate(
        examples / "catalog_rules.json",
        "--user",
        "alice",
        "--check",
        "filterCatalogs",
        "--catalogs",
        "hive,mysql,postgresql",
    )
    assert catalogs[1] == {"result": ["hive", "postgresql"]}


def test_grantee_and_rename_arguments(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            {
                "tables": [{"user": "admin", "privileges": ["OWNERSHIP"]}],
                "authorization": [{"original_user": "admin", "new_user": "bob"}],
            }
        ),
        encoding="utf-8",
    )
    table = ["--catalog", "c", "--schema", "s", "--table", "t"]
    grant = ["--check", "setTableAuthorization", *table]
    assert simulate(rules, "--user", "admin", *grant, "--grantee", "USER:bob")[1] == {"decision": "allow"}
    assert simulate(rules, "--user", "admin", *grant, "--grantee", "ROLE:bob")[1] == {"decision": "deny"}
    rename = ["--check", "renameTable", *table, "--new-table", "t2", "--new-schema", "s2"]
    assert simulate(rules, "--user", "admin", *rename)[1] == {"decision": "allow"}
    assert simulate(rules, "--user", "bob", *rename)[2] == "Access Denied: Cannot rename table from c.s.t to c.s2.t2\n"
    privilege = ["--check", "grantTablePrivilege", *table, "--privilege", "SELECT", "--grantee", "USER:x"]
    assert simulate(rules, "--user", "admin", *privilege)[1] == {"decision": "allow"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--check", "selectFromColumns", "--catalog", "c"], "selectFromColumns needs --schema, --table"),
        (["--check", "setCatalogSessionProperty", "--catalog", "c"], "setCatalogSessionProperty needs --property"),
        (
            ["--check", "setTableAuthorization", "--catalog", "c", "--schema", "s", "--table", "t", "--grantee", "bob"],
            "USER:NAME or ROLE:NAME",
        ),
        (["--check", "selectFromColum"], "Invalid value for '--check'"),
    ],
)
def test_missing_or_wrong_arguments_are_usage_errors(examples: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["trino", "simulate", str(examples / "table_rules.json"), "--user", "u", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_an_invalid_rules_file_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"tables": [{"privileges": ["SELECT"], "colums": []}]}', encoding="utf-8")
    code, _, stderr = simulate(rules, "--user", "u", "--check", "executeQuery")
    assert code == 2
    assert "tables[0]: unknown key 'colums'" in stderr


def test_simulating_the_compiled_demo_rules(repo_root: Path) -> None:
    rules = repo_root / "tests" / "policies" / "compiled" / "demo-trino" / "rules.json"
    view = ["--catalog", "projects", "--schema", "psy_cohort", "--table", "omop_person"]
    assert simulate(rules, "--user", "alice@psy-cohort", "--check", "selectFromColumns", *view)[1] == {
        "decision": "allow"
    }
    assert simulate(rules, "--user", "alice@snds-cardio", "--check", "selectFromColumns", *view)[1] == {
        "decision": "deny"
    }
    assert simulate(rules, "--user", "alice@psy-cohort", "--check", "dropView", *view)[1] == {"decision": "deny"}
    raw = ["--catalog", "warehouse", "--schema", "omop", "--table", "person"]
    assert simulate(rules, "--user", "alice@psy-cohort", "--check", "selectFromColumns", *raw)[1] == {
        "decision": "deny"
    }


# -- bulle access explain ----------------------------------------------------------------


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    write_demo_policy(tmp_path / "demo", dt.date(2026, 11, 25))
    return tmp_path / "demo"


def explain(demo_dir: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["access", "explain", "--policy", str(demo_dir), "--date", "2026-11-25", *args])
    return result.exit_code, result.output.splitlines()


def test_explain_lists_what_a_researcher_reads(demo_dir: Path) -> None:
    code, lines = explain(demo_dir, "--user", "alice", "--project", "psy-cohort")
    assert code == 0
    assert lines == [
        "psy-cohort (open; alice is researcher), Trino user alice@psy-cohort:",
        "  reads projects.psy_cohort.omop_person (from omop.person, current snapshot)",
        "    columns: person_id, gender_concept_id, year_of_birth, race_concept_id, location_id",
        "    masked: year_of_birth (CASE WHEN year_of_birth < 1936 THEN 1936 ELSE year_of_birth END)",
        "    masked: location_id (null)",
        "    rows: all",
        "    patient ids: re-keyed for this project",
        "  reads projects.psy_cohort.omop_condition_occurrence (from omop.condition_occurrence, current snapshot)",
        "    columns: all columns except provider_id, condition_source_value, condition_status_source_value",
        "    rows: condition_start_date >= DATE '2015-01-01'",
        "    patient ids: re-keyed for this project",
        "  reads projects.psy_cohort.omop_drug_exposure (from omop.drug_exposure, current snapshot)",
        "    columns: drug_exposure_id, person_id, drug_concept_id, drug_exposure_start_date, drug_exposure_end_date, "
        "quantity, days_supply, route_concept_id",
        "    rows: drug_exposure_start_date >= DATE '2015-01-01' AND drug_concept_id <> 0",
        "    patient ids: re-keyed for this project",
        "  refused, as it should be: other projects' views, the raw warehouse, the pseudonym maps, writes",
    ]


def test_explain_after_the_project_ended_says_nothing_is_readable(demo_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["access", "explain", "--policy", str(demo_dir), "--date", "2030-01-01", "--user", "bob"]
    )
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == [
        "snds-cardio (not open on 2030-01-01; bob is researcher), Trino user bob@snds-cardio:",
        "  cannot read projects.snds_cardio.snds_ir_ben_r (from snds.ir_ben_r, current snapshot)",
    ]


def test_explain_for_users_without_projects(demo_dir: Path) -> None:
    assert explain(demo_dir, "--user", "ada") == (0, ["ada is a member of no project; no project data is readable."])
    assert explain(demo_dir, "--user", "alice", "--project", "snds-cardio") == (
        0,
        ["alice is not a member of project snds-cardio; no project data is readable."],
    )


def test_explain_warns_and_fails_when_the_rules_disagree_with_the_policy(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bulle.trino import explain as explain_module

    compile_rules = explain_module.compile_trino_rules

    def leaky(*args: object, **kwargs: object) -> dict[str, object]:
        rules = compile_rules(*args, **kwargs)  # type: ignore[arg-type]
        return {**rules, "catalogs": [{"allow": "all"}], "tables": [{"privileges": ["SELECT"]}]}

    monkeypatch.setattr(explain_module, "compile_trino_rules", leaky)
    code, lines = explain(demo_dir, "--user", "bob")
    assert code == 1
    assert "  WARNING: bob@snds-cardio can read warehouse.snds.ir_ben_r" in lines
    assert "  WARNING: bob@snds-cardio can read projects.psy_cohort.omop_person" in lines
