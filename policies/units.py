"""Quantities written by humans in policy files: memory sizes and durations.

Memory follows JupyterHub's ``ByteSpecification`` (``512M``, ``4G``, ``1T``;
powers of 1024; a bare integer is bytes). Durations are an integer followed by
``s``, ``m``, ``h`` or ``d`` (``90m``, ``12h``, ``7d``); a bare integer is seconds.
"""

from __future__ import annotations

import re

_MEMORY_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MEMORY_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT])(?:i?B)?$")
_DURATION_RE = re.compile(r"^(\d+)\s*([smhd])$")


def parse_memory(value: object) -> int:
    """Bytes from ``4G``, ``512M``, ``1.5G`` or a bare integer of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a memory size; write for example 4G or 512M")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"{value} is not a positive memory size")
        return value
    if isinstance(value, str):
        match = _MEMORY_RE.match(value.strip())
        if match:
            return int(float(match.group(1)) * _MEMORY_UNITS[match.group(2)])
    raise ValueError(f"{value!r} is not a memory size; write for example 4G or 512M")


def parse_duration(value: object) -> int:
    """Seconds from ``90m``, ``12h``, ``7d`` or a bare integer of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write for example 30m, 12h or 7d")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"{value} is not a positive duration")
        return value
    if isinstance(value, str):
        match = _DURATION_RE.match(value.strip())
        if match and int(match.group(1)) > 0:
            return int(match.group(1)) * _DURATION_UNITS[match.group(2)]
    raise ValueError(f"{value!r} is not a duration; write for example 30m, 12h or 7d")


def format_memory(size: int) -> str:
    """The shortest exact ``ByteSpecification`` for ``size`` bytes."""
    for unit in ("T", "G", "M", "K"):
        factor = _MEMORY_UNITS[unit]
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def format_duration(seconds: int) -> str:
    """The largest exact unit for ``seconds`` (``12h``, ``90m``)."""
    for unit in ("d", "h", "m"):
        factor = _DURATION_UNITS[unit]
        if seconds % factor == 0:
            return f"{seconds // factor}{unit}"
    return f"{seconds}s"
