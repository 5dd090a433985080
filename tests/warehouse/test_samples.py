"""Each kind of real third-party sample ingests: row counts match, no identifier survives, pseudonyms join.

The samples are the shared data set (see ``conftest.shared_data``); every source is loaded once
into one warehouse for the module, then each test checks one source.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import warnings
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from warehouse_helpers import (
    KEY_SECRET,
    assert_no_identifier,
    identifiers_block,
    read_tables,
    run_ingest,
    write_policy,
)

from bulle.warehouse.config import Warehouse
from bulle.warehouse.report import LoadReport

OMOP_IDENTIFIERS = """\
identifiers:
  person_id: pseudonymise
  person_source_value: pseudonymise
  provider_name: drop
  npi: drop
  dea: drop
  address_1: drop
  address_2: drop
  note_text: drop
  birth_datetime: {generalise: year}
"""
SNDS_IDENTIFIERS = identifiers_block("snds")
# The upstream SNDS schemas type some month columns as dates and some codes as integers,
# where their own synthetic rows hold "05" or "MB1": the descriptor corrects them.
SNDS_TEXT_COLUMNS = [
    "ACT_MOI",
    "ADM_MOIS",
    "BEN_NAI_MOI",
    "DTE_MOI_FIN",
    "ENT_DAT",
    "ENT_MOI",
    "ETA_NUM",
    "EXE_SOI_DTD",
    "EXE_SOI_DTF",
    "FIN_MOI_SEQ",
    "GES_GRG_COD",
    "MOI",
    "MOIS",
    "MOI_DEB",
    "MOI_FIN",
    "MOI_LUN_1S",
    "MOI_PO",
    "MOI_POS",
    "PFS_MAJ_DAT",
    "POS_MOI",
    "RAL_ACT_MOI",
    "SEJ_LUN_MOI",
    "SEJ_RET",
    "SEQ_FIN_MOI",
    "SOIN_MOI",
    "SOI_MOI",
    "SOR_DAT",
    "SOR_MOI",
    "SOR_MOI_SSEQ",
    "TOP_GEN",
]
VCF_FILES = (
    "cyvcf2-tests/test.vcf.gz",
    "cyvcf2-tests/test.snpeff.bcf",
    "cyvcf2-tests/test-hemi.vcf",
    "cyvcf2-tests/test.comp_het.3.vcf",
    "htslib-tests/index.vcf",
)


def descriptors(data: Path) -> dict[str, str]:
    snds = data / "snds-synthetic" / "schemas"
    text_types = ", ".join(f"{c}: string" for c in SNDS_TEXT_COLUMNS)
    return {
        "eunomia": f"name: eunomia\nkind: omop\nlocation: {data}/omop-eunomia-synthea27nj/csv\nnamespace: omop\n"
        + OMOP_IDENTIFIERS,
        "eunomia-parquet": "name: eunomia-parquet\nkind: omop\n"
        f"location: {data}/omop-eunomia-synthea27nj/parquet\nnamespace: omop_parquet\n" + OMOP_IDENTIFIERS,
        "synthea": f"name: synthea\nkind: fhir\nlocation: {data}/fhir-synthea-r4-bundles\nnamespace: fhir\n",
        "bulk": f"name: bulk\nkind: fhir\nlocation: {data}/fhir-synthea-bulk-ndjson-10-patients\n"
        'namespace: fhir_bulk\nfiles: ["*.ndjson.gz"]\n',
        "snds": f"name: snds\nkind: snds\nlocation: {snds}\nnamespace: snds\ndictionary: {snds}\n"
        f'delimiter: ","\nencoding: utf-8\ncolumn_types: {{{text_types}}}\n' + SNDS_IDENTIFIERS,
        "vcf": f"name: vcf\nkind: vcf\nlocation: {data}/vcf-samples\nnamespace: genomics\nfiles: {list(VCF_FILES)}\n",
        "dicom": f"name: dicom\nkind: dicom\nlocation: {data}/dicom-pydicom-testfiles/test_files\n"
        'namespace: imaging\nfiles: ["*.dcm", "dicomdirtests/**/*"]\nerror_budget: 10\n',
        "bids": f"name: bids\nkind: bids\nlocation: {data}/bids-examples\nnamespace: neuro\n"
        "identifiers:\n  genetic_id: pseudonymise\n",
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Warehouse, dict[str, LoadReport]]:
    root = tmp_path_factory.mktemp("samples")
    policy = write_policy(root / "policy", descriptors(shared_data))
    (root / "key").write_bytes(KEY_SECRET)
    settings = Warehouse(state_dir=str(root / "state"), pseudonym_key_file=str(root / "key"))
    reports = {name: run_ingest(settings, policy, name) for name in descriptors(shared_data)}
    for name, report in reports.items():
        assert report.committed, (name, report.problems, [t.problems for t in report.tables])
    return settings, reports


def csv_rows(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def column_values(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle) if row[column]}


def test_omop_eunomia_counts_identifiers_and_joins(loaded, shared_data: Path) -> None:
    settings, reports = loaded
    folder = shared_data / "omop-eunomia-synthea27nj" / "csv"
    tables = read_tables(settings, "omop")
    expected = {re.sub(r"\.csv(\.gz)?$", "", p.name).lower(): csv_rows(p) for p in folder.glob("*.csv*")}
    assert {name: t.num_rows for name, t in tables.items()} == expected
    assert tables["person"].num_rows == 28
    assert tables["concept_relationship"].num_rows == 266588
    assert_no_identifier(tables, column_values(folder / "PERSON.csv", "person_source_value"))
    people = set(tables["person"].column("person_id").to_pylist())
    assert len(people) == 28
    assert people.isdisjoint(range(1, 29)), "person ids are pseudonymised"
    for name in ("condition_occurrence", "visit_occurrence", "measurement", "observation", "death"):
        assert set(tables[name].column("person_id").to_pylist()) <= people, f"{name} joins person"
    assert reports["eunomia"].tables[0].rows_rejected == 0


def test_omop_parquet_gives_the_same_tables_as_csv(loaded) -> None:
    settings, _ = loaded
    from_csv = read_tables(settings, "omop")
    from_parquet = read_tables(settings, "omop_parquet")
    assert {n: t.num_rows for n, t in from_parquet.items()} == {n: t.num_rows for n, t in from_csv.items()}
    assert set(from_parquet["person"].column("person_id").to_pylist()) == set(
        from_csv["person"].column("person_id").to_pylist()
    )


def fhir_patients(resources: list[dict]) -> tuple[set[str], set[str]]:
    """Ids and identifying strings (names, identifiers, phones, address lines) of Patient resources."""
    ids, identifying = set(), set()
    for patient in (r for r in resources if r["resourceType"] == "Patient"):
        ids.add(patient["id"])
        identifying.update(i["value"] for i in patient.get("identifier", []))
        identifying.update(t["value"] for t in patient.get("telecom", []))
        identifying.update(line for a in patient.get("address", []) for line in a.get("line", []))
    return ids, identifying


def assert_fhir_deidentified(tables: dict[str, pa.Table], resources: list[dict]) -> None:
    counts = Counter(re.sub(r"(?<!^)(?=[A-Z])", "_", r["resourceType"]).lower() for r in resources)
    assert {name: t.num_rows for name, t in tables.items()} == dict(counts)
    ids, identifying = fhir_patients(resources)
    assert_no_identifier(tables, ids | identifying)
    # Synthea gives practitioners the same kind of generated names as patients ("Champlin946"):
    # those tables are checked for the patients' ids, numbers and addresses, not for names.
    names = {
        n
        for r in resources
        if r["resourceType"] == "Patient"
        for x in r.get("name", [])
        for n in [x.get("family", ""), *x.get("given", [])]
    }
    clinical = {
        name: t
        for name, t in tables.items()
        if name not in ("practitioner", "practitioner_role", "organization", "location")
    }
    assert_no_identifier(clinical, names, min_length=4)
    patients = set(tables["patient"].column("patient").to_pylist())
    assert len(patients) == len(ids)
    for name in ("encounter", "condition", "procedure"):
        assert set(tables[name].column("patient").to_pylist()) <= patients, f"{name} joins patient"


def test_fhir_bundles(loaded, shared_data: Path) -> None:
    settings, _ = loaded
    resources = []
    for path in (shared_data / "fhir-synthea-r4-bundles").glob("*.json"):
        resources += [entry["resource"] for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]]
    assert_fhir_deidentified(read_tables(settings, "fhir"), resources)


def test_fhir_bulk_ndjson(loaded, shared_data: Path) -> None:
    settings, _ = loaded
    resources = []
    for path in (shared_data / "fhir-synthea-bulk-ndjson-10-patients").glob("*.ndjson.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            resources += [json.loads(line) for line in handle if line.strip()]
    tables = read_tables(settings, "fhir_bulk")
    assert_fhir_deidentified(tables, resources)
    notes = tables["document_reference"].column("resource").to_pylist()
    assert all('"data"' not in note for note in notes), "free-text notes are removed"


def test_snds_all_tables(loaded, shared_data: Path) -> None:
    settings, _ = loaded
    schemas = shared_data / "snds-synthetic" / "schemas"
    tables = read_tables(settings, "snds")
    expected = {p.stem.lower(): csv_rows(p) for p in schemas.rglob("*.csv")}
    assert len(tables) == 191
    assert {name: t.num_rows for name, t in tables.items()} == expected
    # tsfaker drew the synthetic strings from one pool, so the same random string can be a
    # BEN_NIR_PSA in one table and a code in another: such values are not looked for.
    identifying = ("BEN_NIR_PSA", "BEN_NIR_ANO", "BEN_IDT_ANO", "NIR_ANO_17")
    identifiers, elsewhere = set(), set()
    for path in schemas.rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for column, value in row.items():
                    (identifiers if column in identifying else elsewhere).add(value or "")
    assert len(identifiers - elsewhere) >= 40
    assert_no_identifier(tables, identifiers - elsewhere)
    drivers = tables["er_trs_f"].column("TRS_CDR_NOM").to_pylist()
    assert all(re.fullmatch(r"[0-9a-f]{32}", name) for name in drivers if name is not None)


def test_vcf_variants_and_genotypes(loaded, shared_data: Path) -> None:
    import cyvcf2

    settings, _ = loaded
    tables = read_tables(settings, "genomics")
    records, calls, samples = 0, 0, set()
    for name in VCF_FILES:
        vcf = cyvcf2.VCF(str(shared_data / "vcf-samples" / name))
        samples.update(vcf.samples)
        count = sum(1 for _ in vcf)
        records += count
        with_genotypes = name != "htslib-tests/index.vcf"  # its one sample has no GT field
        calls += count * len(vcf.samples) if with_genotypes else 0
    assert tables["variants"].num_rows == records
    assert tables["genotypes"].num_rows == calls
    assert_no_identifier(tables, samples)
    assert len(set(tables["genotypes"].column("sample").to_pylist())) == 189 + 4 + 27 + 12


def test_dicom_instances(loaded, shared_data: Path) -> None:
    import pydicom

    settings, reports = loaded
    [instances] = read_tables(settings, "imaging").values()
    identifiers = set()
    readable = 0
    report = reports["dicom"]
    rejected = {r.file for r in report.rejections}
    skipped = {entry.split(":")[0] for entry in report.skipped_files}
    root = shared_data / "dicom-pydicom-testfiles" / "test_files"
    for path in [*root.glob("*.dcm"), *(p for p in (root / "dicomdirtests").rglob("*") if p.is_file())]:
        relative = path.relative_to(root).as_posix()
        if relative in rejected or relative in skipped:
            continue
        readable += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(path, stop_before_pixels=True)
        identifiers.update(str(dataset.get(k) or "") for k in ("PatientID", "SOPInstanceUID", "StudyInstanceUID"))
        name = str(dataset.get("PatientName") or "")
        identifiers.update(p for p in name.replace("^", " ").split() if len(p) > 4)
    assert instances.num_rows == readable > 90
    assert_no_identifier({"instances": instances}, identifiers)
    assert any("/77654033/" not in f and "dicomdirtests/" in f for f in instances.column("file").to_pylist())


def test_bids_tables(loaded, shared_data: Path) -> None:
    settings, _ = loaded
    tables = read_tables(settings, "neuro")
    root = shared_data / "bids-examples"
    expected_participants = sum(csv_rows_tsv(p) for p in root.glob("*/participants.tsv"))
    assert tables["participants"].num_rows == expected_participants
    assert tables["sessions"].num_rows == len(
        {p.parent for p in root.glob("*/sub-*/ses-*/*") if "derivatives" not in str(p)}
    )
    labels = {p.name.removeprefix("sub-") for p in root.glob("*/sub-*") if p.is_dir()}
    pattern = re.compile(r"sub-({})(?![0-9a-f])".format("|".join(map(re.escape, labels))))
    for name, table in tables.items():
        for field in table.schema:
            if pa.types.is_string(field.type):
                for value in table.column(field.name).to_pylist():
                    assert value is None or not pattern.search(value), f"a participant label survived in {name}"
    text = (root / "genetics_ukbb/participants.tsv").read_text(encoding="utf-8")
    genetic_ids = {r["genetic_id"] for r in csv.DictReader(text.splitlines(), delimiter="\t")}
    assert_no_identifier(tables, genetic_ids)
    participants = set(tables["participants"].column("participant_id").to_pylist())
    assert set(tables["scans"].column("participant_id").to_pylist()) <= participants | scans_only(tables)


def csv_rows_tsv(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def scans_only(tables: dict[str, pa.Table]) -> set[str]:
    """Participants with images but no participants.tsv row (none in these datasets)."""
    return set()


def test_re_ingesting_the_samples_is_a_no_op(loaded, shared_data: Path) -> None:
    settings, _ = loaded
    policy = Path(settings.state_dir).parent / "policy"
    for name in ("synthea", "vcf", "bids", "dicom"):
        again = run_ingest(settings, policy, name)
        assert again.tables == [], name
        assert again.status == "nothing new to load"
