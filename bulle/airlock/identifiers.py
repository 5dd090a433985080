"""Identifiers: what must never be in an output, whatever its counts.

Three families, looked for in every label and cell of a table, or every
line of a text:

- *NIR-like numbers*: 13 digits (the French social security number without
  its key) or 15 (with it), first digit 1, 2, 3, 4, 7 or 8, also written in
  the NIR's groups (``1 85 05 78 006 084 36``) or with Corsica's 2A/2B; a
  15-digit number whose key checks out is said so;
- *pseudonyms*: columns named like a person's identifier (``patient_id``,
  ``person_id``, ``subject_id``, ``pseudonym``, ``nir``, ``ipp``, and the
  SNDS keys ``BEN_NIR_PSA``, ``BEN_IDT_ANO``, ``NUM_ENQ``...), and values shaped
  like one: 16 or more hexadecimal digits (bulle's warehouse writes 32),
  UUIDs, integers of 16 to 19 digits (bulle's integer pseudonyms);
- *dates of birth*: columns named like one (``date_of_birth``, ``dob``,
  ``birth_date``, ``date_naissance``; a year of birth is not a date of
  birth), and a full date on a line that speaks of birth.

In a table any of these fails. In a text or a model output a pseudonym-
shaped value goes to review instead: a commit hash or a checksum looks the
same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bulle.policies import DisclosureRules

from .output import ALL_KINDS, TABLE_KINDS, Kind, Output
from .registry import Check
from .table import Table, Unreadable
from .verdict import Cell, CheckResult, Status

_END = r"(?:\.0+)?(?![\w.])"
_NIR = re.compile(
    r"(?<![\w.])(?:"
    r"[1-478]\d{4}(?:\d{2}|2[AB])\d{6}(?:\d{2})?"  # contiguous, 13 or 15 characters
    r"|[1-478] \d{2} \d{2} (?:\d{2}|2[AB]) \d{3} \d{3}(?: \d{2})?"  # in the NIR's groups
    r")" + _END
)
_HEX = re.compile(r"(?<![\w-])[0-9a-fA-F]{16,}(?![\w-])")
_UUID = re.compile(r"(?<![\w-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])")
_LONG_INTEGER = re.compile(r"(?<![\w.])\d{16,19}" + _END)
_FULL_DATE = re.compile(r"(?<!\d)(?:\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})(?!\d)")
_BIRTH_WORDS = re.compile(r"\b(?:born|birth\w*|dob|naissance|n[ée]e?|ddn)\b", re.IGNORECASE)
_SHORTEST = 13  # characters of the shortest shape above (a NIR without its key)
_WORD_SPLIT = re.compile(r"[_\-\s.]+|(?<=[a-z0-9])(?=[A-Z])")

KNOWN_KEYS = frozenset(
    {
        "ben_nir_psa",
        "ben_nir_ano",
        "ben_nir_idt",
        "ben_idt_ano",
        "ass_nir_ano",
        "nir_ano_17",
        "nir_ano_mam",
        "num_enq",
        "person_source_value",
    }
)
_KEY_WORDS = frozenset({"nir", "ssn", "nss", "ipp", "pseudo", "pseudonym", "pseudonyme", "pseudonymous"})
_PERSON_WORDS = frozenset(
    {"patient", "person", "subject", "participant", "individual", "beneficiary", "sujet", "individu", "personne"}
)
_ID_WORDS = frozenset({"id", "ids", "idt", "identifier", "identifiant", "key", "num", "number", "code", "uid"})
_DOB_WORDS = frozenset({"dob", "ddn", "birthdate", "birthday", "datenaissance"})
_BIRTH = frozenset({"birth", "naissance", "nais", "nai"})
_DATE_WORDS = frozenset({"date", "dat", "day", "jour"})


def words(name: str) -> set[str]:
    """The lower-case words of a name: ``BEN_NIR_PSA`` → ben, nir, psa; ``patientId`` → patient, id."""
    return {word.lower() for word in _WORD_SPLIT.split(name) if word}


def name_problem(name: str) -> str | None:
    """Why a column or level named ``name`` holds identifiers, or None."""
    found = words(name)
    if name.strip().lower() in KNOWN_KEYS:
        return f"{name!r} is a person's key in the SNDS or OMOP"
    if found & _KEY_WORDS:
        return f"{name!r} is named like a person's identifier"
    if found & _PERSON_WORDS and found & _ID_WORDS:
        return f"{name!r} is named like a person's identifier"
    if found & _DOB_WORDS or (found & _BIRTH and found & _DATE_WORDS):
        return f"{name!r} is named like a date of birth"
    return None


def _nir_key_checks(digits: str) -> bool:
    body = digits[:13].replace("2A", "19").replace("2B", "18")
    return len(digits) == 15 and body.isdigit() and 97 - int(body) % 97 == int(digits[13:])


def value_problems(text: str) -> Iterator[tuple[str, bool]]:
    """``(reason, is_certain)`` for each identifier shape in ``text``; uncertain ones are pseudonym-shaped."""
    if len(text) < _SHORTEST:
        return
    for match in _NIR.finditer(text):
        digits = match.group(0).split(".")[0].replace(" ", "")
        if _nir_key_checks(digits):
            yield f"{match.group(0)!r} is a NIR: 15 digits with a valid key", True
        else:
            yield f"{match.group(0)!r} is shaped like a NIR ({len(digits)} digits)", True
    for pattern, shape in ((_UUID, "a UUID"), (_LONG_INTEGER, "a pseudonym (16 to 19 digits)")):
        for match in pattern.finditer(text):
            yield f"{match.group(0)!r} is shaped like {shape}", False
    for match in _HEX.finditer(text):
        token = match.group(0)
        if sum(ch.isdigit() for ch in token) >= 2 and sum(ch.isalpha() for ch in token) >= 2:
            yield f"{token!r} is shaped like a pseudonym (hexadecimal)", False


def _table_findings(table: Table) -> Iterator[tuple[Cell, bool]]:
    for name in (*table.row_names, *table.column_names):
        if name and (problem := name_problem(name)):
            yield Cell.at((), (name,), problem), True
    single_header = len(table.columns[0]) == 1 if table.columns else False
    for label in table.columns:
        named = name_problem(label[-1]) if single_header and label[-1] else None
        if named:
            yield Cell.at((), label, named), True
        for reason, certain in _label_problems(label):
            yield Cell.at((), label, reason), certain
    for r, label in enumerate(table.rows):
        for reason, certain in _label_problems(label):
            yield Cell.at(label, (), reason), certain
        for c, raw in enumerate(table.raw[r]):
            for reason, certain in value_problems(raw):
                yield Cell.at(label, table.columns[c], reason), certain


def _label_problems(label: tuple[str, ...]) -> Iterator[tuple[str, bool]]:
    for part in label:
        yield from value_problems(part)


def _text_findings(text: str) -> Iterator[tuple[Cell, bool]]:
    for number, line in enumerate(text.splitlines(), start=1):
        where = (f"line {number}",)
        for reason, certain in value_problems(line):
            yield Cell.at(where, (), reason), certain
        if _BIRTH_WORDS.search(line) and (date := _FULL_DATE.search(line)):
            yield Cell.at(where, (), f"{date.group(0)!r} next to a word about birth: a date of birth"), True


def check_identifiers(output: Output, rules: DisclosureRules) -> CheckResult:
    table: Table | None = None
    if output.kind in TABLE_KINDS:
        try:
            table = output.table
        except Unreadable:
            table = None
    findings = list(_table_findings(table) if table is not None else _text_findings(output.text))
    uncertain_is = Status.FAIL if output.kind in TABLE_KINDS else Status.REVIEW
    failing = [cell for cell, certain in findings if certain or uncertain_is is Status.FAIL]
    reviewing = [cell for cell, certain in findings if not (certain or uncertain_is is Status.FAIL)]
    if failing:
        return CheckResult.from_cells(
            "identifiers", failing + reviewing, when_found=Status.FAIL, ok="", found=f"{len(failing)} identifier(s)"
        )
    return CheckResult.from_cells(
        "identifiers",
        reviewing,
        when_found=Status.REVIEW,
        ok="no NIR, pseudonym or date of birth found",
        found="{n} value{s} shaped like a pseudonym, or a hash",
    )


IDENTIFIERS = Check(
    "identifiers",
    ALL_KINDS - {Kind.FIGURE},
    check_identifiers,
    "no NIR-like number, pseudonym column or value, or date of birth",
    order=70,
)
