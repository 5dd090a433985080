"""Trino's patterns: Java regular expressions that must match a whole name.

Every ``user``, ``group``, ``role``, ``catalog``, ``schema``, ``table``,
``property`` … field of a rule is a ``java.util.regex.Pattern`` and Trino
tests it with ``matcher(value).matches()``, which is a match of the *whole*
value: ``alice`` does not match ``alice2``. Python's ``re.fullmatch`` has the
same meaning. The syntaxes agree on what rules files use (alternation,
classes, groups, quantifiers); Java's named groups ``(?<name>…)`` are
translated, and a pattern Python cannot compile is reported as an error of
the rules file rather than silently matching nothing.

Replacement strings (impersonation's ``new_user``, principals'
``principal_to_user``) refer to groups as ``$1``, as Java's
``Matcher.replaceAll`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9]*)>")
_GROUP_REFERENCE = re.compile(r"\\(.)|\$(\d)")


@dataclass(frozen=True)
class Pattern:
    """One compiled rule pattern; ``source`` is the text written in the rules file."""

    source: str
    compiled: re.Pattern[str]

    def matches(self, value: str) -> bool:
        return self.compiled.fullmatch(value) is not None


def compile_pattern(source: str) -> Pattern:
    """Compile a Java pattern; raise ``ValueError`` with a readable reason."""
    translated = _NAMED_GROUP.sub(r"(?P<\1>", source)
    try:
        return Pattern(source, re.compile(translated))
    except re.error as error:
        raise ValueError(f"{source!r} is not a regular expression bulle can read ({error})") from None


def substitute(pattern: Pattern, value: str, template: str) -> str:
    """``Matcher.replaceAll(template)`` of a whole-value match: the template with ``$n`` replaced by group n."""
    match = pattern.compiled.fullmatch(value)
    if match is None:
        return value

    def group(found: re.Match[str]) -> str:
        if found.group(1) is not None:
            return found.group(1)
        return match.group(int(found.group(2))) or ""

    return _GROUP_REFERENCE.sub(group, template)
