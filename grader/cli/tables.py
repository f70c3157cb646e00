"""Parquet files for ``grader grade`` (pyarrow: the ``ray`` extra, or ``pip install pyarrow``).

A row's columns are a JSON Lines line's fields: read in batches, written whole at the end. Values
that JSON has no type for (dates, bytes, decimals) are read as their text.
"""

from __future__ import annotations

import errno
import json
from typing import Any, Iterator

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
    """A row as a JSON line would give it: dates, bytes and decimals as their text."""
    return json.loads(json.dumps(row, default=str))


def write_parquet(rows: list[dict[str, Any]], path: str) -> None:
    _pyarrow().parquet.write_table(parquet_table(rows), path)


def parquet_table(rows: list[dict[str, Any]]) -> Any:
    """Output rows as one Arrow table; a column whose values differ in type from row to row
    (``reference`` a string here, a list there) holds each value as its JSON text instead."""
    pa = _pyarrow()
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        kinds: dict[str, set[type]] = {}
        for row in rows:
            for key, value in row.items():
                if value is not None:
                    kinds.setdefault(key, set()).add(type(value))
        mixed = {key for key, types in kinds.items() if len(types) > 1}
        return pa.Table.from_pylist([{k: json.dumps(v) if k in mixed and v is not None else v for k, v in row.items()}
                                     for row in rows])
