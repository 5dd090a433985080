"""YAML documents that remember where each value came from.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two
duplicate keys. Policy errors must point at ``file:line``, and a duplicated key
in a policy file is almost always a mistake, so this module composes the YAML
node graph itself and returns:

- the plain Python value (dicts, lists, scalars, as ``safe_load`` would), and
- a :class:`Locator` mapping a *path* (a tuple of keys and list indices, the
  same shape as pydantic's error ``loc``) to the 1-based line it starts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class _PolicyLoader(yaml.SafeLoader):
    """``SafeLoader`` without the implicit timestamp type.

    Dates stay strings and the model parses them, so ``2026-13-01`` becomes a
    located validation error rather than an exception from inside PyYAML.
    """


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlSourceError(Exception):
    """A file is not valid YAML, or repeats a key; carries the 1-based line."""

    def __init__(self, line: int, key: str, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Locator:
    """Line numbers of every key and item of one document."""

    lines: Mapping[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """The line of ``path``, or of its closest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def parse_yaml(text: str) -> tuple[Any, Locator]:
    """Parse one YAML document into ``(value, locator)``.

    Raises :class:`YamlSourceError` for syntax errors and duplicate keys.
    An empty document gives ``None``.
    """
    try:
        node = yaml.compose(text, Loader=_PolicyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "syntax error"
        raise YamlSourceError(line, "(document)", f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked errors are rare
        raise YamlSourceError(1, "(document)", f"invalid YAML: {exc}") from None
    if node is None:
        return None, Locator({})
    lines: dict[Path, int] = {}
    _check_duplicates(node, (), lines)
    constructor = _PolicyLoader("")
    try:
        value = constructor.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSourceError(line, "(document)", f"invalid YAML: {exc.problem}") from None
    finally:
        constructor.dispose()
    return value, Locator(lines)


def _check_duplicates(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                shown = ".".join(str(p) for p in (*path, key))
                raise YamlSourceError(line, shown, f"duplicate key (first defined on line {seen[key]})")
            seen[key] = line
            lines[(*path, key)] = line
            _check_duplicates(value_node, (*path, key), lines)
            lines[(*path, key)] = line  # the key's line, not its value's
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicates(item, (*path, index), lines)
