"""BIDS datasets → ``participants``, ``sessions``, ``scans`` and ``phenotype`` tables.

The source's location is one BIDS dataset (it holds ``dataset_description.json``)
or a folder of datasets; the ``dataset`` column names which. Images stay in
their files; rows reference them.

- ``participants``: ``participants.tsv``, its columns as typed by the file;
- ``sessions``: one row per ``ses-*`` folder, with the columns of the
  subject's ``sessions.tsv`` when it has one;
- ``scans``: one row per data file under ``sub-*/[ses-*/]<datatype>/``: its
  BIDS entities, suffix and extension, its size and digest, and its JSON
  sidecar merged by the inheritance principle (dataset → subject → session
  → datatype folder);
- ``phenotype``: ``phenotype/*.tsv`` in long form (measure, variable, value).

Participant labels are pseudonymised everywhere: in ``participant_id``
(``sub-<pseudonym>``) and inside the paths of files. The descriptor's
treatments apply to the columns that come from the TSV files, which are
also checked for names that look identifying. ``derivatives/`` and
``sourcedata/`` are not read.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from bulle.policies import Source

from .loads import FILE_COLUMN, InputFile, TableRead, static_read
from .pseudonym import PseudonymKey, pseudonymise
from .readers import Reads
from .treatments import treat_batch

SKIPPED_FOLDERS = ("derivatives", "sourcedata", "code")
_SUBJECT = re.compile(r"sub-([A-Za-z0-9]+)")
_ENTITY = re.compile(r"([a-zA-Z]+)-([A-Za-z0-9+]+)")


@dataclass
class _Dataset:
    name: str
    prefix: str
    files: dict[str, InputFile] = field(default_factory=dict)


def read_bids(source: Source, files: Sequence[InputFile], key: PseudonymKey, policy_dir: Path) -> Reads:
    reads = Reads()
    datasets = _datasets(files, reads)
    labels = sorted({m.group(1) for f in files for m in _SUBJECT.finditer(f.relative)})
    pseudonyms = dict(zip(labels, pseudonymise(key, pa.array(labels, pa.string())).to_pylist(), strict=True))
    builders = (
        ("participants", _participants, False),
        ("sessions", _sessions, False),
        ("scans", _scans, True),
        ("phenotype", _phenotype, True),
    )
    for name, build, fixed in builders:
        tables: list[pa.Table] = []
        for dataset in datasets:
            try:
                built = build(dataset, pseudonyms)
            except (pa.ArrowInvalid, ValueError, OSError) as exc:
                reads.problems.append(f"{dataset.name}: {name}: {exc}")
                continue
            if built is not None and built.num_rows:
                tables.append(built)
        if tables:
            reads.tables.append(_table_read(name, files, tables, source, key, fixed))
    return reads


def _datasets(files: Sequence[InputFile], reads: Reads) -> list[_Dataset]:
    roots = sorted(
        f.relative.removesuffix("dataset_description.json")
        for f in files
        if f.relative.endswith("dataset_description.json") and f.relative.count("/") <= 1
    )
    if not roots:
        reads.problems.append("no dataset_description.json at the location or in its sub-folders: not a BIDS dataset")
        return []
    datasets = [_Dataset(prefix.rstrip("/") or ".", prefix) for prefix in roots]
    for file in files:
        owners = [d for d in datasets if file.relative.startswith(d.prefix)]
        if not owners:
            reads.skipped.append(f"{file.relative}: outside every BIDS dataset of the location")
            continue
        owner = max(owners, key=lambda d: len(d.prefix))
        inner = file.relative.removeprefix(owner.prefix)
        if inner.split("/", 1)[0] in SKIPPED_FOLDERS:
            continue
        owner.files[inner] = file
    return datasets


def _table_read(
    name: str, files: Sequence[InputFile], tables: list[pa.Table], source: Source, key: PseudonymKey, fixed: bool
) -> TableRead:
    data = pa.concat_tables(tables, promote_options="permissive")
    counts = Counter(data.column(FILE_COLUMN).to_pylist())
    return static_read(name, list(files), treat_batch(data, source, key), counts, from_dictionary=fixed)


def _redact(path: str, pseudonyms: Mapping[str, str]) -> str:
    return _SUBJECT.sub(lambda m: f"sub-{pseudonyms[m.group(1)]}", path)


def _read_tsv(file: InputFile) -> pa.Table:
    """A BIDS TSV file, every column as text ("n/a" is null): datasets type the same column differently."""
    options = pa_csv.ConvertOptions(null_values=["n/a", ""], strings_can_be_null=True)
    table = pa_csv.read_csv(file.path, parse_options=pa_csv.ParseOptions(delimiter="\t"), convert_options=options)
    return table.cast(pa.schema([pa.field(name, pa.string()) for name in table.column_names]))


def _with_columns(table: pa.Table, columns: Mapping[str, Any], file_key: str) -> pa.Table:
    """``columns`` (constants) in front of ``table``, and the file's key at the end."""
    count = table.num_rows
    for position, (name, value) in enumerate(columns.items()):
        array = value if isinstance(value, pa.Array) else pa.array([value] * count, pa.string())
        table = table.add_column(position, name, array)
    keys = pa.array([file_key] * count, pa.string())
    return table.append_column(FILE_COLUMN, keys)


def _participant_column(values: Iterable[Any], pseudonyms: Mapping[str, str]) -> pa.Array:
    return pa.array([f"sub-{pseudonyms[str(v).removeprefix('sub-')]}" for v in values], pa.string())


def _participants(dataset: _Dataset, pseudonyms: Mapping[str, str]) -> pa.Table | None:
    file = dataset.files.get("participants.tsv")
    if file is None:
        return None
    table = _read_tsv(file)
    if "participant_id" not in table.column_names:
        raise ValueError("participants.tsv has no participant_id column")
    ids = _participant_column(table.column("participant_id").to_pylist(), pseudonyms)
    table = table.drop_columns(["participant_id"])
    return _with_columns(table, {"dataset": dataset.name, "participant_id": ids}, file.key)


def _sessions(dataset: _Dataset, pseudonyms: Mapping[str, str]) -> pa.Table | None:
    parts = []
    folders = sorted({tuple(p.split("/")[:2]) for p in dataset.files if re.match(r"sub-[^/]+/ses-[^/]+/", p)})
    by_subject: dict[str, list[str]] = {}
    for subject, session in folders:
        by_subject.setdefault(subject, []).append(session)
    for subject, sessions in sorted(by_subject.items()):
        sessions_file = dataset.files.get(f"{subject}/{subject}_sessions.tsv")
        table = pa.table({"session_id": pa.array(sessions, pa.string())})
        if sessions_file is not None:
            listed = _read_tsv(sessions_file)
            table = table.join(listed, "session_id", join_type="left outer").sort_by("session_id")
        anchor = sessions_file or next(f for p, f in sorted(dataset.files.items()) if p.startswith(subject + "/"))
        ids = _participant_column([subject] * table.num_rows, pseudonyms)
        parts.append(_with_columns(table, {"dataset": dataset.name, "participant_id": ids}, anchor.key))
    return pa.concat_tables(parts, promote_options="permissive") if parts else None


def _entities(name: str) -> tuple[dict[str, str], str, str]:
    """BIDS entities, suffix and extension of a file name."""
    stem, dot, extension = name.partition(".")
    pieces = stem.split("_")
    entities = dict(m.groups() for piece in pieces if (m := _ENTITY.fullmatch(piece)))
    suffix = pieces[-1] if not _ENTITY.fullmatch(pieces[-1]) else ""
    return entities, suffix, dot + extension


def _sidecar(dataset: _Dataset, path: str, cache: dict[str, Any]) -> str | None:
    """The merged JSON sidecar of a data file (inheritance principle, shallow to deep)."""
    folder, _, name = path.rpartition("/")
    entities, suffix, _ = _entities(name)
    merged: dict[str, Any] = {}
    candidates = []
    for other in dataset.files:
        if not other.endswith(".json"):
            continue
        other_folder, _, other_name = other.rpartition("/")
        if other_folder and not (folder == other_folder or folder.startswith(other_folder + "/")):
            continue
        other_entities, other_suffix, _ = _entities(other_name)
        if other_suffix == suffix and other_entities.items() <= entities.items():
            candidates.append((other.count("/"), len(other_entities), other))
    for _, _, other in sorted(candidates):
        if other not in cache:
            cache[other] = json.loads(dataset.files[other].path.read_text(encoding="utf-8"))
        merged.update(cache[other])
    return json.dumps(merged, sort_keys=True) if merged else None


def _scans(dataset: _Dataset, pseudonyms: Mapping[str, str]) -> pa.Table | None:
    rows = []
    cache: dict[str, Any] = {}
    for path, file in sorted(dataset.files.items()):
        parts = path.split("/")
        if not parts[0].startswith("sub-") or len(parts) < 3 or path.endswith(".json"):
            continue
        datatype = parts[-2]
        if datatype.startswith("ses-"):
            continue  # a session-level file (scans.tsv), not data
        entities, suffix, extension = _entities(parts[-1])
        subject = entities.pop("sub", parts[0].removeprefix("sub-"))
        session = entities.pop("ses", None)
        rows.append(
            {
                "dataset": dataset.name,
                "participant_id": f"sub-{pseudonyms[subject]}",
                "session_id": f"ses-{session}" if session else None,
                "datatype": datatype,
                "suffix": suffix,
                "extension": extension,
                "entities": json.dumps(entities, sort_keys=True),
                "file": _redact(file.relative, pseudonyms),
                "file_size": file.size,
                "sidecar": _sidecar(dataset, path, cache),
                FILE_COLUMN: file.key,
            }
        )
    return pa.Table.from_pylist(rows, schema=SCANS) if rows else None


SCANS = pa.schema(
    [
        ("dataset", pa.string()),
        ("participant_id", pa.string()),
        ("session_id", pa.string()),
        ("datatype", pa.string()),
        ("suffix", pa.string()),
        ("extension", pa.string()),
        ("entities", pa.string()),
        ("file", pa.string()),
        ("file_size", pa.int64()),
        ("sidecar", pa.string()),
        (FILE_COLUMN, pa.string()),
    ]
)


def _phenotype(dataset: _Dataset, pseudonyms: Mapping[str, str]) -> pa.Table | None:
    rows = []
    for path, file in sorted(dataset.files.items()):
        if not (path.startswith("phenotype/") and path.endswith(".tsv")):
            continue
        table = _read_tsv(file)
        measure = path.removeprefix("phenotype/").removesuffix(".tsv")
        for record in table.to_pylist():
            participant = f"sub-{pseudonyms[str(record.pop('participant_id')).removeprefix('sub-')]}"
            for variable, value in record.items():
                rows.append(
                    {
                        "dataset": dataset.name,
                        "measure": measure,
                        "participant_id": participant,
                        "variable": variable,
                        "value": None if value is None else str(value),
                        FILE_COLUMN: file.key,
                    }
                )
    schema = pa.schema([(n, pa.string()) for n in ("dataset", "measure", "participant_id", "variable", "value")])
    return pa.Table.from_pylist(rows, schema=schema.append(pa.field(FILE_COLUMN, pa.string()))) if rows else None
