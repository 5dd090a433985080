"""Policy-aware spawners: one mixin with the policy logic, one class per flavour.

- :class:`~bulle.spawner.mixin.PolicySpawnerMixin` – asks the policy, refuses with HTTP 403;
- :class:`~bulle.spawner.local.LocalBubbleSpawner` – embedded flavour, local processes
  (entry point ``bulle-local`` in ``jupyterhub.spawners``).
"""

from .bubble import Bubble, make_bubble

__all__ = ["Bubble", "make_bubble"]
