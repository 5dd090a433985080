"""Which columns are direct identifiers, and whether a source handles them.

Two tables decide it:

- :data:`KNOWN_DIRECT_IDENTIFIERS` lists, per source kind whose columns come
  from a data dictionary (OMOP, SNDS), the columns that identify a person
  directly. A descriptor of that kind must treat every one of them
  (``pseudonymise``, ``drop`` or ``generalise``); ``keep`` is refused.
- :data:`IDENTIFYING_WORDS` lists the words that make any other column
  *look* like a direct identifier (a name, a national identifier, an
  address, a phone number...). Such a column must be treated too, or kept on
  purpose with ``keep`` when the word misleads (``drug_name``).

A column's words are its name split on ``_``, ``-``, spaces and case changes,
lower-cased: ``BEN_NIR_PSA`` has the words ``ben``, ``nir``, ``psa``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

KNOWN_DIRECT_IDENTIFIERS: Mapping[str, Mapping[str, str]] = {
    "omop": {
        "person_source_value": "the patient's identifier in the source system",
        "provider_name": "a care provider's name",
        "npi": "a care provider's national identifier",
        "dea": "a care provider's registration number",
        "address_1": "a postal address",
        "address_2": "a postal address",
        "note_text": "free clinical text, which names people",
    },
    "snds": {
        "BEN_NIR_PSA": "the beneficiary's pseudonymous NIR (SNIIRAM patient key)",
        "BEN_NIR_ANO": "the beneficiary's pseudonymised NIR",
        "BEN_NIR_IDT": "the beneficiary's NIR in the sample",
        "BEN_IDT_ANO": "the beneficiary's anonymised identifier",
        "ASS_NIR_ANO": "the insured person's anonymised NIR",
        "NIR_ANO_17": "the patient's anonymised number (PMSI)",
        "NIR_ANO_MAM": "the mother-child anonymised number (PMSI)",
        "NUM_ENQ": "the patient's linkage number (PMSI)",
        "DCD_IDT_ENC": "the encoded death identifier",
        "TRS_ACP_NOM": "a person's name",
        "TRS_CDR_NOM": "a person's name",
    },
}

IDENTIFYING_WORDS: Mapping[str, str] = {
    **dict.fromkeys(
        ("name", "names", "nom", "prenom", "firstname", "lastname", "surname", "forename", "given", "family"),
        "a name",
    ),
    **dict.fromkeys(("nir", "ssn", "nss", "insee", "passport", "licence", "license"), "a national identifier"),
    **dict.fromkeys(("address", "adresse", "addr", "street", "rue"), "an address"),
    **dict.fromkeys(("phone", "telephone", "mobile", "email", "mail", "courriel"), "a contact detail"),
}

_WORD_SPLIT = re.compile(r"[_\-\s.]+|(?<=[a-z0-9])(?=[A-Z])")


def column_words(column: str) -> tuple[str, ...]:
    """The lower-case words of a column name (see the module docstring)."""
    return tuple(word.lower() for word in _WORD_SPLIT.split(column) if word)


def why_identifying(kind: str, column: str) -> str | None:
    """Why ``column`` of a source of ``kind`` is a direct identifier, or None when it is not one.

    Columns of the kind's dictionary list are matched exactly, other columns by their words.
    """
    known = KNOWN_DIRECT_IDENTIFIERS.get(kind, {})
    if column in known:
        return known[column]
    for word in column_words(column):
        if word in IDENTIFYING_WORDS:
            return f"its name says it holds {IDENTIFYING_WORDS[word]} ({word!r})"
    return None


def _known(kind: str, column: str) -> str | None:
    return KNOWN_DIRECT_IDENTIFIERS.get(kind, {}).get(column)


def unhandled_identifiers(
    kind: str, columns: Iterable[str], treated: Iterable[str], *, by_words: bool = True
) -> list[tuple[str, str]]:
    """``(column, why)`` for every direct identifier among ``columns`` that ``treated`` does not name.

    With ``by_words=False`` only the kind's dictionary list counts: the columns come from a
    data dictionary, whose meaning is known, and words like ``concept_name`` would mislead.
    """
    handled = set(treated)
    found = []
    for column in columns:
        if column in handled:
            continue
        why = why_identifying(kind, column) if by_words else _known(kind, column)
        if why is not None:
            found.append((column, why))
    return found
