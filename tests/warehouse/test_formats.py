"""Refusals of the fixed-format readers (FHIR, VCF, DICOM, BIDS) on bad input: precise, and nothing committed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from warehouse_helpers import data_files, run_ingest, write_policy

from bulle.warehouse.config import Warehouse
from bulle.warehouse.samples import write_bids, write_dicom, write_fhir, write_vcf
from bulle.warehouse.synth import Patients


def source(root: Path, kind: str, budget: int = 0) -> Path:
    text = f"name: {kind}\nkind: {kind}\nlocation: {root / 'data'}\nnamespace: {kind}_ns\nerror_budget: {budget}\n"
    return write_policy(root / "policy", {kind: text})


def assert_nothing_written(settings: Warehouse) -> None:
    assert data_files(Path(settings.state_dir)) == []


def test_ndjson_line_that_is_not_json_is_a_rejected_row(tmp_path: Path, settings: Warehouse) -> None:
    patients = Patients.make(3, seed=1)
    path = write_fhir(tmp_path / "data", patients, 3)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines.insert(1, '{"resourceType": "Patient", "id": ')
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    report = run_ingest(settings, source(tmp_path, "fhir"), "fhir")
    assert [str(r) for r in report.rejections] == ["cohort.ndjson.gz:2: not a JSON resource: Expecting value"]
    assert not report.committed
    assert_nothing_written(settings)
    within_budget = run_ingest(settings, source(tmp_path, "fhir", budget=1), "fhir")
    assert within_budget.committed
    assert {t.table: t.rows_written for t in within_budget.tables} == {"condition": 3, "encounter": 3, "patient": 3}


def test_truncated_bundle_is_refused(tmp_path: Path, settings: Warehouse) -> None:
    (tmp_path / "data").mkdir()
    text = json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": []})
    (tmp_path / "data" / "bundle.json").write_text(text[:-5], encoding="utf-8")
    report = run_ingest(settings, source(tmp_path, "fhir"), "fhir")
    assert report.problems[0].startswith("bundle.json:1: not a JSON document:")
    assert_nothing_written(settings)


def test_empty_vcf_is_refused(tmp_path: Path, settings: Warehouse) -> None:
    write_vcf(tmp_path / "data", Patients.make(4, seed=1), 4, seed=1)
    (tmp_path / "data" / "empty.vcf").write_bytes(b"")
    report = run_ingest(settings, source(tmp_path, "vcf"), "vcf")
    assert report.problems == ["empty.vcf:1: not a readable VCF/BCF file: the file is empty"]
    assert_nothing_written(settings)


def test_file_that_is_not_dicom_is_a_rejected_row(tmp_path: Path, settings: Warehouse) -> None:
    write_dicom(tmp_path / "data", Patients.make(2, seed=1), 2)
    (tmp_path / "data" / "notes.dcm").write_text("not an image", encoding="utf-8")
    report = run_ingest(settings, source(tmp_path, "dicom"), "dicom")
    [rejection] = report.rejections
    assert str(rejection).startswith("notes.dcm:1: not a readable DICOM file: File is missing DICOM File Meta")
    assert_nothing_written(settings)
    assert run_ingest(settings, source(tmp_path, "dicom", budget=1), "dicom").tables[0].rows_written == 2


def test_folder_without_dataset_description_is_not_bids(tmp_path: Path, settings: Warehouse) -> None:
    write_bids(tmp_path / "data", Patients.make(2, seed=1), 2)
    (tmp_path / "data" / "dataset_description.json").unlink()
    report = run_ingest(settings, source(tmp_path, "bids"), "bids")
    assert report.problems == ["no dataset_description.json at the location or in its sub-folders: not a BIDS dataset"]
    assert_nothing_written(settings)


def test_bids_participants_column_that_looks_identifying_is_refused(tmp_path: Path, settings: Warehouse) -> None:
    write_bids(tmp_path / "data", Patients.make(2, seed=1), 2)
    participants = tmp_path / "data" / "participants.tsv"
    lines = participants.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + "\tlast_name"] + [line + "\tDupont" for line in lines[1:]]
    participants.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_ingest(settings, source(tmp_path, "bids"), "bids")
    participants_report = next(t for t in report.tables if t.table == "participants")
    assert "last_name (its name says it holds a name ('name'))" in participants_report.problems[0]
    assert_nothing_written(settings)
