"""Applying a source's identifier treatments to Arrow record batches.

:func:`treat_batch` is the one transform every kind of source goes through
before its rows reach a table: each column named under ``identifiers`` is
pseudonymised, dropped or generalised; other columns pass unchanged.
:func:`check_identifiers_handled` is the warehouse's second look at direct
identifiers, on the columns the files really have.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from bulle.policies import Generalise, Source
from bulle.policies.identifiers import unhandled_identifiers

from .pseudonym import PseudonymKey, generalise, pseudonymise


class IdentifierNotHandled(Exception):
    """A table would receive a direct identifier the descriptor does not treat."""


def check_identifiers_handled(source: Source, table: str, columns: Iterable[str], *, from_dictionary: bool) -> None:
    """Raise :class:`IdentifierNotHandled` if ``columns`` hold a direct identifier without a treatment.

    Columns a data dictionary defines are checked against the kind's list of direct
    identifiers; other columns (declared, inferred, or set by a format) by their names' words too.
    """
    found = unhandled_identifiers(source.kind.value, columns, source.identifiers, by_words=not from_dictionary)
    if found:
        details = "; ".join(f"{column} ({why})" for column, why in found)
        raise IdentifierNotHandled(
            f"table {table} of source {source.name} would receive direct identifiers without a treatment: "
            f"{details}. Add each under identifiers in sources/{source.name}.yaml "
            "(pseudonymise, drop or generalise; keep only if it does not identify anyone)"
        )


def treat_batch(batch: pa.RecordBatch | pa.Table, source: Source, key: PseudonymKey) -> pa.RecordBatch | pa.Table:
    """``batch`` with the source's treatments applied to the columns it names."""
    names: list[str] = []
    columns: list[pa.Array | pa.ChunkedArray] = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        treatment = source.identifiers.get(name)
        if treatment == "drop":
            continue
        if treatment == "pseudonymise":
            column = pseudonymise(key, column)
        elif isinstance(treatment, Generalise):
            column = generalise(column, treatment.generalise)
        names.append(name)
        columns.append(column)
    if isinstance(batch, pa.Table):
        return pa.Table.from_arrays(columns, names=names)
    return pa.RecordBatch.from_arrays(columns, names=names)
