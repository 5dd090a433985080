"""An output: one file asked to leave a bubble, with its declared kind and evidence.

Kinds (what the researcher says the file is; the checks that apply follow):

- ``frequency``: a table of counts;
- ``statistics``: a table of means, sums, medians, extremes... whose counts
  (and, for the dominance rules, contributions) come in a counts file;
- ``model``: a model's output (statsmodels' or R's ``summary()``);
- ``figure``: a picture, read by a person;
- ``text``: prose, a log, a list of results.

An :class:`Output` holds bytes, never a path: the checks are pure functions
of it. :func:`bulle.airlock.load.load_output` reads one from disk.
Parsing happens once, on first use, and a parse error is kept and raised
again to every check that asks (the ``table-format`` check reports it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, TypeVar

from .evidence import Contributions, Key, MissingEvidence, count_table, read_evidence
from .table import Table, Unreadable, decode, parse_table

T = TypeVar("T")


class Kind(StrEnum):
    FREQUENCY = "frequency"
    STATISTICS = "statistics"
    MODEL = "model"
    FIGURE = "figure"
    TEXT = "text"


TABLE_KINDS = frozenset({Kind.FREQUENCY, Kind.STATISTICS})
ALL_KINDS = frozenset(Kind)


@dataclass(frozen=True)
class AcroEvidence:
    """ACRO's ``results.json`` found beside the file, and ACRO's SHA-256 of the file when it wrote one."""

    results: Mapping[str, Any]
    sha256: str | None = None


@dataclass(frozen=True, eq=False)
class Output:
    name: str
    kind: Kind
    content: bytes
    counts: bytes | None = None
    acro: AcroEvidence | None = None
    size: int | None = None  # bytes on disk, when ``content`` was cut short at the size cap
    _failures: dict[str, Exception] = field(default_factory=dict, init=False, repr=False)

    @property
    def file_size(self) -> int:
        return len(self.content) if self.size is None else self.size

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def _once(self, name: str, build: Callable[[], T]) -> T:
        if name in self._failures:
            raise self._failures[name]
        try:
            return build()
        except (Unreadable, MissingEvidence) as exc:
            self._failures[name] = exc
            raise

    @cached_property
    def text(self) -> str:
        """The file as text; :class:`Unreadable` when it is binary or not UTF-8."""
        return self._once("text", lambda: decode(self.content))

    @cached_property
    def table(self) -> Table:
        """The file as a table; :class:`Unreadable` when it is not one."""
        return self._once("table", lambda: parse_table(self.text))

    @cached_property
    def evidence(self) -> dict[Key, Contributions]:
        """The counts file's evidence by cell; :class:`MissingEvidence` when there is none."""

        def build() -> dict[Key, Contributions]:
            if self.counts is None:
                raise MissingEvidence(
                    "no counts file: a statistics table needs the number of records behind each cell "
                    "(and, for the dominance rules, count, sum, max and top_2_sum per cell; "
                    "bulle.airlock.contributor_table makes it)"
                )
            try:
                return read_evidence(parse_table(decode(self.counts, "the counts file")))
            except Unreadable as exc:
                raise MissingEvidence(f"the counts file cannot be read: {exc}") from None

        return self._once("evidence", build)

    @cached_property
    def count_table(self) -> Table:
        """The records behind each cell: the table itself for counts, else derived from the evidence."""
        if self.kind is Kind.FREQUENCY:
            return self.table
        return self._once("count_table", lambda: count_table(self.table, self.evidence))
