"""The folder tree is the architecture: dependencies point one way.

- ``bulle.policies`` imports nothing else from bulle;
- no subpackage imports ``bulle.hub`` (only the CLI may);
- ``bulle.airlock`` (the disclosure checks, used by the hub and by the
  extensions in bubbles) imports only ``bulle.policies`` from bulle.
- ``bulle.audit`` imports nothing else from bulle either: the hub, the
  spawner, the extensions and the tools all record through it;
- ``bulle.data`` runs inside bubbles: it imports only ``bulle.policies`` and
  ``bulle.audit`` from bulle (never the hub, the warehouse or the spawner);
- ``bulle.exports`` (export requests) never imports the hub, since the
  bubbles' airlock extension uses it too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SUBPACKAGES = {
    "policies": "bulle.policies",
    "warehouse": "bulle.warehouse",
    "spawner": "bulle.spawner",
    "extensions": "bulle.extensions",
    "bulle/audit": "bulle.audit",
    "hub": "bulle.hub",
    "bulle/airlock": "bulle.airlock",
    "bulle/data": "bulle.data",
    "bulle/exports": "bulle.exports",
}


def imported_modules(folder: Path, package: str) -> set[tuple[str, str]]:
    """(file, absolute module name) for every import in ``folder``."""
    found = set()
    for path in folder.rglob("*.py"):
        module_parts = [*package.split("."), *path.relative_to(folder).with_suffix("").parts]
        if module_parts[-1] == "__init__":
            module_parts.pop()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update((str(path.relative_to(REPO)), alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    is_package = path.name == "__init__.py"
                    base = module_parts if is_package else module_parts[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    name = ".".join([*base, node.module] if node.module else base)
                else:
                    name = node.module or ""
                found.add((str(path.relative_to(REPO)), name))
    return found


def test_policies_import_nothing_else_from_bulle() -> None:
    offending = sorted(
        (file, name)
        for file, name in imported_modules(REPO / "policies", "bulle.policies")
        if (name == "bulle" or name.startswith("bulle.")) and not name.startswith("bulle.policies")
    )
    assert offending == [], f"bulle.policies must not import other bulle packages: {offending}"


def test_the_audit_package_imports_nothing_else_from_bulle() -> None:
    offending = sorted(
        (file, name)
        for file, name in imported_modules(REPO / "bulle" / "audit", "bulle.audit")
        if (name == "bulle" or name.startswith("bulle.")) and not name.startswith("bulle.audit")
    )
    assert offending == [], f"bulle.audit must not import other bulle packages: {offending}"


@pytest.mark.parametrize("folder", [f for f in SUBPACKAGES if f != "hub"])
def test_no_subpackage_imports_the_hub(folder: str) -> None:
    offending = sorted(
        (file, name)
        for file, name in imported_modules(REPO / folder, SUBPACKAGES[folder])
        if name.startswith("bulle.hub")
    )
    assert offending == [], f"only the hub and the CLI may import bulle.hub: {offending}"


def test_the_walker_sees_relative_imports() -> None:
    found = imported_modules(REPO / "policies", "bulle.policies")
    assert ("policies/loader.py", "bulle.policies.model") in found


def test_airlock_imports_only_the_policies() -> None:
    offending = sorted(
        (file, name)
        for file, name in imported_modules(REPO / "bulle" / "airlock", "bulle.airlock")
        if (name == "bulle" or name.startswith("bulle.")) and not name.startswith(("bulle.airlock", "bulle.policies"))
    )
    assert offending == [], f"bulle.airlock may import only bulle.policies from bulle: {offending}"


def test_the_data_package_imports_only_the_policies_and_the_audit_trail() -> None:
    allowed = ("bulle.data", "bulle.policies", "bulle.audit")
    offending = sorted(
        (file, name)
        for file, name in imported_modules(REPO / "bulle" / "data", "bulle.data")
        if (name == "bulle" or name.startswith("bulle.")) and not name.startswith(allowed)
    )
    assert offending == [], f"bulle.data may import only {', '.join(allowed)} from bulle: {offending}"
