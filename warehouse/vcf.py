"""VCF and BCF files (cyvcf2, on htslib) → ``variants`` and ``genotypes`` tables.

- ``variants``: one row per record: a ``variant_id`` (``chrom:pos:ref:alt``),
  the fixed columns, and the INFO fields as JSON;
- ``genotypes``: one row per record and sample, in long form: the variant
  id, the sample's pseudonym, the genotype (``0/1``, ``1|1``, ``./.``), its
  cyvcf2 type (0 hom-ref, 1 het, 2 unknown, 3 hom-alt), depth and quality.

Sample ids (lab ids, the header's sample columns) are pseudonymised once per
file; the genotype columns are built from cyvcf2's NumPy arrays, a record
at a time, never a sample at a time. The header is not kept: its meta lines
can name files and samples.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bulle.policies import Source

from .loads import FILE_COLUMN, InputFile, static_read
from .pseudonym import PseudonymKey, pseudonymise
from .readers import Reads
from .treatments import treat_batch


def read_vcf(source: Source, files: Sequence[InputFile], key: PseudonymKey, policy_dir: Path) -> Reads:
    import cyvcf2

    reads = Reads()
    variants: list[pa.Table] = []
    genotypes: list[pa.Table] = []
    counts: dict[str, Counter[str]] = {"variants": Counter(), "genotypes": Counter()}
    for file in files:
        try:
            if file.size == 0:
                raise OSError("the file is empty")
            vcf = cyvcf2.VCF(str(file.path), threads=1)
            file_variants, file_genotypes = _read_records(vcf, file, key)
        except (OSError, ValueError, Exception) as exc:  # cyvcf2 raises bare Exception on header errors
            reads.problems.append(f"{file.relative}:1: not a readable VCF/BCF file: {exc}")
            continue
        variants.append(file_variants)
        genotypes.append(file_genotypes)
        counts["variants"][file.key] += file_variants.num_rows
        counts["genotypes"][file.key] += file_genotypes.num_rows
    if reads.problems:
        return reads
    for name, parts, schema in (("variants", variants, VARIANTS), ("genotypes", genotypes, GENOTYPES)):
        data = pa.concat_tables(parts) if parts else schema.empty_table()
        reads.tables.append(static_read(name, list(files), treat_batch(data, source, key), counts[name]))
    return reads


VARIANTS = pa.schema(
    [
        ("variant_id", pa.string()),
        ("chrom", pa.string()),
        ("pos", pa.int64()),
        ("id", pa.string()),
        ("ref", pa.string()),
        ("alt", pa.string()),
        ("qual", pa.float64()),
        ("filter", pa.string()),
        ("info", pa.string()),
        (FILE_COLUMN, pa.string()),
    ]
)
GENOTYPES = pa.schema(
    [
        ("variant_id", pa.string()),
        ("sample", pa.string()),
        ("genotype", pa.string()),
        ("genotype_type", pa.int8()),
        ("depth", pa.int32()),
        ("quality", pa.float32()),
        (FILE_COLUMN, pa.string()),
    ]
)


def _read_records(vcf: Any, file: InputFile, key: PseudonymKey) -> tuple[pa.Table, pa.Table]:
    samples = pseudonymise(key, pa.array(list(vcf.samples), pa.string()))
    fixed: dict[str, list[Any]] = {name: [] for name in VARIANTS.names if name != FILE_COLUMN}
    genotype_parts: list[pa.Table] = []
    for record in vcf:
        alt = ",".join(record.ALT)
        variant_id = f"{record.CHROM}:{record.POS}:{record.REF}:{alt}"
        fixed["variant_id"].append(variant_id)
        fixed["chrom"].append(record.CHROM)
        fixed["pos"].append(record.POS)
        fixed["id"].append(record.ID)
        fixed["ref"].append(record.REF)
        fixed["alt"].append(alt)
        fixed["qual"].append(record.QUAL)
        fixed["filter"].append(record.FILTER)
        fixed["info"].append(json.dumps({k: _plain(v) for k, v in record.INFO}, sort_keys=True))
        if len(samples) and "GT" in record.FORMAT:
            genotype_parts.append(_genotypes(record, variant_id, samples, file.key))
    fixed[FILE_COLUMN] = [file.key] * len(fixed["variant_id"])
    variants = pa.Table.from_pydict(fixed, schema=VARIANTS)
    genotypes = pa.concat_tables(genotype_parts) if genotype_parts else GENOTYPES.empty_table()
    return variants, genotypes


def _genotypes(record: Any, variant_id: str, samples: pa.Array, file_key: str) -> pa.Table:
    calls = record.genotype.array()  # samples x (ploidy + phased flag), -1 for missing
    alleles = calls[:, :-1]
    separator = np.where(calls[:, -1] == 1, "|", "/")
    text = [
        pc.if_else(pc.less(pa.array(alleles[:, i]), 0), ".", pa.array(alleles[:, i]).cast(pa.string()))
        for i in range(alleles.shape[1])
    ]
    genotype = text[0]
    for part in text[1:]:
        genotype = pc.binary_join_element_wise(genotype, part, pa.array(separator))
    count = len(samples)
    return pa.Table.from_arrays(
        [
            pa.array([variant_id] * count, pa.string()),
            samples,
            genotype,
            pa.array(record.gt_types.astype(np.int8)),
            pa.array(np.asarray(record.gt_depths, dtype=np.int32)),
            pa.array(np.asarray(record.gt_quals, dtype=np.float32)),
            pa.array([file_key] * count, pa.string()),
        ],
        schema=GENOTYPES,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, float) and value != value:
        return None
    return value
