"""Checks on the file itself, before its content: type allow-list and size cap.

Each kind of output may only be a few file types, and the bytes must be
what the name says (a ``.png`` that is a zip is refused). Data formats
(Parquet, pickles, R data, spreadsheets, notebooks, archives) and vector
pictures (SVG, PDF, which keep the exact coordinates of every point: ACRO
blocks SVG for that reason) are never on the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bulle.policies import DisclosureRules
from bulle.policies.units import format_memory

from .output import ALL_KINDS, Kind, Output
from .registry import Check
from .table import Unreadable, decode
from .verdict import CheckResult, Status

ALLOWED_TYPES: Mapping[Kind, tuple[str, ...]] = MappingProxyType(
    {
        Kind.FREQUENCY: (".csv", ".tsv"),
        Kind.STATISTICS: (".csv", ".tsv"),
        Kind.MODEL: (".txt", ".csv", ".html"),
        Kind.FIGURE: (".png", ".jpg", ".jpeg"),
        Kind.TEXT: (".txt", ".md"),
    }
)

_IMAGE_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    ".jpg": (b"\xff\xd8\xff", "a JPEG image"),
    ".jpeg": (b"\xff\xd8\xff", "a JPEG image"),
}


def check_file_type(output: Output, rules: DisclosureRules) -> CheckResult:
    allowed = ALLOWED_TYPES[output.kind]
    if output.suffix not in allowed:
        shown = output.suffix or "no extension"
        return CheckResult(
            "file-type",
            Status.FAIL,
            f"{output.name}: a {output.kind.value} output may be {', '.join(allowed)}, not {shown}",
        )
    signature = _IMAGE_SIGNATURES.get(output.suffix)
    if signature is not None:
        magic, what = signature
        if not output.content.startswith(magic):
            return CheckResult("file-type", Status.FAIL, f"{output.name} is not {what}")
    else:
        try:
            decode(output.content, output.name)
        except Unreadable as exc:
            return CheckResult("file-type", Status.FAIL, str(exc))
    return CheckResult("file-type", Status.PASS, f"{output.suffix} is allowed for a {output.kind.value} output")


def check_file_size(output: Output, rules: DisclosureRules) -> CheckResult:
    size = output.file_size
    if size > rules.max_file_size:
        return CheckResult(
            "file-size",
            Status.FAIL,
            f"{output.name} is {_size(size)}, over the cap of {format_memory(rules.max_file_size)}",
        )
    return CheckResult(
        "file-size", Status.PASS, f"{_size(size)}, within the cap of {format_memory(rules.max_file_size)}"
    )


def _size(size: int) -> str:
    return f"{size:,} bytes"


FILE_TYPE = Check(
    "file-type",
    ALL_KINDS,
    check_file_type,
    "the file's extension is on the kind's allow-list and its bytes match it",
    order=10,
    reads_content=False,
)
FILE_SIZE = Check(
    "file-size", ALL_KINDS, check_file_size, "the file is at most max_file_size", order=11, reads_content=False
)
