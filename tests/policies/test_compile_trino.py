"""The Trino compiler on the demo policy: reviewed output, determinism, and its decisions.

The files in ``compiled/demo-trino`` are the reviewed compilation of the demo
policy for 2026-11-25. When the compiler, the demo policy or the demo's table
shapes change on purpose, regenerate them with::

    bulle policy compile --target trino --tables bulle/demo/warehouse-tables.yaml \
        --date 2026-11-25 <demo policy> tests/policies/compiled/demo-trino

Every compiled rules file is checked with the Trino simulator: a project's
principal reads its own views and nothing else, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulle.cli import main
from bulle.demo import write_demo_policy
from bulle.policies import Policy, load_policy
from bulle.policies.grants import project_schema, view_name
from bulle.policies.trino import RULE_SECTIONS, compile_trino_rules, project_principal
from bulle.trino import AccessControl, Identity, parse_rules
from bulle.trino.verify import verify_rules

REVIEWED = Path(__file__).parent / "compiled" / "demo-trino"
TABLES = Path(__file__).resolve().parents[2] / "bulle" / "demo" / "warehouse-tables.yaml"
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    write_demo_policy(tmp_path / "demo", TODAY)
    return tmp_path / "demo"


@pytest.fixture
def demo(demo_dir: Path) -> Policy:
    return load_policy(demo_dir)


def compile_to(demo_dir: Path, out: Path, *extra: str) -> None:
    args = ["policy", "compile", "--target", "trino", "--tables", str(TABLES), "--date", "2026-11-25", *extra]
    result = CliRunner().invoke(main, [*args, str(demo_dir), str(out)])
    assert result.exit_code == 0, result.output


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_compiling_the_demo_policy_gives_the_reviewed_files(demo_dir: Path, tmp_path: Path) -> None:
    compile_to(demo_dir, tmp_path / "out")
    assert files_of(tmp_path / "out") == files_of(REVIEWED), "compiled output drifted; see the module docstring"


def test_compiling_twice_gives_identical_bytes(demo_dir: Path, tmp_path: Path) -> None:
    compile_to(demo_dir, tmp_path / "a")
    compile_to(demo_dir, tmp_path / "b")
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_every_rules_section_is_written(demo: Policy) -> None:
    rules = compile_trino_rules(demo, TODAY)
    assert tuple(rules) == RULE_SECTIONS
    assert parse_rules(rules).sections == frozenset(RULE_SECTIONS)


def test_trino_target_needs_the_table_shapes(demo_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["policy", "compile", "--target", "trino", str(demo_dir), str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "--target trino needs --tables FILE" in result.output
    assert not (tmp_path / "o").exists()


def test_grants_that_do_not_fit_the_tables_are_refused_and_nothing_is_written(demo_dir: Path, tmp_path: Path) -> None:
    shapes = tmp_path / "tables.yaml"
    text = TABLES.read_text(encoding="utf-8").replace("      location_id: bigint\n", "", 1)
    shapes.write_text(text.replace("  snds.er_pha_f:", "  snds.er_pha_x:"), encoding="utf-8")
    args = ["policy", "compile", "--target", "trino", "--tables", str(shapes), str(demo_dir), str(tmp_path / "o")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "projects/psy-cohort.yaml: grants[0] (omop.person): columns names location_id, which the table does not have "
        "(its columns: person_id, gender_concept_id, year_of_birth, month_of_birth, day_of_birth, birth_datetime, "
        "race_concept_id, ethnicity_concept_id, provider_id, care_site_id, person_source_value, gender_source_value, "
        "gender_source_concept_id, race_source_value, race_source_concept_id, ethnicity_source_value, "
        "ethnicity_source_concept_id)",
        "projects/psy-cohort.yaml: grants[0] (omop.person): masks names location_id, which the table does not have "
        "(its columns: person_id, gender_concept_id, year_of_birth, month_of_birth, day_of_birth, birth_datetime, "
        "race_concept_id, ethnicity_concept_id, provider_id, care_site_id, person_source_value, gender_source_value, "
        "gender_source_concept_id, race_source_value, race_source_concept_id, ethnicity_source_value, "
        "ethnicity_source_concept_id)",
        "projects/snds-cardio.yaml: grants[2] (snds.er_pha_f): the warehouse has no table snds.er_pha_f",
        "the grants do not fit the warehouse's tables; nothing was written.",
    ]
    assert not (tmp_path / "o").exists()


# -- the compiled rules, checked with the simulator ----------------------------------------


@pytest.fixture
def control(demo: Policy) -> AccessControl:
    return AccessControl(parse_rules(compile_trino_rules(demo, TODAY)))


def views_of(policy: Policy, project_id: str) -> list[tuple[str, str, str]]:
    project = policy.projects[project_id]
    return [("projects", project_schema(project.id), view_name(g.table)) for g in project.grants]


@pytest.mark.parametrize(
    ("user", "project", "other"),
    [
        ("alice", "psy-cohort", "snds-cardio"),
        ("bob", "snds-cardio", "psy-cohort"),
        ("chloe", "psy-cohort", "snds-cardio"),
    ],
)
def test_a_project_principal_reads_its_views_and_nothing_else(
    demo: Policy, control: AccessControl, user: str, project: str, other: str
) -> None:
    who = Identity(project_principal(user, project))
    for view in views_of(demo, project):
        assert control.can_select_columns(who, *view, ["person_id"])
        assert not control.has_table_privilege(who, *view, "INSERT")
        assert not control.has_table_privilege(who, *view, "DELETE")
        assert not control.has_table_privilege(who, *view, "UPDATE")
        assert not control.has_table_privilege(who, *view, "OWNERSHIP")  # no DROP, no SHOW CREATE VIEW
        assert control.row_filters(who, *view) == []  # the view applies the row filter itself
    for view in views_of(demo, other):
        assert not control.can_select_columns(who, *view, [])
    for grant in (g for p in demo.projects.values() for g in p.grants):
        schema, table = grant.table.split(".")
        assert not control.can_select_columns(who, "warehouse", schema, table, [])
        assert not control.can_select_columns(who, "warehouse", "bulle_pseudonyms", project_schema(project), [])
    assert not control.is_schema_owner(who, "projects", project_schema(project))
    assert not control.can_access_catalog(who, "warehouse")
    assert not control.can_access_catalog(who, "system")
    assert not control.can_set_system_property(who, "query_max_run_time")
    assert not control.can_impersonate(who, "bulle")
    assert control.can_access_query(who, None, "execute")
    assert not control.can_access_query(who, "bulle", "view")


def test_a_principal_of_another_project_of_the_same_user_sees_only_that_project(
    demo: Policy, control: AccessControl
) -> None:
    chloe_in_snds = Identity(project_principal("chloe", "snds-cardio"))
    assert all(control.can_select_columns(chloe_in_snds, *v, []) for v in views_of(demo, "snds-cardio"))
    assert not any(control.can_select_columns(chloe_in_snds, *v, []) for v in views_of(demo, "psy-cohort"))
    plain_chloe = Identity("chloe")
    assert not any(control.can_select_columns(plain_chloe, *v, []) for v in views_of(demo, "psy-cohort"))


def test_a_member_of_an_expired_project_reads_nothing(demo: Policy) -> None:
    later = AccessControl(parse_rules(compile_trino_rules(demo, demo.projects["psy-cohort"].valid_until)))
    after = AccessControl(
        parse_rules(compile_trino_rules(demo, demo.projects["psy-cohort"].valid_until + dt.timedelta(days=1)))
    )
    alice = Identity(project_principal("alice", "psy-cohort"))
    view = views_of(demo, "psy-cohort")[0]
    assert later.can_select_columns(alice, *view, [])
    assert not after.can_select_columns(alice, *view, [])
    assert not after.can_access_catalog(alice, "projects")


def test_the_service_principal_can_build_definer_views(demo: Policy, control: AccessControl) -> None:
    bulle = Identity("bulle")
    assert control.is_schema_owner(bulle, "projects", "psy_cohort")
    assert control.has_table_privilege(bulle, "projects", "psy_cohort", "omop_person", "OWNERSHIP")
    assert control.has_table_privilege(bulle, "warehouse", "omop", "person", "GRANT_SELECT")
    assert not control.has_table_privilege(bulle, "warehouse", "omop", "person", "INSERT")
    stranger = Identity("mallory")
    assert not control.can_select_columns(stranger, "projects", "psy_cohort", "omop_person", [])
    assert not control.can_select_columns(stranger, "warehouse", "omop", "person", [])


def test_compiled_rules_pass_their_own_verification(demo: Policy) -> None:
    for day in (TODAY, dt.date(2030, 1, 1)):
        assert verify_rules(demo, compile_trino_rules(demo, day), day) == []


def test_verification_catches_rules_that_leak(demo: Policy) -> None:
    rules = compile_trino_rules(demo, TODAY)
    leaky = {**rules, "tables": [{"user": ".*@psy-cohort", "privileges": ["SELECT", "INSERT"]}, *rules["tables"]]}
    leaky["catalogs"] = [{"allow": "all"}]
    problems = verify_rules(demo, leaky, TODAY)
    assert "alice@psy-cohort has INSERT on projects.psy_cohort.omop_person" in problems
    assert "alice@psy-cohort can read warehouse.omop.person" in problems
    assert "alice@psy-cohort can read projects.snds_cardio.snds_ir_ben_r" in problems
    assert "chloe@psy-cohort can read warehouse.bulle_pseudonyms.psy_cohort" in problems
    assert not any(p.startswith("bob@") for p in problems)
