"""Synthetic, linked SNDS-shaped and OMOP-shaped files for N patients (``bulle synth``).

The columns of every table come from the table definitions bulle ships (the
SNDS Table Schema files, the OMOP CDM field table); the values are drawn by
type and constraint, seeded, a chunk of rows at a time with NumPy, so one
call scales from a hundred rows to tens of millions in bounded memory.

What links the files, as in the real sources:

- SNDS: one beneficiary per patient (``IR_BEN_R``, key ``BEN_NIR_PSA``); care
  (``ER_PRS_F``, split into several files as monthly deliveries are) points at
  it, pharmacy lines (``ER_PHA_F``) at their care line by the nine DCIR join
  keys, hospital stays (``T_MCOaaB``/``C``/``D``) share ``ETA_NUM``+``RSA_NUM``
  and ``T_MCOaaC.NIR_ANO_17`` is the patient's key; deaths (``KI_CCI_R``) too.
  Files are ``;``-delimited, as SNDS extracts are.
- OMOP: every clinical table points at ``person.person_id``, clinical events at
  their visit; ``person_source_value`` is the patient's SNDS key, so after
  pseudonymisation the two sources join on the same pseudonym.

Patient *i* is the same person in both families for the same seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from .dictionary import OMOP_DICTIONARIES, load_dictionary

CHUNK_ROWS = 1 << 20
FIRST_DAY = np.datetime64("2015-01-01")
DAYS = 365 * 9
ER_PRS_F_NARROW = (
    *("BEN_NIR_PSA", "BEN_RNG_GEM", "EXE_SOI_DTD", "EXE_SOI_DTF", "PRS_NAT_REF", "PSE_SPE_COD", "PRS_ACT_QTE"),
    *("BSE_REM_MNT", "PRS_PAI_MNT", "DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_TRT_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD"),
    *("FLX_EMT_TYP", "ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF"),
)
DCIR_KEYS = ("DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD", "FLX_EMT_TYP", "FLX_TRT_DTD")
DCIR_KEYS += ("ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF")
PSY_CONDITIONS = (440383, 435783, 436665, 442077, 4329847, 201820, 320128)  # depression ... hypertension
DRUGS = (739138, 703547, 785788, 1125315, 1308216)
MEASUREMENTS = (3004249, 3012888, 3027018, 3038553)
ICD10 = ("F32", "F20", "F31", "F41", "I21", "E11", "I10", "F10")


@dataclass(frozen=True)
class Patients:
    """The population: patient *i*'s SNDS key, sex (1 male, 2 female), birth year and department."""

    nir: np.ndarray
    sex: np.ndarray
    birth_year: np.ndarray
    department: np.ndarray

    @classmethod
    def make(cls, count: int, seed: int) -> Patients:
        rng = np.random.default_rng([seed, 0])
        letters = rng.integers(65, 91, size=(count, 17), dtype=np.uint8)
        nir = letters.view("S17").ravel().astype(str)
        departments = np.array([f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B", "974"])
        return cls(
            nir=nir,
            sex=rng.integers(1, 3, size=count),
            birth_year=rng.integers(1930, 2008, size=count),
            department=departments[rng.integers(0, len(departments), size=count)],
        )


# -- values by type --------------------------------------------------------------------------------


def _dates(rng: np.random.Generator, size: int) -> np.ndarray:
    return FIRST_DAY + rng.integers(0, DAYS, size=size).astype("timedelta64[D]")


def _codes(rng: np.random.Generator, size: int, length: int, pool: int = 50) -> np.ndarray:
    alphabet = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)
    words = alphabet[rng.integers(0, len(alphabet), size=(pool, length))].view(f"S{length}").ravel().astype(str)
    return words[rng.integers(0, pool, size=size)]


def generic_values(rng: np.random.Generator, field: Mapping[str, Any], size: int) -> np.ndarray:
    """Values of one Table Schema field, drawn within its type and constraints."""
    kind = field.get("type", "string")
    if kind == "empty":
        return np.full(size, None, dtype=object)
    constraints = field.get("constraints") or {}
    if kind == "integer":
        low = int(constraints.get("minimum", 0))
        high = int(min(constraints.get("maximum", 999), low + 999))
        return rng.integers(low, high + 1, size=size)
    if kind == "number":
        return np.round(rng.uniform(0, min(float(constraints.get("maximum", 1000)), 1000.0), size=size), 2)
    if kind in ("date", "datetime"):
        return _dates(rng, size)
    if kind == "boolean":
        return rng.integers(0, 2, size=size)
    if kind == "year":
        return rng.integers(1930, 2024, size=size)
    if kind == "yearmonth":
        return rng.integers(2015, 2024, size=size) * 100 + rng.integers(1, 13, size=size)
    length = int(constraints.get("maxLength") or str(field.get("length") or "6").split(",")[0] or 6)
    return _codes(rng, size, max(1, min(length, 8)))


# -- SNDS -----------------------------------------------------------------------------------------


def snds_schemas() -> dict[str, dict[str, Any]]:
    folder = resources.files(__package__).joinpath("dictionaries", "snds")
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


Linked = Callable[[np.random.Generator, np.ndarray], Mapping[str, np.ndarray]]


def _patient_columns(patients: Patients, who: np.ndarray, key: str = "BEN_NIR_PSA") -> dict[str, np.ndarray]:
    return {
        key: patients.nir[who],
        "BEN_RNG_GEM": np.ones(len(who), dtype=np.int64),
        "BEN_SEX_COD": patients.sex[who],
        "BEN_NAI_ANN": patients.birth_year[who],
        "BEN_RES_DPT": patients.department[who],
    }


def _dcir_keys(index: np.ndarray) -> dict[str, np.ndarray]:
    """The nine DCIR join keys of care line ``index``: a pure function, so ER_PHA_F can point at it."""
    return {
        "DCT_ORD_NUM": index,
        "FLX_DIS_DTD": FIRST_DAY + (index % DAYS).astype("timedelta64[D]"),
        "FLX_EMT_NUM": index % 97,
        "FLX_EMT_ORD": index % 9973,
        "FLX_EMT_TYP": index % 7,
        "FLX_TRT_DTD": FIRST_DAY + ((index * 7) % DAYS).astype("timedelta64[D]"),
        "ORG_CLE_NUM": np.char.add("01C", (index % 999).astype(str)),
        "PRS_ORD_NUM": index % 99991,
        "REM_TYP_AFF": index % 3,
    }


@dataclass(frozen=True)
class TablePlan:
    """How many rows a table gets, and which columns are linked rather than drawn."""

    name: str
    rows: int
    linked: Callable[[np.random.Generator, np.ndarray], Mapping[str, Any]]
    files: int = 1


def snds_plans(patients: Patients, care_per_patient: int, files: int) -> list[TablePlan]:
    count = len(patients.nir)
    care = count * care_per_patient
    stays = max(1, count // 6)

    def beneficiaries(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        return _patient_columns(patients, rows)

    def care_lines(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        start = _dates(rng, len(rows))
        return {
            **_patient_columns(patients, rng.integers(0, count, size=len(rows))),
            **_dcir_keys(rows),
            "EXE_SOI_DTD": start,
            "EXE_SOI_DTF": start + rng.integers(0, 3, size=len(rows)).astype("timedelta64[D]"),
        }

    def pharmacy(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        return _dcir_keys(rng.integers(0, care, size=len(rows)))

    def stay_keys(rows: np.ndarray) -> dict[str, np.ndarray]:
        return {"ETA_NUM": 130000000 + rows % 211, "RSA_NUM": rows}

    def stays_b(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        return {**stay_keys(rows), "DGN_PAL": np.array(ICD10)[rng.integers(0, len(ICD10), size=len(rows))]}

    def stays_c(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        who = (rows * 2654435761) % count
        return {**stay_keys(rows), "NIR_ANO_17": patients.nir[who], "ENT_DAT": _dates(rng, len(rows))}

    def diagnoses(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        stay = rows // 2
        return {**stay_keys(stay), "ASS_DGN": np.array(ICD10)[rng.integers(0, len(ICD10), size=len(rows))]}

    def deaths(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        who = (rows * 97) % count
        return {
            **_patient_columns(patients, who, key="BEN_NIR_ANO"),
            "BEN_IDT_ANO": patients.nir[who],
            "DCD_CIM_COD": np.array(ICD10)[rng.integers(0, len(ICD10), size=len(rows))],
        }

    return [
        TablePlan("IR_BEN_R", count, beneficiaries),
        TablePlan("ER_PRS_F", care, care_lines, files),
        TablePlan("ER_PHA_F", max(1, care // 4), pharmacy),
        TablePlan("T_MCOaaB", stays, stays_b),
        TablePlan("T_MCOaaC", stays, stays_c),
        TablePlan("T_MCOaaD", stays * 2, diagnoses),
        TablePlan("KI_CCI_R", max(1, count // 100), deaths),
    ]


# -- OMOP -----------------------------------------------------------------------------------------


def omop_plans(patients: Patients, events_per_patient: int) -> list[TablePlan]:
    count = len(patients.nir)
    visits = count * events_per_patient

    def pick(rng: np.random.Generator, pool: tuple[int, ...], size: int) -> np.ndarray:
        return np.array(pool)[rng.integers(0, len(pool), size=size)]

    def person(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        return {
            "person_id": rows + 1,
            "gender_concept_id": np.where(patients.sex[rows] == 1, 8507, 8532),
            "year_of_birth": patients.birth_year[rows],
            "race_concept_id": np.full(len(rows), 8527),
            "ethnicity_concept_id": np.full(len(rows), 38003564),
            "person_source_value": patients.nir[rows],
            "gender_source_value": np.where(patients.sex[rows] == 1, "M", "F"),
        }

    def period(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        return {
            "observation_period_id": rows + 1,
            "person_id": rows + 1,
            "observation_period_start_date": np.full(len(rows), FIRST_DAY),
            "observation_period_end_date": np.full(len(rows), FIRST_DAY + np.timedelta64(DAYS, "D")),
            "period_type_concept_id": np.full(len(rows), 32817),
        }

    def event(
        table: str, concept: str, date: str, pool: tuple[int, ...], per_visit: int
    ) -> Callable[..., Mapping[str, Any]]:
        def make(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
            visit = rows // per_visit
            day = FIRST_DAY + ((visit * 31) % DAYS).astype("timedelta64[D]")
            return {
                f"{table}_id": rows + 1,
                "person_id": visit % count + 1,
                concept: pick(rng, pool, len(rows)),
                date: day,
                "visit_occurrence_id": visit + 1,
            }

        return make

    def visit(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        day = FIRST_DAY + ((rows * 31) % DAYS).astype("timedelta64[D]")
        return {
            "visit_occurrence_id": rows + 1,
            "person_id": rows % count + 1,
            "visit_concept_id": pick(rng, (9201, 9202, 9203), len(rows)),
            "visit_start_date": day,
            "visit_end_date": day,
            "visit_type_concept_id": np.full(len(rows), 32817),
        }

    def death(rng: np.random.Generator, rows: np.ndarray) -> Mapping[str, Any]:
        return {"person_id": (rows * 97) % count + 1, "death_date": _dates(rng, len(rows))}

    return [
        TablePlan("person", count, person),
        TablePlan("observation_period", count, period),
        TablePlan("visit_occurrence", visits, visit),
        TablePlan(
            "condition_occurrence",
            visits,
            event("condition_occurrence", "condition_concept_id", "condition_start_date", PSY_CONDITIONS, 1),
        ),
        TablePlan(
            "drug_exposure",
            visits,
            event("drug_exposure", "drug_concept_id", "drug_exposure_start_date", DRUGS, 1),
        ),
        TablePlan(
            "measurement",
            visits * 2,
            event("measurement", "measurement_concept_id", "measurement_date", MEASUREMENTS, 2),
        ),
        TablePlan("death", max(1, count // 100), death),
    ]


# -- writing --------------------------------------------------------------------------------------


def _chunks(rows: int) -> Iterator[np.ndarray]:
    for start in range(0, rows, CHUNK_ROWS):
        yield np.arange(start, min(rows, start + CHUNK_ROWS), dtype=np.int64)


def _write(
    plan: TablePlan,
    fields: list[dict[str, Any]],
    folder: Path,
    stem: str,
    delimiter: str,
    seed: int,
    table_index: int,
) -> list[Path]:
    names = [f["name"] for f in fields]
    written = []
    for part, rows in enumerate(np.array_split(np.arange(plan.rows, dtype=np.int64), plan.files)):
        path = folder / (f"{stem}_{part + 1:03d}.csv" if plan.files > 1 else f"{stem}.csv")
        rng = np.random.default_rng([seed, table_index, part])
        options = pa_csv.WriteOptions(delimiter=delimiter, quoting_style="none", quoting_header="none")
        writer = None
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            linked = plan.linked(rng, chunk)
            arrays = [
                pa.array(linked[f["name"]] if f["name"] in linked else generic_values(rng, f, len(chunk)))
                for f in fields
            ]
            batch = pa.RecordBatch.from_arrays(arrays, names=names)
            if writer is None:
                writer = pa_csv.CSVWriter(str(path), batch.schema, write_options=options)
            writer.write_batch(batch)
        if writer is None:
            pa_csv.write_csv(pa.table({n: pa.array([], pa.string()) for n in names}), str(path), options)
        else:
            writer.close()
        written.append(path)
    return written


def write_snds(
    folder: Path,
    patients: int,
    seed: int,
    *,
    care_per_patient: int = 8,
    files: int = 4,
    narrow: bool = False,
    only: Collection[str] | None = None,
) -> list[Path]:
    """SNDS-shaped files for ``patients`` beneficiaries into ``folder`` (``only`` these tables); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    schemas = snds_schemas()
    population = Patients.make(patients, seed)
    written = []
    for index, plan in enumerate(snds_plans(population, care_per_patient, files)):
        if only is not None and plan.name not in only:
            continue
        fields = schemas[plan.name]["fields"]
        if narrow and plan.name == "ER_PRS_F":
            fields = [f for f in fields if f["name"] in ER_PRS_F_NARROW]
        written += _write(plan, fields, folder, plan.name, ";", seed, index + 1)
    return written


def write_omop(folder: Path, patients: int, seed: int, *, events_per_patient: int = 4) -> list[Path]:
    """OMOP-shaped CSV files (CDM 5.4 columns) for ``patients`` persons into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    dictionary = load_dictionary(next(iter(OMOP_DICTIONARIES)), folder)
    population = Patients.make(patients, seed)
    written = []
    for index, plan in enumerate(omop_plans(population, events_per_patient)):
        fields = [_omop_field(c.name, c.type) for c in dictionary[plan.name]]
        written += _write(plan, fields, folder, plan.name.upper(), ",", seed, 100 + index)
    return written


def _omop_field(name: str, column_type: str) -> dict[str, Any]:
    """A Table Schema-like field for an OMOP column: concepts not drawn are 0 (no matching concept), the rest empty."""
    if name.endswith("_concept_id"):
        return {"name": name, "type": "integer", "constraints": {"minimum": 0, "maximum": 0}}
    return {"name": name, "type": "empty"}
