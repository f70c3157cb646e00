"""Parquet files for ``grader grade`` (pyarrow: the ``ray`` extra, or ``pip install pyarrow``).

A row's columns are a JSON Lines line's fields: read in batches, written whole at the end. Values
that JSON has no type for (dates, bytes, decimals) are read as their text.
"""

from __future__ import annotations

import errno
import json
from typing import Any, BinaryIO, Iterator

PARQUET = (".parquet", ".pq")
READ_BATCH_ROWS = 1024


class NoPyarrow(Exception):
    """A Parquet file was given where pyarrow is not installed."""


def is_parquet(path: str) -> bool:
    return path.lower().endswith(PARQUET)


def require_pyarrow() -> None:
    """NoPyarrow now, before any line is graded, where pyarrow is missing."""
    _pyarrow()


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401  (the submodule, for read and write)
    except ImportError:
        raise NoPyarrow("Parquet files need pyarrow: pip install 'grader[ray]' (or pyarrow)") from None
    return pyarrow


def parquet_rows(path: str) -> Iterator[dict[str, Any]]:
    """The file's rows as JSON-typed dicts, a batch at a time; OSError for a file pyarrow cannot read."""
    pa = _pyarrow()
    try:
        for batch in pa.parquet.ParquetFile(path).iter_batches(batch_size=READ_BATCH_ROWS):
            for row in batch.to_pylist():
                yield json_typed(row)
    except pa.ArrowException as exc:
        raise OSError(errno.EINVAL, f"not a Parquet file pyarrow can read ({exc})", path) from None


def parquet_row_count(path: str) -> int:
    """Rows in the file, from its metadata (the progress bar's total)."""
    pa = _pyarrow()
    try:
        return pa.parquet.ParquetFile(path).metadata.num_rows
    except pa.ArrowException as exc:
        raise OSError(errno.EINVAL, f"not a Parquet file pyarrow can read ({exc})", path) from None


def json_typed(row: dict[str, Any]) -> dict[str, Any]:
    """A row as a JSON line would give it: dates and decimals as their text, bytes as the text they hold (a binary
    column of UTF-8; it was "b'\\xe7...'", its repr), a float NaN or infinity as null (JSON has none)."""
    return json.loads(json.dumps(row, default=_as_text), parse_constant=lambda _: None)


def _as_text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


def write_parquet(rows: list[dict[str, Any]], where: str | BinaryIO) -> None:
    """``rows`` as one Parquet file at ``where`` (a path, or a file opened for writing)."""
    _pyarrow().parquet.write_table(parquet_table(rows), where)


def parquet_table(rows: list[dict[str, Any]]) -> Any:
    """Output rows as one Arrow table, a column at a time. A column Arrow cannot type, or Parquet cannot store,
    holds each value as its JSON text instead: values that differ in type from row to row (``reference`` a
    string here, a list there; a nested field an int here, a string there) and empty objects (``options: {}``,
    a struct with no field, which Parquet refuses)."""
    pa = _pyarrow()
    names = list(dict.fromkeys(key for row in rows for key in row))
    return pa.Table.from_arrays([_column(pa, [row.get(name) for row in rows]) for name in names], names=names)


def _column(pa: Any, values: list[Any]) -> Any:
    try:
        array = pa.array(values)
        if _storable(pa, array.type):
            return array
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        pass
    return pa.array([None if value is None else json.dumps(value, default=str) for value in values], pa.string())


def _storable(pa: Any, kind: Any) -> bool:
    """Whether Parquet can store this Arrow type: no struct without fields, at any depth."""
    if pa.types.is_struct(kind):
        return kind.num_fields > 0 and all(_storable(pa, kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _storable(pa, kind.value_type)
    if pa.types.is_map(kind):
        return _storable(pa, kind.key_type) and _storable(pa, kind.item_type)
    return True
