"""Disclosure-control rules of the airlock: named profiles, platform and project settings.

Vocabulary (the parameter names are SACRO/ACRO's, from its ``default.yaml``,
so that an output checker who knows ACRO reads them without a glossary):

- a *rule parameter* is one number or switch the automated disclosure checks
  read: ``safe_threshold`` (minimum cell count), ``safe_dof_threshold``
  (residual degrees of freedom of a model), ``safe_nk_n``/``safe_nk_k`` (the
  n,k dominance rule), ``safe_pratio_p`` (the p% rule),
  ``zeros_are_disclosive``, and bulle's own ``max_table_rows`` and
  ``max_file_size``;
- :class:`DisclosureRules` is a complete set of them;
- a *disclosure profile* is a named complete set: ``default`` (ACRO's
  defaults) and ``casd`` (the French CASD/SNDS rule of no cell under 11);
- ``platform.yaml`` has an optional ``airlock`` section that picks a profile
  and may override any parameter (:class:`PlatformAirlock`);
- a project file has an optional ``airlock`` section that may override
  parameters again (:class:`RuleOverrides`), **only to make them stricter**:
  :func:`looser_overrides` lists the ones that would loosen the platform's
  rules, and the policy refuses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .units import format_memory, parse_memory

Count = Annotated[int, Field(strict=True, ge=1, le=1_000_000)]
Share = Annotated[float, Field(strict=True, gt=0, le=1)]
Switch = Annotated[bool, Field(strict=True)]
Size = Annotated[int, BeforeValidator(parse_memory)]

ProfileName = Literal["default", "casd"]


class _Strict(BaseModel):
    # The same settings as model.Strict; not imported from there so that
    # model.py can import this module without a cycle.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DisclosureRules(_Strict):
    """Every parameter of the automated disclosure checks, resolved."""

    safe_threshold: Count = Field(description="minimum number of records behind any cell of a table")
    safe_dof_threshold: Count = Field(description="minimum residual degrees of freedom of a model")
    safe_nk_n: Annotated[int, Field(strict=True, ge=1, le=10)] = Field(
        description="n of the n,k dominance rule: how many of the largest contributors are added up"
    )
    safe_nk_k: Share = Field(
        description="k of the n,k dominance rule: the largest n contributors may make at most this share of a cell"
    )
    safe_pratio_p: Share = Field(
        description="p of the p% rule: the cell minus its two largest contributors must be at least p times "
        "the largest, or the second largest could estimate the largest too closely"
    )
    zeros_are_disclosive: Switch = Field(description="a zero cell tells that nobody in a group has a trait")
    max_table_rows: Count = Field(description="a table with more rows than this is treated as row-level data")
    max_file_size: Size = Field(description="largest file that may leave a bubble, e.g. 10M")


class RuleOverrides(_Strict):
    """Parameters a policy file sets; the unset ones (None) keep the value they inherit."""

    safe_threshold: Count | None = None
    safe_dof_threshold: Count | None = None
    safe_nk_n: Annotated[int, Field(strict=True, ge=1, le=10)] | None = None
    safe_nk_k: Share | None = None
    safe_pratio_p: Share | None = None
    zeros_are_disclosive: Switch | None = None
    max_table_rows: Count | None = None
    max_file_size: Size | None = None

    def set_values(self) -> dict[str, int | float | bool]:
        """The parameters this file sets, by name."""
        return {name: value for name, value in self.model_dump().items() if value is not None}


class PlatformAirlock(RuleOverrides):
    """``platform.yaml``'s ``airlock`` section: a profile, then overrides of its parameters."""

    profile: ProfileName = Field(default="default", description="named set of rule parameters: default or casd")

    def set_values(self) -> dict[str, int | float | bool]:
        values = super().set_values()
        values.pop("profile", None)
        return values


_DEFAULT = DisclosureRules(
    safe_threshold=10,
    safe_dof_threshold=10,
    safe_nk_n=2,
    safe_nk_k=0.90,
    safe_pratio_p=0.10,
    zeros_are_disclosive=True,
    max_table_rows=1000,
    max_file_size=10 * 1024**2,
)

DISCLOSURE_PROFILES: Mapping[str, DisclosureRules] = MappingProxyType(
    {
        # ACRO's default.yaml.
        "default": _DEFAULT,
        # CASD (Centre d'accès sécurisé aux données), which hosts the SNDS for
        # researchers: no published count may be under 11.
        "casd": _DEFAULT.model_copy(update={"safe_threshold": 11}),
    }
)

# Which way each parameter moves when the rules get stricter.
STRICTER: Mapping[str, Literal["higher", "lower", "on"]] = MappingProxyType(
    {
        "safe_threshold": "higher",
        "safe_dof_threshold": "higher",
        "safe_nk_n": "higher",
        "safe_nk_k": "lower",
        "safe_pratio_p": "higher",
        "zeros_are_disclosive": "on",
        "max_table_rows": "lower",
        "max_file_size": "lower",
    }
)


def apply_overrides(base: DisclosureRules, overrides: RuleOverrides) -> DisclosureRules:
    """``base`` with every parameter ``overrides`` sets replaced."""
    return base.model_copy(update=overrides.set_values())


def platform_rules(platform: PlatformAirlock) -> DisclosureRules:
    """The platform's rules: its profile, then its overrides."""
    return apply_overrides(DISCLOSURE_PROFILES[platform.profile], platform)


def looser_overrides(base: DisclosureRules, overrides: RuleOverrides) -> list[tuple[str, str]]:
    """``(parameter, message)`` for every override that would make ``base`` less strict."""
    found = []
    for name, value in overrides.set_values().items():
        current = getattr(base, name)
        direction = STRICTER[name]
        looser = {"higher": value < current, "lower": value > current, "on": current and not value}[direction]
        if looser:
            shown, was = (_show(name, value), _show(name, current))
            way = {"higher": "raise it", "lower": "lower it", "on": "turn it on"}[direction]
            found.append(
                (
                    name,
                    f"{shown} is less strict than the platform's {was}; "
                    f"a project may only make the disclosure rules stricter ({way})",
                )
            )
    return found


def _show(name: str, value: int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "max_file_size" and isinstance(value, int):
        return format_memory(value)
    return str(value)
