"""DICOM files (pydicom) → one ``instances`` row of metadata per file.

Only header elements from a fixed list are kept (:data:`KEPT`); pixel data
stays in the files, which rows reference by path and digest. On the way:

- PatientName and PatientID are removed; ``patient`` holds the pseudonym of
  PatientID, the same pseudonym the patient gets in every other source;
- study, series, instance and frame-of-reference UIDs are pseudonymised, so
  images still group by study and series but cannot be matched to the PACS;
- dates are generalised to their year (birth, study, series, acquisition);
- the file's path keeps its folders, except that a folder or file named after
  the patient (its id, or a part of its name) shows the pseudonym instead.

DICOMDIR index files describe a file-set, not an instance: they are skipped.
A file pydicom cannot read is a rejected row (``file:1: reason``).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from bulle.policies import Source

from .loads import FILE_COLUMN, InputFile, Rejection, static_read
from .pseudonym import PseudonymKey, pseudonymise
from .readers import Reads
from .treatments import treat_batch

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")
YEARS = ("PatientBirthDate", "StudyDate", "SeriesDate", "AcquisitionDate")
KEPT = (
    "SOPClassUID",
    "Modality",
    "PatientSex",
    "PatientAge",
    "BodyPartExamined",
    "StudyDescription",
    "SeriesDescription",
    "SeriesNumber",
    "InstanceNumber",
    "Manufacturer",
    "ManufacturerModelName",
    "Rows",
    "Columns",
    "NumberOfFrames",
)
SCHEMA = pa.schema(
    [
        ("patient", pa.string()),
        *[(_name, pa.string()) for _name in UIDS],
        *[(_name.replace("Date", "Year"), pa.int32()) for _name in YEARS],
        *[(_name, pa.string()) for _name in KEPT],
        ("TransferSyntaxUID", pa.string()),
        ("file", pa.string()),
        ("file_size", pa.int64()),
        (FILE_COLUMN, pa.string()),
    ]
)


def read_dicom(source: Source, files: Sequence[InputFile], key: PseudonymKey, policy_dir: Path) -> Reads:
    import pydicom
    from pydicom.errors import InvalidDicomError

    reads = Reads()
    rows: list[dict[str, Any]] = []
    patient_words: list[tuple[str, ...]] = []
    for file in files:
        # pydicom warns about odd values (an IS of "1A"); they are read as text, or rejected below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dataset = pydicom.dcmread(file.path, stop_before_pixels=True)
                if str(dataset.file_meta.get("MediaStorageSOPClassUID", "")) == DICOMDIR_SOP_CLASS:
                    reads.skipped.append(f"{file.relative}: a DICOMDIR index of a file-set, not an image")
                    continue
                rows.append(_row(dataset, file))
            except (InvalidDicomError, OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
                reads.rejections.append(Rejection(file.relative, 1, f"not a readable DICOM file: {exc}"))
                continue
        patient_words.append(_patient_words(dataset))
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    table = _pseudonymise_columns(table, key, patient_words)
    counts = Counter(row[FILE_COLUMN] for row in rows)
    reads.tables.append(static_read("instances", list(files), treat_batch(table, source, key), counts))
    return reads


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _year(value: Any) -> int | None:
    text = str(value or "")[:4]
    return int(text) if text.isdigit() else None


def _row(dataset: Any, file: InputFile) -> dict[str, Any]:
    row: dict[str, Any] = {"patient": _text(dataset.get("PatientID"))}
    row.update({name: _text(dataset.get(name)) for name in UIDS})
    row.update({name.replace("Date", "Year"): _year(dataset.get(name)) for name in YEARS})
    row.update({name: _text(dataset.get(name)) for name in KEPT})
    row["TransferSyntaxUID"] = _text(dataset.file_meta.get("TransferSyntaxUID"))
    row["file"] = file.relative
    row["file_size"] = file.size
    row[FILE_COLUMN] = file.key
    return row


def _patient_words(dataset: Any) -> tuple[str, ...]:
    words = [str(dataset.get("PatientID") or "")]
    name = dataset.get("PatientName")
    if name is not None:
        words += [part for part in str(name).replace("^", " ").split() if part]
    return tuple(word for word in words if len(word) >= 3)


def _pseudonymise_columns(table: pa.Table, key: PseudonymKey, patient_words: list[tuple[str, ...]]) -> pa.Table:
    for name in ("patient", *UIDS):
        table = table.set_column(table.schema.get_field_index(name), name, pseudonymise(key, table.column(name)))
    redacted = [
        _redact(path, words, patient)
        for path, words, patient in zip(
            table.column("file").to_pylist(), patient_words, table.column("patient").to_pylist(), strict=True
        )
    ]
    return table.set_column(table.schema.get_field_index("file"), "file", pa.array(redacted, pa.string()))


def _redact(path: str, words: tuple[str, ...], pseudonym: str | None) -> str:
    """``path`` with any part naming the patient replaced by the patient's pseudonym."""
    parts = []
    for part in path.split("/"):
        for word in words:
            if word in part:
                part = part.replace(word, pseudonym or "patient")
        parts.append(part)
    return "/".join(parts)
