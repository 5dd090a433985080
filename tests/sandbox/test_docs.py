"""docs/isolation.md lists every setting of the local spawner's sandbox."""

from __future__ import annotations

from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner

from bulle.spawner.local import LocalBubbleSpawner
from bulle.spawner.mixin import PolicySpawnerMixin


def test_every_sandbox_trait_is_documented(repo_root: Path) -> None:
    inherited = set(LocalProcessSpawner.class_trait_names(config=True)) | set(
        PolicySpawnerMixin.class_trait_names(config=True)
    )
    own = sorted(set(LocalBubbleSpawner.class_trait_names(config=True)) - inherited)
    assert "network_mode" in own
    text = (repo_root / "docs" / "isolation.md").read_text(encoding="utf-8")
    missing = [name for name in own if f"| `{name}` |" not in text]
    assert missing == []
