"""Pseudonymisation: RFC 4231 vectors, determinism, key handling, generalisation."""

from __future__ import annotations

import datetime as dt
import pickle

import pyarrow as pa
import pytest

from bulle.warehouse.pseudonym import (
    KeyProblem,
    PseudonymKey,
    generalise,
    hmac_sha256_hex,
    pseudonym_of,
    pseudonymise,
)

# RFC 4231 section 4: (key, data, HMAC-SHA256); test case 5 is checked truncated to 128 bits.
RFC4231 = [
    pytest.param(
        b"\x0b" * 20,
        b"Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        id="case-1",
    ),
    pytest.param(
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        id="case-2",
    ),
    pytest.param(
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        id="case-3",
    ),
    pytest.param(
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        id="case-4",
    ),
    pytest.param(
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        id="case-6",
    ),
    pytest.param(
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size data. "
        b"The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        id="case-7",
    ),
]


@pytest.mark.parametrize(("secret", "data", "expected"), RFC4231)
def test_hmac_matches_rfc4231(secret: bytes, data: bytes, expected: str) -> None:
    key = PseudonymKey(secret, min_length=1)
    assert hmac_sha256_hex(key, pa.array([data], pa.binary())).to_pylist() == [expected]


def test_text_pseudonym_is_the_rfc4231_truncated_hmac() -> None:
    key = PseudonymKey(b"\x0c" * 20, min_length=1)
    assert pseudonym_of(key, "Test With Truncation") == "a3b6167473100ee06e0c796c2955552b"


def test_pseudonyms_are_deterministic_and_keep_nulls(key: PseudonymKey) -> None:
    values = pa.array(["p1", None, "p2", "p1"])
    first = pseudonymise(key, values).to_pylist()
    assert first[0] == first[3] != first[2]
    assert first[1] is None
    assert pseudonymise(key, pa.chunked_array([values[:2], values[2:]])).to_pylist() == first


def test_integer_pseudonym_is_an_integer_prefix_of_the_text_one(key: PseudonymKey) -> None:
    [number] = pseudonymise(key, pa.array([42], pa.int64())).to_pylist()
    assert isinstance(number, int)
    assert 0 <= number < 2**60
    assert f"{number:015x}" == pseudonym_of(key, "42")[:15]


def test_another_key_gives_other_pseudonyms(key: PseudonymKey) -> None:
    other = PseudonymKey(b"another secret of at least thirty-two bytes")
    assert pseudonym_of(key, "x") != pseudonym_of(other, "x")
    assert key.key_id != other.key_id


def test_key_never_shows(key: PseudonymKey, key_secret: bytes) -> None:
    assert key_secret.decode() not in repr(key)
    assert key_secret.decode() not in str(key.__dict__ if hasattr(key, "__dict__") else "")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)


def test_short_key_is_refused_without_showing_it() -> None:
    with pytest.raises(KeyProblem, match="at least 32 random bytes") as info:
        PseudonymKey(b"tiny-secret")
    assert "tiny-secret" not in str(info.value)


def test_key_from_missing_env_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BULLE_TEST_KEY", raising=False)
    with pytest.raises(KeyProblem, match=r"BULLE_TEST_KEY .* is unset"):
        PseudonymKey.from_env("BULLE_TEST_KEY")


def test_key_from_file_ignores_the_final_newline(tmp_path, key: PseudonymKey, key_secret: bytes) -> None:
    path = tmp_path / "key"
    path.write_bytes(key_secret + b"\n")
    assert PseudonymKey.from_file(path).key_id == key.key_id


@pytest.mark.parametrize(
    ("values", "to", "expected"),
    [
        pytest.param(pa.array([dt.date(1984, 5, 2), None]), "year", [1984, None], id="date-to-year"),
        pytest.param(
            pa.array([dt.datetime(1984, 5, 2, 10, tzinfo=dt.UTC)]), "month", ["1984-05"], id="timestamp-to-month"
        ),
        pytest.param(pa.array(["1984-05-02"]), "year", [1984], id="text-to-year"),
        pytest.param(
            pa.array(["75012", "97411", "20000", "20250", "2A004", None]),
            "department",
            ["75", "974", "2A", "2B", "2A", None],
            id="postcode-to-department",
        ),
    ],
)
def test_generalise(values: pa.Array, to: str, expected: list[object]) -> None:
    assert generalise(values, to).to_pylist() == expected
