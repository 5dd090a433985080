"""Exceptions of the policy package.

- :class:`PolicyInvalid` – a policy directory cannot be loaded; it carries
  every :class:`PolicyError` found, each pointing at ``file:line: key``.
- :class:`PolicyDenied` – the policy refuses an action; its message names
  the user, the object and the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class PolicyError:
    """One problem in one policy file. ``file`` is relative to the policy directory."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key}: {self.message}"


class PolicyInvalid(Exception):
    """A policy directory has errors; nothing from it may be applied."""

    def __init__(self, errors: Iterable[PolicyError]) -> None:
        self.errors = tuple(sorted(errors))
        count = len(self.errors)
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(f"the policy has {count} error{'s' if count != 1 else ''}:\n{lines}")


class PolicyDenied(Exception):
    """The policy refuses ``user`` an action on ``target`` because of ``rule``.

    ``rule`` is a stable identifier (``membership``, ``project-status``, ...)
    for logs and the audit trail; ``str(exc)`` is the sentence shown to people.
    """

    def __init__(self, user: str, target: str, rule: str, sentence: str) -> None:
        super().__init__(sentence)
        self.user = user
        self.target = target
        self.rule = rule
        self.sentence = sentence
