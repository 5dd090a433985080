"""``bulle.trino`` depends on nothing in bulle but the policy package."""

from __future__ import annotations

from tests.test_layering import REPO, imported_modules


def test_the_simulator_imports_only_the_policies() -> None:
    offending = sorted(
        (file, name)
        for file, name in imported_modules(REPO / "bulle" / "trino", "bulle.trino")
        if name.startswith("bulle.") and not name.startswith(("bulle.trino", "bulle.policies"))
    )
    assert offending == []
