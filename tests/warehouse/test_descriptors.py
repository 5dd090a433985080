"""Source descriptors in the policy: valid ones load, each refusal points at file:line: key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from warehouse_helpers import write_policy

from bulle.cli import main
from bulle.policies import PolicyInvalid, SourceKind, load_policy
from bulle.policies.identifiers import column_words, why_identifying

DESCRIPTORS = Path(__file__).parent / "descriptors"
HAPPY = sorted(DESCRIPTORS.glob("*.happy.yaml"))
ERRORS = sorted(DESCRIPTORS.glob("*.error.*.yaml"))


def place(policy: Path, fixture: Path) -> Path:
    """Write the fixture into ``policy/sources/``, at its ``# path:`` or at ``<name>.yaml``."""
    text = fixture.read_text(encoding="utf-8")
    found = re.search(r"^# path: (\S+)$", text, re.MULTILINE)
    name = re.search(r"^name: (\S+)$", text, re.MULTILINE)
    assert name is not None
    relative = found.group(1) if found else f"sources/{name.group(1)}.yaml"
    write_policy(policy, {})
    (policy / relative).write_text(text, encoding="utf-8")
    return policy


@pytest.mark.parametrize("fixture", HAPPY, ids=lambda p: p.name)
def test_valid_descriptor_loads(tmp_path: Path, fixture: Path) -> None:
    policy = load_policy(place(tmp_path, fixture))
    [source] = policy.sources.values()
    assert source.kind in SourceKind


@pytest.mark.parametrize("fixture", ERRORS, ids=lambda p: p.name)
def test_invalid_descriptor_is_refused_with_its_location(tmp_path: Path, fixture: Path) -> None:
    expected = re.search(r"^# expect: (.+)$", fixture.read_text(encoding="utf-8"), re.MULTILINE)
    assert expected is not None, "an error fixture says what it expects"
    with pytest.raises(PolicyInvalid) as info:
        load_policy(place(tmp_path, fixture))
    messages = [str(error) for error in info.value.errors]
    assert any(m.startswith(expected.group(1)) for m in messages), messages


def test_policy_validate_reports_descriptor_errors_and_exits_2(tmp_path: Path) -> None:
    place(tmp_path, DESCRIPTORS / "csv-name-column.error.untreated-identifier.yaml")
    result = CliRunner().invoke(main, ["policy", "validate", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path}/sources/survey.yaml:11: tables[0].columns.nom_naissance:" in result.output


def test_declared_defaults_follow_the_kind(tmp_path: Path) -> None:
    policy = load_policy(place(tmp_path, DESCRIPTORS / "omop.happy.yaml"))
    source = policy.sources["ehr"]
    assert (source.schema_dictionary, source.csv_delimiter, source.csv_encoding) == ("omop-cdm-5.4", ",", "utf-8")
    assert source.budget_for(1000) == 5


@pytest.mark.parametrize(
    ("kind", "column", "identifying"),
    [
        ("csv", "nom_naissance", True),
        ("csv", "PatientName", True),
        ("csv", "phone_number", True),
        ("csv", "named_entity_count", False),
        ("csv", "score", False),
        ("snds", "BEN_NIR_PSA", True),
        ("snds", "BEN_SEX_COD", False),
        ("omop", "person_source_value", True),
    ],
)
def test_which_columns_are_direct_identifiers(kind: str, column: str, identifying: bool) -> None:
    assert (why_identifying(kind, column) is not None) is identifying


def test_column_words_split_snake_and_camel_case() -> None:
    assert column_words("BEN_NIR_PSA") == ("ben", "nir", "psa")
    assert column_words("PatientName") == ("patient", "name")


def test_policies_import_nothing_else_from_bulle() -> None:
    root = Path(__file__).resolve().parents[2] / "policies"
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) bulle", text, re.MULTILINE), f"{path.name} imports bulle"


def readme_descriptors() -> list[str]:
    """The YAML documents of the README's warehouse section (one descriptor per kind)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Warehouse", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    return block.split("\n---\n")


def test_the_readme_shows_one_valid_descriptor_per_kind(tmp_path: Path) -> None:
    documents = readme_descriptors()
    for text in documents:
        name = re.search(r"^name: (\S+)$", text, re.MULTILINE)
        assert name is not None, text
        write_policy(tmp_path, {name.group(1): text})
    policy = load_policy(tmp_path)
    assert sorted(s.kind.value for s in policy.sources.values()) == sorted(k.value for k in SourceKind)
    assert len(policy.sources) == len(documents)
