"""The policy model: what one policy directory says, validated and immutable.

Vocabulary:

- a *profile* is a kind of bubble the platform offers (JupyterLab, RStudio,
  GPU) with its resources, image and time limits; ``platform.yaml`` holds
  the catalogue;
- a *project* is an approved research project: its members and their roles,
  its validity dates, the profiles it may use, its quotas and its data grants;
- a *bubble* is one running compute environment of one member for one
  project and one profile;
- *platform roles* (admins, output checkers, data stewards) are held by users
  across projects.

Every model forbids unknown keys and is frozen; collections are tuples.
Cross-file rules (a project naming an unknown profile, two projects with the
same id, ...) live in :mod:`bulle.policies.crosscheck`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from .disclosure import PlatformAirlock, RuleOverrides
from .names import MAX_PROFILE_NAME, MAX_PROJECT_ID, MAX_USERNAME, slug_problem
from .units import parse_duration, parse_memory


class Strict(BaseModel):
    """Base of every policy model: unknown keys are errors, values are frozen.

    Numbers are strict (``cpu: "2"`` or ``cpu: true`` are errors); lists may be
    written as YAML sequences and are stored as tuples.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


def _slug_validator(what: str, max_length: int) -> AfterValidator:
    def check(value: str) -> str:
        problem = slug_problem(value, what, max_length)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


Username = Annotated[str, _slug_validator("username", MAX_USERNAME)]
ProjectId = Annotated[str, _slug_validator("project id", MAX_PROJECT_ID)]
ProfileName = Annotated[str, _slug_validator("profile name", MAX_PROFILE_NAME)]
Bytes = Annotated[int, BeforeValidator(parse_memory)]
Seconds = Annotated[int, BeforeValidator(parse_duration)]
NonEmptyText = Annotated[str, Field(min_length=1, max_length=300)]


class ProfileKind(StrEnum):
    notebook = "notebook"
    rstudio = "rstudio"
    gpu = "gpu"


class ProjectStatus(StrEnum):
    approved = "approved"
    suspended = "suspended"
    closed = "closed"


class MemberRole(StrEnum):
    researcher = "researcher"
    data_scientist = "data_scientist"
    project_lead = "project_lead"


class Profile(Strict):
    """One entry of the platform's bubble catalogue."""

    name: ProfileName
    title: NonEmptyText | None = None
    kind: ProfileKind
    cpu: Annotated[float, Field(strict=True, gt=0, le=512)] = Field(description="CPU cores, may be fractional")
    memory: Bytes = Field(description="memory limit, e.g. 4G")
    gpu: Annotated[int, Field(strict=True, ge=0, le=16)] = 0
    image: NonEmptyText = Field(description="container image used in production")
    idle_timeout: Seconds = Field(description="stop after this long without activity, e.g. 1h")
    max_lifetime: Seconds = Field(description="stop after this long in any case, e.g. 12h")

    @field_validator("gpu")
    @classmethod
    def _gpu_matches_kind(cls, gpu: int, info: ValidationInfo) -> int:
        kind = info.data.get("kind")
        if kind is ProfileKind.gpu and gpu == 0:
            raise ValueError("a profile of kind gpu needs gpu: 1 or more")
        if kind is not None and kind is not ProfileKind.gpu and gpu > 0:
            raise ValueError(f"a profile of kind {kind.value} cannot have gpu > 0; use kind: gpu")
        return gpu

    @field_validator("max_lifetime")
    @classmethod
    def _lifetime_covers_idle(cls, max_lifetime: int, info: ValidationInfo) -> int:
        idle = info.data.get("idle_timeout")
        if idle is not None and idle > max_lifetime:
            raise ValueError("max_lifetime is shorter than idle_timeout")
        return max_lifetime

    @property
    def display_title(self) -> str:
        return self.title or self.name


class PlatformRoles(Strict):
    """Users holding a role across all projects."""

    admins: tuple[Username, ...] = ()
    output_checkers: tuple[Username, ...] = ()
    data_stewards: tuple[Username, ...] = ()


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known IANA time zone, e.g. Europe/Paris or UTC") from None
    return value


class Platform(Strict):
    """``platform.yaml``: the profile catalogue and the platform roles."""

    timezone: Annotated[str, AfterValidator(_check_timezone)] = Field(
        default="UTC", description="zone in which project validity dates are read"
    )
    profiles: tuple[Profile, ...] = Field(min_length=1)
    roles: PlatformRoles = PlatformRoles()
    airlock: PlatformAirlock = Field(
        default=PlatformAirlock(), description="disclosure rules of the airlock: a profile and overrides"
    )


class Member(Strict):
    user: Username
    role: MemberRole


class Quotas(Strict):
    """Limits on a project's running bubbles.

    ``cpu``, ``memory`` and ``gpu`` cap the sum over all running bubbles of
    the project.
    """

    bubbles_per_member: Annotated[int, Field(strict=True, ge=1, le=100)] = 1
    bubbles_per_project: Annotated[int, Field(strict=True, ge=1, le=1000)] = 10
    cpu: Annotated[float, Field(strict=True, gt=0)] = Field(description="CPU cores for the whole project")
    memory: Bytes = Field(description="memory for the whole project, e.g. 64G")
    gpu: Annotated[int, Field(strict=True, ge=0)] = 0


_IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_IDENTIFIER = 63


def _check_identifier(what: str, value: str) -> str:
    if len(value) > MAX_IDENTIFIER or not _IDENTIFIER_RE.match(value):
        raise ValueError(
            f"{what} {value!r} is not a plain SQL name: use lowercase letters, digits and underscores, "
            f"starting with a letter or an underscore, at most {MAX_IDENTIFIER} characters"
        )
    return value


def _check_column_name(value: str) -> str:
    return _check_identifier("column", value)


def _check_table_name(value: str) -> str:
    parts = value.split(".")
    if len(parts) != 2:
        raise ValueError(f"table {value!r} must be written schema.table, e.g. omop.person")
    for part in parts:
        _check_identifier("table name part", part)
    return value


ColumnName = Annotated[str, AfterValidator(_check_column_name)]
TableName = Annotated[str, AfterValidator(_check_table_name)]
SqlText = Annotated[str, Field(min_length=1, max_length=2000)]


class PseudonymScope(StrEnum):
    """Which pseudonyms a grant's patient identifier columns carry.

    - ``project``: the warehouse pseudonyms re-keyed for this project, so the
      same patient has different identifiers in two projects;
    - ``warehouse``: the warehouse pseudonyms themselves, which link with every
      other source of the warehouse; only with a recorded linkage approval.
    """

    project = "project"
    warehouse = "warehouse"


class AllColumnsBut(Strict):
    """``columns: {all_but: [a, b]}``: every column of the table except these."""

    all_but: tuple[ColumnName, ...] = Field(min_length=1)


def _columns_kind(value: object) -> str:
    # The tags contain brackets so that located errors leave them out of the key (loader.format_key).
    if isinstance(value, dict | AllColumnsBut):
        return "[all_but]"
    if isinstance(value, list | tuple):
        return "[list]"
    return "[all]"


GrantColumns = Annotated[
    Annotated[Literal["all"], Tag("[all]")]
    | Annotated[tuple[ColumnName, ...], Tag("[list]")]
    | Annotated[AllColumnsBut, Tag("[all_but]")],
    Discriminator(_columns_kind),
]


def _parse_snapshot(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("snapshot must be a snapshot id (a whole number) or a time such as 2026-11-01T00:00:00+01:00")
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is neither a snapshot id (a whole number) nor a time such as 2026-11-01T00:00:00+01:00"
            ) from None
        if when.tzinfo is None:
            raise ValueError(f"the snapshot time {value!r} needs a time zone offset, e.g. {value}+01:00 or {value}Z")
        return when
    return value


SnapshotPin = Annotated[Annotated[int, Field(strict=True, gt=0)] | dt.datetime, BeforeValidator(_parse_snapshot)]


def _freeze_masks(masks: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(masks))


class Grant(Strict):
    """Read access of a project to one warehouse table.

    ``columns`` is ``all``, a list, or ``{all_but: [...]}``; ``row_filter`` is an
    SQL boolean over the table's columns; ``masks`` maps a column to a builtin
    mask (``hash``, ``null``, ``year``, ``month``, ``truncate:N``) or an SQL
    expression over the table's columns. Expressions are checked with sqlglot
    when the policy is loaded (:mod:`bulle.policies.grants`); whether the
    columns exist is checked against the warehouse when the grant is compiled.
    """

    table: TableName = Field(description="warehouse table, schema.table")
    columns: GrantColumns = Field(default="all", description="all, a list of columns, or {all_but: [...]}")
    row_filter: SqlText | None = Field(default=None, description="SQL boolean over the table's columns")
    masks: Annotated[Mapping[ColumnName, SqlText], AfterValidator(_freeze_masks)] = Field(
        default_factory=lambda: MappingProxyType({})
    )
    pseudonym_scope: PseudonymScope = PseudonymScope.project
    snapshot: SnapshotPin | None = Field(default=None, description="pin: an Iceberg snapshot id or a time")


class Project(Strict):
    """``projects/<id>.yaml``: one approved research project."""

    id: ProjectId
    title: NonEmptyText
    status: ProjectStatus
    approval: NonEmptyText | None = Field(
        default=None, description="reference of the authorisation, e.g. a CNIL or ethics decision"
    )
    valid_from: dt.date = Field(description="first day the project may start bubbles, in the platform time zone")
    valid_until: dt.date = Field(description="last day (inclusive) the project may run bubbles")
    members: tuple[Member, ...] = Field(min_length=1)
    profiles: tuple[ProfileName, ...] = Field(min_length=1)
    quotas: Quotas
    linkage_approval: NonEmptyText | None = Field(
        default=None,
        description="reference of the approval to link this project's data with the warehouse's other sources "
        "(needed by grants with pseudonym_scope: warehouse)",
    )
    grants: tuple[Grant, ...] = ()
    airlock: RuleOverrides = Field(
        default=RuleOverrides(), description="the project's disclosure rules, only ever stricter than the platform's"
    )

    @field_validator("valid_until")
    @classmethod
    def _dates_in_order(cls, valid_until: dt.date, info: ValidationInfo) -> dt.date:
        valid_from = info.data.get("valid_from")
        if valid_from is not None and valid_until < valid_from:
            raise ValueError(f"valid_until ({valid_until}) is before valid_from ({valid_from})")
        return valid_until

    def member(self, username: str) -> Member | None:
        return next((m for m in self.members if m.user == username), None)
