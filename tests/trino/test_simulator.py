"""The simulator against Trino's documented examples and semantics.

Each table lists (identity, check arguments) → expected decision, with ids;
every denial has an allowed neighbour that differs in one thing. The rules
files are the examples of Trino's "File-based access control" page in
``../shared/data/trino-access-control-examples`` plus the page's other
examples, written inline. Denial messages are pinned where Trino's tests pin
them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bulle.trino import AccessControl, Identity, Principal, RulesInvalid, parse_rules
from bulle.trino.checks import CHECKS, CheckArgs, run_check
from bulle.trino.simulator import ViewExpression

EXAMPLES = "trino-access-control-examples"


def control(rules: dict[str, Any]) -> AccessControl:
    return AccessControl(parse_rules(rules))


@pytest.fixture(scope="module")
def example(shared_data: Path) -> Any:
    def load(name: str) -> AccessControl:
        return control(json.loads((shared_data / EXAMPLES / name).read_text(encoding="utf-8")))

    return load


def decide(ac: AccessControl, check: str, who: Identity, **args: Any) -> str:
    result = run_check(ac, check, who, CheckArgs(**args))
    return "allow" if result.allowed else "deny"


def user(name: str, groups: tuple[str, ...] = (), roles: tuple[str, ...] = ()) -> Identity:
    return Identity(name, frozenset(groups), frozenset(roles))


# -- catalog_rules.json ---------------------------------------------------------

CATALOG_CASES = [
    ("admin-mysql", user("admin"), "mysql", "all"),
    ("admin-system", user("admin"), "system", "all"),
    ("not-admin-mysql", user("bob"), "mysql", "none"),
    ("finance-postgres", user("x", groups=("finance",)), "postgres", "all"),
    ("human-resources-postgres", user("x", groups=("human_resources",)), "postgres", "all"),
    ("other-group-postgres", user("x", groups=("sales",)), "postgres", "none"),
    ("group-must-match-whole-name", user("x", groups=("finance2",)), "postgres", "none"),
    ("anyone-hive", user("nobody"), "hive", "all"),
    ("alice-postgresql-read-only", user("alice"), "postgresql", "read-only"),
    ("bob-postgresql", user("bob"), "postgresql", "none"),
    ("system-denied-by-rule-before-trino-default", user("bob"), "system", "none"),
    ("unlisted-catalog", user("admin"), "iceberg", "none"),
]


@pytest.mark.parametrize(("who", "catalog", "mode"), [c[1:] for c in CATALOG_CASES], ids=[c[0] for c in CATALOG_CASES])
def test_catalog_rules_example(example: Any, who: Identity, catalog: str, mode: str) -> None:
    ac = example("catalog_rules.json")
    assert ac.catalog_access(who, catalog) == mode
    assert decide(ac, "accessCatalog", who, catalog=catalog) == ("deny" if mode == "none" else "allow")


def test_read_only_catalog_allows_select_and_denies_writes(example: Any) -> None:
    ac = example("catalog_rules.json")
    alice = user("alice")
    table = {"catalog": "postgresql", "schema": "s", "table": "t"}
    assert decide(ac, "selectFromColumns", alice, **table, columns=("a",)) == "allow"
    assert decide(ac, "insertIntoTable", alice, **table) == "deny"
    assert decide(ac, "insertIntoTable", user("x", groups=("finance",)), **{**table, "catalog": "postgres"}) == "allow"
    result = run_check(ac, "insertIntoTable", alice, CheckArgs(**table))
    assert result.message == "Access Denied: Cannot insert into table postgresql.s.t"


# -- schema_rules.json ------------------------------------------------------------

SCHEMA_CASES = [
    ("admin-owns-any", user("admin"), "hive", "anything", "allow"),
    ("guest-owns-none", user("guest"), "default", "default", "deny"),
    ("anyone-owns-default-default", user("bob"), "default", "default", "allow"),
    ("not-another-schema", user("bob"), "default", "other", "deny"),
    ("not-another-catalog", user("bob"), "hive", "default", "deny"),
]


@pytest.mark.parametrize(
    ("who", "catalog", "schema", "expected"), [c[1:] for c in SCHEMA_CASES], ids=[c[0] for c in SCHEMA_CASES]
)
def test_schema_rules_example(example: Any, who: Identity, catalog: str, schema: str, expected: str) -> None:
    ac = example("schema_rules.json")
    for check in ("createSchema", "dropSchema", "showCreateSchema"):
        assert decide(ac, check, who, catalog=catalog, schema=schema) == expected


def test_schema_rename_needs_ownership_of_both_names(example: Any) -> None:
    ac = example("schema_rules.json")
    assert decide(ac, "renameSchema", user("admin"), catalog="default", schema="default", new_schema="x") == "allow"
    assert decide(ac, "renameSchema", user("bob"), catalog="default", schema="default", new_schema="x") == "deny"
    assert decide(ac, "renameSchema", user("bob"), catalog="default", schema="default", new_schema="default") == "allow"
    denied = run_check(ac, "renameSchema", user("bob"), CheckArgs(catalog="default", schema="default", new_schema="x"))
    assert denied.message == "Access Denied: Cannot rename schema from default.default to x"


def test_schema_privileges_follow_ownership(example: Any) -> None:
    ac = example("schema_rules.json")
    grantee = Principal("USER", "alice")
    for check in ("grantSchemaPrivilege", "denySchemaPrivilege", "revokeSchemaPrivilege"):
        args = {"catalog": "default", "schema": "default", "privilege": "SELECT", "grantee": grantee}
        assert decide(ac, check, user("bob"), **args) == "allow"
        assert decide(ac, check, user("guest"), **args) == "deny"
    denied = run_check(
        ac,
        "grantSchemaPrivilege",
        user("guest"),
        CheckArgs(catalog="c", schema="s", privilege="UPDATE", grantee=grantee),
    )
    assert denied.message == "Access Denied: Cannot grant privilege UPDATE on schema c.s"


# -- table_rules.json --------------------------------------------------------------

TABLE_CASES = [
    ("admin-insert", user("admin"), "insertIntoTable", {}, "allow"),
    ("admin-drop", user("admin"), "dropTable", {}, "allow"),
    ("admin-update-not-granted", user("admin"), "updateTableColumns", {}, "deny"),
    ("banned-select", user("banned_user"), "selectFromColumns", {}, "deny"),
    ("other-select", user("bob"), "selectFromColumns", {}, "allow"),
    ("other-select-blocked-column", user("bob"), "selectFromColumns", {"columns": ("address",)}, "deny"),
    ("other-select-masked-column", user("bob"), "selectFromColumns", {"columns": ("SSN",)}, "allow"),
    ("other-insert", user("bob"), "insertIntoTable", {}, "deny"),
    ("other-drop", user("bob"), "dropTable", {}, "deny"),
    ("other-show-columns", user("bob"), "showColumns", {}, "allow"),
    ("banned-show-columns", user("banned_user"), "showColumns", {}, "deny"),
    ("other-show-create-table", user("bob"), "showCreateTable", {}, "deny"),
    ("admin-show-create-table", user("admin"), "showCreateTable", {}, "allow"),
    ("other-view-with-select", user("bob"), "createViewWithSelectFromColumns", {}, "deny"),
]


@pytest.mark.parametrize(
    ("who", "check", "extra", "expected"), [c[1:] for c in TABLE_CASES], ids=[c[0] for c in TABLE_CASES]
)
def test_table_rules_example(example: Any, who: Identity, check: str, extra: dict[str, Any], expected: str) -> None:
    ac = example("table_rules.json")
    assert decide(ac, check, who, catalog="default", schema="default", table="anything", **extra) == expected


def test_filter_columns_hides_blocked_columns_for_select_only_users(example: Any) -> None:
    ac = example("table_rules.json")
    args = CheckArgs(catalog="default", schema="default", table="t", columns=("a", "address", "SSN"))
    assert run_check(ac, "filterColumns", user("bob"), args) == ["a", "SSN"]
    assert run_check(ac, "filterColumns", user("admin"), args) == ["a", "address", "SSN"]  # more than SELECT: all
    assert run_check(ac, "filterColumns", user("banned_user"), args) == []


def test_mask_and_filter_with_their_environments(example: Any) -> None:
    ac = example("table_rules.json")
    mask = run_check(
        ac, "getColumnMask", user("bob"), CheckArgs(catalog="default", schema="default", table="t", column="SSN")
    )
    assert mask == ViewExpression("'XXX-XX-' + substring(credit_card, -4)", "default", "default", "admin")
    unmasked = CheckArgs(catalog="default", schema="default", table="t", column="name")
    assert run_check(ac, "getColumnMask", user("bob"), unmasked) is None
    # The first matching rule decides, even when a later rule would mask: admin sees SSN.
    masked_for_admin = CheckArgs(catalog="default", schema="default", table="t", column="SSN")
    assert run_check(ac, "getColumnMask", user("admin"), masked_for_admin) is None
    filters = run_check(ac, "getRowFilters", user("bob"), CheckArgs(catalog="default", schema="hr", table="employee"))
    assert filters == [ViewExpression("user = current_user", "default", "hr", "admin")]
    assert (
        run_check(ac, "getRowFilters", user("admin"), CheckArgs(catalog="default", schema="hr", table="employee")) == []
    )
    assert run_check(ac, "getRowFilters", user("bob"), CheckArgs(catalog="default", schema="hr", table="other")) == []


def test_information_schema_is_outside_the_table_rules(example: Any) -> None:
    ac = control({"catalogs": [{"catalog": "c", "allow": "read-only"}], "tables": []})
    assert decide(ac, "selectFromColumns", user("bob"), catalog="c", schema="information_schema", table="t") == "allow"
    assert decide(ac, "selectFromColumns", user("bob"), catalog="c", schema="s", table="t") == "deny"
    assert decide(ac, "selectFromColumns", user("bob"), catalog="d", schema="information_schema", table="t") == "deny"


# -- session-property-access.json ----------------------------------------------------

SESSION_CASES = [
    (
        "admin-role-any-system",
        "setSystemSessionProperty",
        user("x", roles=("admin",)),
        {"session_property": "x"},
        "allow",
    ),
    (
        "banned-system",
        "setSystemSessionProperty",
        user("banned_user"),
        {"session_property": "resource_overcommit"},
        "deny",
    ),
    (
        "anyone-overcommit",
        "setSystemSessionProperty",
        user("bob"),
        {"session_property": "resource_overcommit"},
        "allow",
    ),
    ("anyone-other-system", "setSystemSessionProperty", user("bob"), {"session_property": "query_max_memory"}, "deny"),
    (
        "anyone-hive-bucket",
        "setCatalogSessionProperty",
        user("bob"),
        {"catalog": "hive", "session_property": "bucket_execution_enabled"},
        "allow",
    ),
    (
        "anyone-other-catalog-bucket",
        "setCatalogSessionProperty",
        user("bob"),
        {"catalog": "iceberg", "session_property": "bucket_execution_enabled"},
        "deny",
    ),
    (
        "banned-hive-bucket",
        "setCatalogSessionProperty",
        user("banned_user"),
        {"catalog": "hive", "session_property": "bucket_execution_enabled"},
        "deny",
    ),
]


@pytest.mark.parametrize(
    ("check", "who", "args", "expected"), [c[1:] for c in SESSION_CASES], ids=[c[0] for c in SESSION_CASES]
)
def test_session_property_example(example: Any, check: str, who: Identity, args: dict[str, Any], expected: str) -> None:
    assert decide(example("session-property-access.json"), check, who, **args) == expected


def test_session_property_denial_message(example: Any) -> None:
    denied = run_check(
        example("session-property-access.json"),
        "setSystemSessionProperty",
        user("banned_user"),
        CheckArgs(session_property="x"),
    )
    assert denied.message == "Access Denied: Cannot set system session property x"


# -- absent and empty sections (Trino's testEmptyFile) ------------------------------------


def test_empty_file_allows_data_access_but_not_authorization_or_system_information() -> None:
    ac = control({})
    who = user("some-unknown-user-id")
    table = {"catalog": "some-catalog", "schema": "unknown", "table": "unknown"}
    for check in ("createSchema", "dropSchema", "showCreateSchema"):
        assert decide(ac, check, who, catalog="some-catalog", schema="unknown") == "allow"
    for check in ("selectFromColumns", "showColumns", "insertIntoTable", "deleteFromTable", "truncateTable"):
        assert decide(ac, check, who, **table) == "allow"
    for check in ("createTable", "dropTable", "createMaterializedView", "refreshMaterializedView"):
        assert decide(ac, check, who, **table) == "allow"
    assert decide(ac, "renameTable", who, **table, new_table="new_unknown") == "allow"
    assert decide(ac, "setSystemSessionProperty", who, session_property="anything") == "allow"
    assert decide(ac, "setCatalogSessionProperty", who, catalog="unknown", session_property="anything") == "allow"
    assert decide(ac, "executeQuery", who) == "allow"
    assert decide(ac, "viewQueryOwnedBy", who, query_owner="anyone") == "allow"
    assert decide(ac, "setUser", who, principal="stuff@example.com") == "allow"
    role = Principal("ROLE", "some_role")
    denied = run_check(
        ac, "setSchemaAuthorization", who, CheckArgs(catalog="some-catalog", schema="unknown", grantee=role)
    )
    assert denied.message == "Access Denied: Cannot set authorization for schema some-catalog.unknown to ROLE some_role"
    denied = run_check(ac, "setTableAuthorization", who, CheckArgs(**table, grantee=role))
    assert (
        denied.message
        == "Access Denied: Cannot set authorization for table some-catalog.unknown.unknown to ROLE some_role"
    )
    assert decide(ac, "setViewAuthorization", who, **table, grantee=role) == "deny"
    assert (
        run_check(ac, "readSystemInformation", who, CheckArgs()).message
        == "Access Denied: Cannot read system information"
    )
    assert decide(ac, "writeSystemInformation", who) == "deny"
    assert decide(ac, "impersonateUser", who, new_user="bob") == "deny"


@pytest.mark.parametrize(
    ("section", "check", "args"),
    [
        ("schemas", "createSchema", {"catalog": "c", "schema": "s"}),
        ("tables", "selectFromColumns", {"catalog": "c", "schema": "s", "table": "t"}),
        ("system_session_properties", "setSystemSessionProperty", {"session_property": "p"}),
        ("catalog_session_properties", "setCatalogSessionProperty", {"catalog": "c", "session_property": "p"}),
        ("queries", "executeQuery", {}),
        ("catalogs", "accessCatalog", {"catalog": "c"}),
        ("functions", "executeFunction", {"catalog": "c", "schema": "s", "function": "f"}),
        ("procedures", "executeProcedure", {"catalog": "c", "schema": "s", "procedure": "p"}),
    ],
)
def test_an_empty_section_denies_what_its_absence_allows(section: str, check: str, args: dict[str, Any]) -> None:
    allow_everything = {"catalogs": [{"allow": "all"}]}
    absent = control(allow_everything if section != "catalogs" else {})
    if section in ("functions", "procedures"):
        # Absent, only system.builtin routines run; a rule is needed for others.
        kind = section[:-1]
        absent = control({**allow_everything, section: [{"catalog": "c", kind: ".*", "privileges": ["EXECUTE"]}]})
    empty = control({**(allow_everything if section != "catalogs" else {}), section: []})
    assert decide(absent, check, user("bob"), **args) == "allow"
    assert decide(empty, check, user("bob"), **args) == "deny"


# -- matching: first rule wins, whole-name regexes, groups and roles ---------------------


def test_first_matching_rule_wins_even_when_a_later_one_allows() -> None:
    ac = control(
        {
            "tables": [
                {"user": "bob", "table": "secret", "privileges": []},
                {"user": "bob", "privileges": ["SELECT"]},
            ]
        }
    )
    assert decide(ac, "selectFromColumns", user("bob"), catalog="c", schema="s", table="secret") == "deny"
    assert decide(ac, "selectFromColumns", user("bob"), catalog="c", schema="s", table="public") == "allow"


def test_patterns_match_whole_names() -> None:
    ac = control({"catalogs": [{"user": "bob", "catalog": "hive", "allow": "all"}]})
    assert decide(ac, "accessCatalog", user("bob"), catalog="hive") == "allow"
    assert decide(ac, "accessCatalog", user("bob"), catalog="hive2") == "deny"
    assert decide(ac, "accessCatalog", user("bobby"), catalog="hive") == "deny"


def test_role_and_group_patterns_match_any_enabled_role_or_group() -> None:
    ac = control({"catalogs": [{"role": "admin", "group": "ops|dba", "allow": "all"}]})
    assert decide(ac, "accessCatalog", user("x", ("dba", "staff"), ("reader", "admin")), catalog="c") == "allow"
    assert decide(ac, "accessCatalog", user("x", ("staff",), ("admin",)), catalog="c") == "deny"
    assert decide(ac, "accessCatalog", user("x", ("ops",), ()), catalog="c") == "deny"


def test_boolean_catalog_access_is_legacy_all_and_none() -> None:
    ac = control({"catalogs": [{"catalog": "a", "allow": True}, {"catalog": "b", "allow": False}]})
    assert ac.catalog_access(user("x"), "a") == "all"
    assert ac.catalog_access(user("x"), "b") == "none"


def test_trino_adds_system_catalog_access_after_the_file_rules() -> None:
    ac = control({"catalogs": [{"catalog": "hive", "allow": "all"}]})
    assert decide(ac, "accessCatalog", user("x"), catalog="system") == "allow"
    ac = control({"catalogs": [{"catalog": "system", "allow": "none"}]})
    assert decide(ac, "accessCatalog", user("x"), catalog="system") == "deny"


def test_table_writes_need_catalog_all() -> None:
    ac = control({"catalogs": [{"catalog": "ro", "allow": "read-only"}, {"allow": "all"}]})
    for catalog, expected in (("ro", "deny"), ("rw", "allow")):
        assert decide(ac, "insertIntoTable", user("x"), catalog=catalog, schema="s", table="t") == expected
        assert decide(ac, "selectFromColumns", user("x"), catalog=catalog, schema="s", table="t") == "allow"


# -- visibility --------------------------------------------------------------------------

VISIBILITY = {
    "catalogs": [{"catalog": "(c|d|e)", "allow": "read-only"}],
    "schemas": [{"user": "bob", "catalog": "c", "schema": "bobs", "owner": True}],
    "tables": [
        {"user": "alice", "catalog": "c", "schema": "s1", "table": "t1", "privileges": ["SELECT"]},
        {"user": "alice", "catalog": "c", "schema": "s2", "privileges": []},
    ],
    "catalog_session_properties": [{"user": "carol", "catalog": "d", "allow": True}],
    "functions": [{"user": "dave", "catalog": "e", "schema": "f", "privileges": ["EXECUTE"]}],
}


def test_catalogs_are_visible_with_any_permission_inside() -> None:
    ac = control(VISIBILITY)
    args = CheckArgs(catalogs=("c", "d", "e", "x"))
    assert run_check(ac, "filterCatalogs", user("alice"), args) == ["c"]
    assert run_check(ac, "filterCatalogs", user("carol"), args) == ["d"]
    assert run_check(ac, "filterCatalogs", user("dave"), args) == ["e"]
    assert run_check(ac, "filterCatalogs", user("nobody"), args) == []
    assert decide(ac, "showSchemas", user("alice"), catalog="c") == "allow"
    assert decide(ac, "showSchemas", user("alice"), catalog="d") == "deny"


def test_schemas_and_tables_are_visible_with_a_permission_on_them() -> None:
    ac = control(VISIBILITY)
    schemas = CheckArgs(catalog="c", schemas=("s1", "s2", "bobs"))
    assert run_check(ac, "filterSchemas", user("alice"), schemas) == ["s1"]
    # An owner rule makes the schema visible, even where read-only access makes the ownership moot.
    assert run_check(ac, "filterSchemas", user("bob"), schemas) == ["bobs"]
    tables = CheckArgs(catalog="c", tables=(("s1", "t1"), ("s1", "t2"), ("s2", "t1")))
    assert run_check(ac, "filterTables", user("alice"), tables) == ["s1.t1"]
    assert decide(ac, "showTables", user("alice"), catalog="c", schema="s1") == "allow"
    assert decide(ac, "showTables", user("alice"), catalog="c", schema="s2") == "deny"


# -- functions and procedures ------------------------------------------------------------

FUNCTIONS_EXAMPLE = {
    "functions": [
        {"user": "admin", "schema": "system", "function": "query", "privileges": ["EXECUTE"]},
        {"catalog": "hive", "schema": "function", "privileges": ["EXECUTE", "GRANT_EXECUTE", "OWNERSHIP"]},
    ]
}


def test_function_rules_example() -> None:
    ac = control(FUNCTIONS_EXAMPLE)
    query = {"catalog": "postgres", "schema": "system", "function": "query"}
    assert decide(ac, "executeFunction", user("admin"), **query) == "allow"
    assert decide(ac, "executeFunction", user("bob"), **query) == "deny"
    assert decide(ac, "createViewWithExecuteFunction", user("admin"), **query) == "deny"
    hive = {"catalog": "hive", "schema": "function", "function": "f"}
    for check in ("executeFunction", "createViewWithExecuteFunction", "createFunction", "dropFunction"):
        assert decide(ac, check, user("bob"), **hive) == "allow"
    assert decide(ac, "createFunction", user("bob"), **{**hive, "schema": "other"}) == "deny"
    assert decide(ac, "executeFunction", user("bob"), catalog="system", schema="builtin", function="abs") == "allow"


def test_builtin_functions_cannot_be_taken_away() -> None:
    ac = control({"catalogs": [{"catalog": "system", "allow": "none"}], "functions": []})
    assert decide(ac, "executeFunction", user("x"), catalog="system", schema="builtin", function="abs") == "allow"
    assert decide(ac, "executeFunction", user("x"), catalog="system", schema="other", function="abs") == "deny"


PROCEDURES_EXAMPLE = {
    "procedures": [
        {
            "user": "admin",
            "catalog": "delta",
            "schema": "system",
            "procedure": "register_table|unregister_table",
            "privileges": ["EXECUTE", "GRANT_EXECUTE"],
        },
        {"catalog": "delta", "schema": "system", "procedure": "vacuum", "privileges": ["EXECUTE"]},
    ]
}


def test_procedure_rules_example() -> None:
    ac = control(PROCEDURES_EXAMPLE)
    register = {"catalog": "delta", "schema": "system", "procedure": "register_table"}
    assert decide(ac, "executeProcedure", user("admin"), **register) == "allow"
    assert decide(ac, "executeProcedure", user("bob"), **register) == "deny"
    assert decide(ac, "executeProcedure", user("bob"), catalog="delta", schema="system", procedure="vacuum") == "allow"
    denied = run_check(ac, "executeProcedure", user("bob"), CheckArgs(**register))
    assert denied.message == "Access Denied: Cannot execute procedure delta.system.register_table"


# -- queries, impersonation, principals, system information, authorization ---------------

QUERIES_EXAMPLE = {
    "queries": [
        {"user": "admin", "allow": ["execute", "kill", "view"]},
        {"user": "alice", "allow": ["execute", "kill"]},
        {"group": "contractors", "queryOwner": "alice|dave", "allow": ["view"]},
        {"allow": ["execute"]},
    ]
}


def test_query_rules_example() -> None:
    ac = control(QUERIES_EXAMPLE)
    assert decide(ac, "viewQueryOwnedBy", user("admin"), query_owner="bob") == "allow"
    assert decide(ac, "viewQueryOwnedBy", user("alice"), query_owner="bob") == "deny"
    assert decide(ac, "killQueryOwnedBy", user("alice"), query_owner="bob") == "allow"
    assert decide(ac, "viewQueryOwnedBy", user("x", ("contractors",)), query_owner="dave") == "allow"
    assert decide(ac, "viewQueryOwnedBy", user("x", ("contractors",)), query_owner="bob") == "deny"
    assert decide(ac, "executeQuery", user("anyone")) == "allow"
    # Users always view and kill their own queries.
    assert decide(ac, "killQueryOwnedBy", user("bob"), query_owner="bob") == "allow"
    owners = CheckArgs(query_owners=("alice", "bob", "dave"))
    assert run_check(ac, "filterViewQueryOwnedBy", user("x", ("contractors",)), owners) == ["alice", "dave"]


def test_a_query_owner_rule_cannot_allow_execute() -> None:
    with pytest.raises(RulesInvalid, match=r"queries\[0\]: a rule with queryOwner cannot allow execute"):
        parse_rules({"queries": [{"queryOwner": "x", "allow": ["execute"]}]})


IMPERSONATION_EXAMPLE = {
    "impersonation": [
        {"original_role": "admin", "new_user": "bob", "allow": False},
        {"original_role": "admin", "new_user": ".*"},
        {"original_user": ".*", "new_user": "test"},
        {"original_user": "team_(.*)", "new_user": "team_$1_sandbox", "allow": True},
    ]
}


def test_impersonation_example() -> None:
    ac = control(IMPERSONATION_EXAMPLE)
    admin = user("alberto", roles=("admin",))
    assert decide(ac, "impersonateUser", admin, new_user="charlie") == "allow"
    assert decide(ac, "impersonateUser", admin, new_user="bob") == "deny"
    assert decide(ac, "impersonateUser", user("bob"), new_user="test") == "allow"
    assert decide(ac, "impersonateUser", user("team_backend"), new_user="team_backend_sandbox") == "allow"
    assert decide(ac, "impersonateUser", user("team_backend"), new_user="team_frontend_sandbox") == "deny"
    denied = run_check(ac, "impersonateUser", user("bob"), CheckArgs(new_user="alice"))
    assert denied.message == "Access Denied: User bob cannot impersonate user alice"


def test_principal_rules_map_principals_to_users() -> None:
    ac = control(
        {
            "principals": [
                {"principal": "([^/]+)/?.*@example.net", "principal_to_user": "$1", "allow": True},
                {"principal": "group@example.net", "user": "alice|bob", "allow": True},
            ]
        }
    )
    assert decide(ac, "setUser", user("alice"), principal="alice/host@example.net") == "allow"
    assert decide(ac, "setUser", user("alice"), principal="mallory/host@example.net") == "deny"
    assert decide(ac, "setUser", user("bob"), principal="group@example.net") == "allow"
    assert decide(ac, "setUser", user("carol"), principal="group@example.net") == "deny"
    assert decide(ac, "setUser", user("alice")) == "deny"  # no principal at all
    # With principal rules and no impersonation rules, impersonation is left to them.
    assert decide(ac, "impersonateUser", user("alice"), new_user="bob") == "allow"


def test_system_information_example() -> None:
    ac = control(
        {"system_information": [{"role": "admin", "allow": ["read", "write"]}, {"user": "alice", "allow": ["read"]}]}
    )
    assert decide(ac, "writeSystemInformation", user("x", roles=("admin",))) == "allow"
    assert decide(ac, "readSystemInformation", user("alice")) == "allow"
    assert decide(ac, "writeSystemInformation", user("alice")) == "deny"
    assert decide(ac, "readSystemInformation", user("bob")) == "deny"


def test_authorization_example() -> None:
    ac = control(
        {
            "authorization": [
                {"original_role": "admin", "new_user": "bob", "allow": False},
                {"original_role": "admin", "new_user": ".*", "new_role": ".*"},
            ],
            "schemas": [{"role": "admin", "owner": True}],
            "tables": [{"role": "admin", "privileges": ["OWNERSHIP"]}],
        }
    )
    admin = user("x", roles=("admin",))
    schema = {"catalog": "c", "schema": "s"}
    assert decide(ac, "setSchemaAuthorization", admin, **schema, grantee=Principal("USER", "alice")) == "allow"
    assert decide(ac, "setSchemaAuthorization", admin, **schema, grantee=Principal("USER", "bob")) == "deny"
    assert decide(ac, "setTableAuthorization", admin, **schema, table="t", grantee=Principal("ROLE", "r")) == "allow"
    assert decide(ac, "setTableAuthorization", user("y"), **schema, table="t", grantee=Principal("ROLE", "r")) == "deny"


# -- the rules file is parsed as strictly as Trino does ----------------------------------


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"table": []}, "unknown section 'table'"),
        ({"tables": [{"privileges": ["SELECT"], "colums": []}]}, r"tables\[0\]: unknown key 'colums'"),
        ({"tables": [{"user": "x"}]}, r"tables\[0\]: privileges is required"),
        ({"tables": [{"privileges": ["READ"]}]}, r"tables\[0\]: 'READ' is not one of"),
        ({"catalogs": [{"allow": "write"}]}, r"catalogs\[0\]: allow must be all, read-only, none"),
        ({"catalogs": [{"catalog": "(", "allow": "all"}]}, r"catalogs\[0\]: '\(' is not a regular expression"),
        ({"authorization": [{"original_user": "x"}]}, "needs new_user or new_role"),
        ({"principals": [{"principal": "x", "allow": True}]}, "needs user or principal_to_user"),
        ([], "a rules file is a JSON object"),
    ],
)
def test_invalid_rules_are_refused(rules: Any, message: str) -> None:
    with pytest.raises(RulesInvalid, match=message):
        parse_rules(rules)


def test_every_check_has_an_answer_on_an_empty_and_a_deny_all_file() -> None:
    deny_all = {section: [] for section in ("catalogs", "schemas", "tables", "queries", "impersonation")}
    full = CheckArgs(
        catalog="c",
        schema="s",
        table="t",
        columns=("a",),
        column="a",
        session_property="p",
        new_schema="s2",
        new_table="t2",
        privilege="SELECT",
        grantee=Principal("USER", "u"),
        catalogs=("c",),
        schemas=("s",),
        tables=(("s", "t"),),
        new_user="u",
        query_owner="o",
        query_owners=("o",),
        function="f",
        functions=(("s", "f"),),
        procedure="p",
    )
    for rules in ({}, deny_all):
        ac = control(rules)
        for name in CHECKS:
            run_check(ac, name, user("bob"), full)
