"""Keyed pseudonyms and generalisation of identifying columns.

A *pseudonym* is HMAC-SHA256 (RFC 2104) of a value under the warehouse's
secret *key*. It is deterministic, so the same patient gets the same
pseudonym in every table and every source, and joins survive; without the
key it can be neither reversed nor recomputed from a guessed value.

- A text value's pseudonym is the first 32 hexadecimal digits (128 bits) of
  the HMAC of its UTF-8 bytes, the truncation RFC 4231 test case 5 covers.
- An integer value's pseudonym is an integer: the first 60 bits of the HMAC
  of its decimal text, so an integer key (OMOP ``person_id``) stays an
  integer and equals the text pseudonym's prefix.
- The *key id* is a short HMAC of a fixed label under the key: it names the
  key in table properties (so a table can be re-keyed later) and reveals
  nothing about it.

The HMAC runs inside DuckDB (``sha256`` over the padded key blocks), once per
distinct value of a column, never as a Python loop per row. The key travels
to DuckDB only as a bound parameter: it is in no SQL text, no log line, no
exception message and nothing written to the warehouse. :class:`PseudonymKey`
has no way to give its bytes back, and refuses to be pickled or printed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from pathlib import Path
from typing import NoReturn

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .duck import connect

MIN_KEY_BYTES = 32
KEY_ID_LABEL = b"bulle pseudonym key id v1"
TEXT_PSEUDONYM_HEX_DIGITS = 32
INTEGER_PSEUDONYM_HEX_DIGITS = 15
_BLOCK = 64


class KeyProblem(Exception):
    """The pseudonymisation key is missing or unusable. The message never contains the key."""


class PseudonymKey:
    """The warehouse secret, kept as the two padded HMAC blocks it is used through."""

    __slots__ = ("_inner", "_outer", "key_id")

    def __init__(self, secret: bytes, *, min_length: int = MIN_KEY_BYTES) -> None:
        if len(secret) < min_length:
            raise KeyProblem(
                f"the pseudonymisation key is {len(secret)} bytes long; use at least {min_length} random bytes "
                "(for example `openssl rand -hex 32`)"
            )
        block = hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret
        block = block.ljust(_BLOCK, b"\0")
        self._inner = bytes(b ^ 0x36 for b in block)
        self._outer = bytes(b ^ 0x5C for b in block)
        self.key_id = hmac.new(secret, KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]

    @classmethod
    def from_file(cls, path: str | Path) -> PseudonymKey:
        """Read the key from a file (its bytes, without a final newline)."""
        try:
            secret = Path(path).read_bytes()
        except OSError as exc:
            raise KeyProblem(f"cannot read the pseudonymisation key file {path}: {exc.strerror}") from None
        return cls(secret.rstrip(b"\r\n"))

    @classmethod
    def from_env(cls, variable: str) -> PseudonymKey:
        """Read the key from an environment variable (its UTF-8 bytes)."""
        value = os.environ.get(variable)
        if not value:
            raise KeyProblem(f"the environment variable {variable} that should hold the pseudonymisation key is unset")
        return cls(value.encode())

    def derive_key(self, label: bytes) -> bytes:
        """HMAC-SHA256 of ``label`` under the key: a subkey (a project's re-keying key); keep it in memory only."""
        return hashlib.sha256(self._outer + hashlib.sha256(self._inner + label).digest()).digest()

    def parameters(self) -> list[bytes]:
        """The bound parameters of :data:`HMAC_SQL`; for this module's queries only."""
        return [self._inner, self._outer]

    def __repr__(self) -> str:
        return f"PseudonymKey(key_id={self.key_id!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a PseudonymKey cannot be pickled or copied out of its process")


# $1 and $2 are the inner and outer padded key blocks; {value} is a BLOB expression.
_HMAC_SQL = "sha256($2 || unhex(sha256($1 || {value})))"
CACHE_ENTRIES = 5_000_000
_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is None:
        con = connect()
        _local.con = con
    return con


def _blob_of(values: pa.Array, column: str = "v") -> str:
    """The SQL expression of the bytes the HMAC runs over: UTF-8 text, or an integer's decimal text."""
    if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
        return column
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return f"encode({column})"
    return f"encode({column}::VARCHAR)"


def _hmac_column(key: PseudonymKey, values: pa.Array, output: str) -> pa.Array:
    """Run the HMAC over ``values`` in DuckDB; ``output`` is a SQL template of the hex digest ``{h}``."""
    hmac_sql = _HMAC_SQL.format(value=_blob_of(values))
    con = _connection()
    con.register("bulle_hmac_input", pa.table({"v": values}))
    try:
        sql = f"SELECT {output.format(h='h')} AS p FROM (SELECT {hmac_sql} AS h FROM bulle_hmac_input)"  # noqa: S608 - fixed SQL, key bound as parameters
        result = con.execute(sql, key.parameters()).to_arrow_table()
    finally:
        con.unregister("bulle_hmac_input")
    return result.column("p").combine_chunks()


def _cached_hmac_column(key: PseudonymKey, values: pa.Array, output: str) -> pa.Array:
    """:func:`_hmac_column` of distinct ``values``, reusing the pseudonyms this thread already made.

    Patients come back batch after batch: their pseudonyms stay in a DuckDB table of the
    thread's connection (values and pseudonyms, never the key), and only new values go through
    the HMAC. The cache is emptied past :data:`CACHE_ENTRIES` rows.
    """
    kind = "int" if pa.types.is_integer(values.type) else "text"
    cache = f"bulle_pseudonyms_{kind}_{key.key_id}"
    con = _connection()
    sql_type = "BIGINT" if kind == "int" else "VARCHAR"
    con.execute(f"CREATE TABLE IF NOT EXISTS {cache} (v {sql_type}, p {sql_type})")
    con.register("bulle_hmac_input", pa.table({"v": values, "i": pa.array(range(len(values)), pa.int64())}))
    pseudonym_sql = output.format(h="(" + _HMAC_SQL.format(value=_blob_of(values, "n.v")) + ")")
    # Fixed SQL: the key is bound as parameters, the names are ours.
    query = (
        f"CREATE OR REPLACE TEMP TABLE bulle_hmac_result AS SELECT n.i, n.v, coalesce(c.p, {pseudonym_sql}) AS p, "  # noqa: S608
        f"c.p IS NULL AS new FROM bulle_hmac_input n LEFT JOIN {cache} c ON n.v = c.v"
    )
    try:
        con.execute(query, key.parameters())
        result = con.execute("SELECT p FROM bulle_hmac_result ORDER BY i").to_arrow_table()
        if con.execute(f"SELECT count(*) FROM {cache}").fetchone()[0] > CACHE_ENTRIES:  # type: ignore[index]  # noqa: S608
            con.execute(f"DELETE FROM {cache}")  # noqa: S608
        con.execute(f"INSERT INTO {cache} SELECT v, p FROM bulle_hmac_result WHERE new")  # noqa: S608
    finally:
        con.unregister("bulle_hmac_input")
        con.execute("DROP TABLE IF EXISTS bulle_hmac_result")
    return result.column("p").combine_chunks()


def hmac_sha256_hex(key: PseudonymKey, values: pa.Array) -> pa.Array:
    """The full HMAC-SHA256 of each value, as 64 hexadecimal digits (nulls stay null)."""
    return _hmac_column(key, values, "{h}")


def pseudonymise(key: PseudonymKey, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Pseudonyms of ``values`` (see the module docstring), computed once per distinct value."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    integer = pa.types.is_integer(values.type)
    if len(values) == 0 or values.null_count == len(values):
        return pa.nulls(len(values), pa.int64() if integer else pa.string())
    encoded = values.dictionary_encode()
    if integer:
        output = f"('0x' || left({{h}}, {INTEGER_PSEUDONYM_HEX_DIGITS}))::BIGINT"
    else:
        output = f"left({{h}}, {TEXT_PSEUDONYM_HEX_DIGITS})"
    distinct = _cached_hmac_column(key, encoded.dictionary, output)
    return pc.take(distinct, encoded.indices)


def pseudonym_of(key: PseudonymKey, value: str) -> str:
    """The text pseudonym of one value (for file names and references, not for columns)."""
    return str(pseudonymise(key, pa.array([value], pa.string()))[0])


def generalise(values: pa.Array | pa.ChunkedArray, to: str) -> pa.Array | pa.ChunkedArray:
    """A coarser value: ``year`` or ``month`` of a date, or the ``department`` of a French postcode.

    Dates may be date or timestamp columns, or ISO text; months are written ``YYYY-MM``.
    A department is the first two characters of a postcode or commune code, three for
    overseas codes (97x, 98x), and 2A/2B for Corsica (postcodes 200xx-201xx / 202xx-206xx).
    """
    if to == "department":
        return _department(values.cast(pa.string()))
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        text = pc.utf8_slice_codeunits(values, 0, 4 if to == "year" else 7)
        return text.cast(pa.int32()) if to == "year" else text
    if pa.types.is_integer(values.type) and to == "year":
        return values.cast(pa.int32())
    if to == "year":
        return pc.year(values).cast(pa.int32())
    return pc.strftime(values, format="%Y-%m")


def _department(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    two = pc.utf8_slice_codeunits(codes, 0, 2)
    three = pc.utf8_slice_codeunits(codes, 0, 3)
    overseas = pc.or_(pc.equal(two, "97"), pc.equal(two, "98"))
    corsica_south = pc.and_(pc.equal(two, "20"), pc.less(three, "202"))
    corsica = pc.if_else(corsica_south, "2A", "2B")
    return pc.if_else(overseas, three, pc.if_else(pc.equal(two, "20"), corsica, two))
