"""Small generated FHIR, VCF, DICOM and BIDS samples of the synthetic population (for the demo).

The same patients as :mod:`.synth` (same seed): patient *i*'s SNDS key is its
FHIR Patient id, its DICOM PatientID, its VCF sample id and its BIDS
participant label, so once pseudonymised every source joins on one pseudonym.
Names, phone numbers and birth dates are there on purpose: they are what the
ingest must remove. Everything is generated here; nothing is copied.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from .synth import FIRST_DAY, PSY_CONDITIONS, Patients

GIVEN = ("Camille", "Louis", "Jeanne", "Hugo", "Chloé", "Jules", "Léa", "Arthur")
FAMILY = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand")


def _name(i: int) -> tuple[str, str]:
    return GIVEN[i % len(GIVEN)], f"{FAMILY[(i // len(GIVEN)) % len(FAMILY)]}{i}"


def write_fhir(folder: Path, patients: Patients, count: int) -> Path:
    """A bulk-export-style NDJSON (gzip) of Patient, Encounter and Condition resources."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(count):
        given, family = _name(i)
        pid = str(patients.nir[i])
        lines.append(
            {
                "resourceType": "Patient",
                "id": pid,
                "name": [{"family": family, "given": [given]}],
                "identifier": [
                    {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": f"2{patients.birth_year[i]}75{i:06d}"}
                ],
                "telecom": [{"system": "phone", "value": f"06 12 34 {i % 100:02d} {i % 97:02d}"}],
                "gender": "male" if patients.sex[i] == 1 else "female",
                "birthDate": f"{patients.birth_year[i]}-03-14",
                "address": [{"line": [f"{i} rue des Lilas"], "postalCode": f"{patients.department[i]}000"}],
            }
        )
        day = str(FIRST_DAY + np.timedelta64(i * 17 % 3000, "D"))
        lines.append(
            {
                "resourceType": "Encounter",
                "id": f"enc-{i}",
                "status": "finished",
                "subject": {"reference": f"Patient/{pid}", "display": f"{given} {family}"},
                "period": {"start": day},
            }
        )
        concept = PSY_CONDITIONS[i % len(PSY_CONDITIONS)]
        lines.append(
            {
                "resourceType": "Condition",
                "id": f"cond-{i}",
                "subject": {"reference": f"Patient/{pid}"},
                "encounter": {"reference": f"Encounter/enc-{i}"},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": str(concept)}]},
                "onsetDateTime": day,
            }
        )
    path = folder / "cohort.ndjson.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in lines)
    return path


def write_vcf(folder: Path, patients: Patients, count: int, seed: int) -> Path:
    """A VCF 4.2 file with a few variants and the samples' genotypes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 7])
    samples = [str(patients.nir[i]) for i in range(count)]
    header = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=1,length=248956422>",
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]),
    ]
    records = []
    for v, (pos, ref, alt) in enumerate([(1014143, "C", "T"), (1020217, "G", "A"), (1041200, "A", "G")]):
        calls = [f"{a}/{b}:{20 + v}" for a, b in rng.integers(0, 2, size=(count, 2)).tolist()]
        records.append("\t".join(["1", str(pos), f"rs{1000 + v}", ref, alt, "50", "PASS", "AF=0.1", "GT:DP", *calls]))
    path = folder / "cohort.vcf"
    path.write_text("\n".join(header + records) + "\n", encoding="utf-8")
    return path


def write_dicom(folder: Path, patients: Patients, count: int) -> list[Path]:
    """One tiny MR image per patient, in a folder named after the PatientID as PACS exports do."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

    written = []
    for i in range(count):
        pid = str(patients.nir[i])
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[pid, "instance"])
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / pid / "MR1" / "IM0001.dcm"
        path.parent.mkdir(parents=True, exist_ok=True)
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        given, family = _name(i)
        ds.PatientName = f"{family}^{given}"
        ds.PatientID = pid
        ds.PatientBirthDate = f"{patients.birth_year[i]}0314"
        ds.PatientSex = "M" if patients.sex[i] == 1 else "F"
        ds.StudyDate = "20230512"
        ds.Modality = "MR"
        ds.SOPClassUID = MRImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = generate_uid(entropy_srcs=[pid, "study"])
        ds.SeriesInstanceUID = generate_uid(entropy_srcs=[pid, "series"])
        ds.Rows, ds.Columns = 8, 8
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.PixelData = bytes(range(64))
        ds.save_as(path, enforce_file_format=True)
        written.append(path)
    return written


def write_bids(folder: Path, patients: Patients, count: int) -> Path:
    """A BIDS dataset: participants, one session with a T1w placeholder, and a PHQ-9 questionnaire."""
    folder.mkdir(parents=True, exist_ok=True)
    description = {"Name": "bulle demo cohort", "BIDSVersion": "1.9.0", "License": "CC0"}
    (folder / "dataset_description.json").write_text(json.dumps(description), encoding="utf-8")
    rows = ["participant_id\tage\tsex"]
    answers = ["participant_id\tphq9_total"]
    for i in range(count):
        label = str(patients.nir[i])
        rows.append(f"sub-{label}\t{2023 - patients.birth_year[i]}\t{'M' if patients.sex[i] == 1 else 'F'}")
        answers.append(f"sub-{label}\t{(i * 7) % 28}")
        anat = folder / f"sub-{label}" / "ses-01" / "anat"
        anat.mkdir(parents=True, exist_ok=True)
        (anat / f"sub-{label}_ses-01_T1w.nii.gz").write_bytes(gzip.compress(b""))
    (folder / "participants.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "T1w.json").write_text(json.dumps({"MagneticFieldStrength": 3}), encoding="utf-8")
    (folder / "phenotype").mkdir(exist_ok=True)
    (folder / "phenotype" / "phq9.tsv").write_text("\n".join(answers) + "\n", encoding="utf-8")
    return folder
