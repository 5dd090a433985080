"""FHIR R4 (transaction bundles and bulk-export NDJSON, gzip too) → one table per resource type.

Each resource becomes one row: flattened key fields (id, patient, encounter,
status, first code, start date) plus the de-identified resource as JSON.
De-identification, as plain JSON transforms:

- every Patient id is replaced by its pseudonym, and so is every reference
  to a Patient (``Patient/<id>`` and, inside a bundle, ``urn:uuid:<id>``),
  so resources of one patient still join across tables and sources;
- Patient resources lose their names, identifiers (SSN, MRN, licences),
  telecoms, addresses, photos and contacts, and the extensions that name
  places or people; birth and death dates are generalised to the year;
- every resource loses its narrative (``text``), the display text of its
  references (which repeats names), and attachment data (free-text notes).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from bulle.policies import Source

from .loads import FILE_COLUMN, InputFile, Rejection, static_read
from .pseudonym import PseudonymKey, pseudonymise
from .readers import Reads
from .treatments import treat_batch

PATIENT_REMOVED = ("name", "identifier", "telecom", "address", "photo", "contact", "link")
REMOVED_EXTENSIONS = ("mothersMaidenName", "birthPlace", "patient-birthPlace", "us-core-birthplace")
CODE_FIELDS = ("code", "vaccineCode", "medicationCodeableConcept", "type")
DATE_FIELDS = (
    ("effectiveDateTime",),
    ("effectivePeriod", "start"),
    ("onsetDateTime",),
    ("performedDateTime",),
    ("performedPeriod", "start"),
    ("occurrenceDateTime",),
    ("period", "start"),
    ("authoredOn",),
    ("recordedDate",),
    ("billablePeriod", "start"),
    ("issued",),
    ("date",),
    ("created",),
)
PATIENT_REFERENCE_FIELDS = ("subject", "patient", "beneficiary")

COMMON_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("patient", pa.string()),
        ("encounter", pa.string()),
        ("status", pa.string()),
        ("code_system", pa.string()),
        ("code", pa.string()),
        ("code_display", pa.string()),
        ("start", pa.string()),
        ("resource", pa.string()),
    ]
)
PATIENT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("patient", pa.string()),
        ("gender", pa.string()),
        ("birth_year", pa.int32()),
        ("deceased", pa.bool_()),
        ("deceased_year", pa.int32()),
        ("resource", pa.string()),
    ]
)


@dataclass
class _Parsed:
    """Resources read from the run's files, before de-identification."""

    resources: list[tuple[InputFile, dict[str, Any], Mapping[str, str]]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def table_name(resource_type: str) -> str:
    """``MedicationRequest`` → ``medication_request``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", resource_type).lower()


def read_fhir(source: Source, files: Sequence[InputFile], key: PseudonymKey, policy_dir: Path) -> Reads:
    parsed = _Parsed()
    for file in files:
        _parse_file(file, parsed)
    reads = Reads(problems=parsed.problems, rejections=parsed.rejections)
    patient_ids = _patient_ids(parsed)
    pseudonyms = dict(zip(patient_ids, pseudonymise(key, pa.array(patient_ids, pa.string())).to_pylist(), strict=True))
    rows: dict[str, list[dict[str, Any]]] = {}
    counts: dict[str, Counter[str]] = {}
    for file, resource, full_urls in parsed.resources:
        resource_type = resource["resourceType"]
        clean = _deidentify(resource, _Resolver(full_urls, pseudonyms))
        row = _patient_row(clean) if resource_type == "Patient" else _row(clean)
        row[FILE_COLUMN] = file.key
        name = table_name(resource_type)
        rows.setdefault(name, []).append(row)
        counts.setdefault(name, Counter())[file.key] += 1
    for name, table_rows in sorted(rows.items()):
        schema = (PATIENT_SCHEMA if name == "patient" else COMMON_SCHEMA).append(pa.field(FILE_COLUMN, pa.string()))
        data = treat_batch(pa.Table.from_pylist(table_rows, schema=schema), source, key)
        reads.tables.append(static_read(name, list(files), data, counts[name]))
    return reads


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from handle


def _parse_file(file: InputFile, parsed: _Parsed) -> None:
    try:
        if file.relative.endswith(".json"):
            _parse_bundle(file, json.loads(file.path.read_text(encoding="utf-8")), parsed)
            return
        for number, line in enumerate(_lines(file.path), start=1):
            if not line.strip():
                continue
            try:
                resource = json.loads(line)
            except json.JSONDecodeError as exc:
                parsed.rejections.append(Rejection(file.relative, number, f"not a JSON resource: {exc.msg}"))
                continue
            _add(file, number, resource, {}, parsed)
    except json.JSONDecodeError as exc:
        parsed.problems.append(f"{file.relative}:{exc.lineno}: not a JSON document: {exc.msg}")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        parsed.problems.append(f"{file.relative}:1: cannot be read: {exc}")


def _parse_bundle(file: InputFile, document: Any, parsed: _Parsed) -> None:
    if not isinstance(document, dict) or document.get("resourceType") not in ("Bundle", None):
        if isinstance(document, dict) and "resourceType" in document:
            _add(file, 1, document, {}, parsed)
            return
        parsed.problems.append(f"{file.relative}:1: not a FHIR Bundle or resource (no resourceType)")
        return
    entries = document.get("entry") or []
    full_urls = {
        entry["fullUrl"]: f"{entry['resource'].get('resourceType')}/{entry['resource'].get('id')}"
        for entry in entries
        if isinstance(entry, dict) and entry.get("fullUrl") and isinstance(entry.get("resource"), dict)
    }
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        _add(file, index + 1, resource, full_urls, parsed, where=f"entry[{index}]")


def _add(
    file: InputFile,
    line: int,
    resource: Any,
    full_urls: Mapping[str, str],
    parsed: _Parsed,
    where: str = "",
) -> None:
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        place = f" ({where})" if where else ""
        parsed.rejections.append(Rejection(file.relative, line, f"not a FHIR resource: no resourceType{place}"))
        return
    parsed.resources.append((file, resource, full_urls))


def _patient_ids(parsed: _Parsed) -> list[str]:
    ids = {r["id"] for _, r, _ in parsed.resources if r["resourceType"] == "Patient" and r.get("id")}
    for _, resource, full_urls in parsed.resources:
        for reference in _references(resource):
            target = full_urls.get(reference, reference)
            if target.startswith("Patient/"):
                ids.add(target.removeprefix("Patient/"))
    return sorted(ids)


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            yield reference
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


@dataclass
class _Resolver:
    full_urls: Mapping[str, str]
    pseudonyms: Mapping[str, str]

    def rewrite(self, reference: str) -> str:
        target = self.full_urls.get(reference, reference)
        if target.startswith("Patient/"):
            return "Patient/" + self.pseudonyms[target.removeprefix("Patient/")]
        return target.removeprefix("urn:uuid:")


def _deidentify(resource: dict[str, Any], resolver: _Resolver) -> dict[str, Any]:
    clean: dict[str, Any] = _strip(resource, resolver)
    if resource["resourceType"] == "Patient":
        for name in PATIENT_REMOVED:
            clean.pop(name, None)
        clean["id"] = resolver.pseudonyms.get(resource.get("id", ""), None)
        clean["extension"] = [
            e for e in clean.get("extension", []) if not str(e.get("url", "")).endswith(REMOVED_EXTENSIONS)
        ]
        if "birthDate" in clean:
            clean["birthDate"] = clean["birthDate"][:4]
        if "deceasedDateTime" in clean:
            clean["deceasedDateTime"] = clean["deceasedDateTime"][:4]
    return clean


def _strip(value: Any, resolver: _Resolver) -> Any:
    """Remove narratives, reference displays and attachment data; rewrite references."""
    if isinstance(value, list):
        return [_strip(item, resolver) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for name, item in value.items():
        if name == "text" and isinstance(item, dict) and "div" in item:
            continue
        if name == "data" and "contentType" in value:
            continue
        out[name] = _strip(item, resolver)
    if isinstance(out.get("reference"), str):
        out["reference"] = resolver.rewrite(out["reference"])
        out.pop("display", None)
    if out.get("resourceType") == "Patient" and "id" in out:
        out["id"] = resolver.pseudonyms.get(out["id"])
    return out


def _first_coding(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    for name in CODE_FIELDS:
        concept = resource.get(name)
        if isinstance(concept, list):
            concept = concept[0] if concept else None
        if isinstance(concept, dict) and concept.get("coding"):
            coding = concept["coding"][0]
            if isinstance(coding, dict):
                return coding
    return {}


def _start(resource: Mapping[str, Any]) -> str | None:
    for path in DATE_FIELDS:
        value: Any = resource
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, str):
            return value
    return None


def _reference_id(resource: Mapping[str, Any], names: Sequence[str], prefix: str) -> str | None:
    for name in names:
        item = resource.get(name)
        if isinstance(item, dict) and str(item.get("reference", "")).startswith(prefix):
            return str(item["reference"]).removeprefix(prefix)
    return None


def _row(resource: Mapping[str, Any]) -> dict[str, Any]:
    coding = _first_coding(resource)
    return {
        "id": resource.get("id"),
        "patient": _reference_id(resource, PATIENT_REFERENCE_FIELDS, "Patient/"),
        "encounter": _reference_id(resource, ("encounter", "context"), "Encounter/"),
        "status": resource.get("status") if isinstance(resource.get("status"), str) else None,
        "code_system": coding.get("system"),
        "code": coding.get("code"),
        "code_display": coding.get("display"),
        "start": _start(resource),
        "resource": json.dumps(resource, sort_keys=True, separators=(",", ":")),
    }


def _patient_row(resource: Mapping[str, Any]) -> dict[str, Any]:
    birth = str(resource.get("birthDate") or "")[:4]
    deceased = resource.get("deceasedDateTime")
    return {
        "id": resource.get("id"),
        "patient": resource.get("id"),
        "gender": resource.get("gender"),
        "birth_year": int(birth) if birth.isdigit() else None,
        "deceased": bool(deceased) or bool(resource.get("deceasedBoolean")),
        "deceased_year": int(str(deceased)[:4]) if deceased else None,
        "resource": json.dumps(resource, sort_keys=True, separators=(",", ":")),
    }
