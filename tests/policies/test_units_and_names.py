from __future__ import annotations

import pytest

from bulle.policies.names import is_slug, server_name
from bulle.policies.units import format_duration, format_memory, parse_duration, parse_memory


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4G", 4 * 2**30), ("512M", 512 * 2**20), ("1.5G", int(1.5 * 2**30)), ("2GiB", 2 * 2**30), (1024, 1024)],
)
def test_memory_sizes(text: str | int, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["four", "4X", "-1G", 0, True, "", None])
def test_bad_memory_sizes_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="memory size"):
        parse_memory(text)


@pytest.mark.parametrize(("text", "expected"), [("90m", 5400), ("12h", 43200), ("7d", 604800), (30, 30)])
def test_durations(text: str | int, expected: int) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2 weeks", "0h", "1y", -5, False])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_formats_round_trip() -> None:
    assert format_memory(parse_memory("16G")) == "16G"
    assert format_memory(1536 * 2**20) == "1536M"
    assert format_duration(parse_duration("90m")) == "90m"
    assert format_duration(86400) == "1d"


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("alice", True),
        ("a", True),
        ("jean-dupont", True),
        ("a1", True),
        ("1abc", False),
        ("abc-", False),
        ("a--b", False),
        ("Alice", False),
        ("a.b", False),
        ("a_b", False),
        ("", False),
    ],
)
def test_slugs(name: str, valid: bool) -> None:
    assert is_slug(name, 26) is valid


def test_server_names_are_jupyterhub_safe_and_distinct() -> None:
    assert server_name("psy-cohort", "notebook") == "psy-cohort-notebook"
    long_one = server_name("a-very-long-project", "a-long-profile-name")
    assert len(long_one) <= 30
    assert is_slug(long_one, 30)
    assert long_one != server_name("a-very-long-project", "a-long-profile-name2")
