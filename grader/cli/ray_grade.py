"""``grader grade IN -o OUT --ray [ADDRESS]``: the same batch grading, spread over a Ray cluster.

Ray Data reads the input (JSON Lines: the file's bytes, split into numbered lines as the local
reader does; Parquet: its rows), ``map_batches`` grades each batch on an actor pool (each actor
owns a ``WorkerPool``, started and warmed once), and the driver writes the output lines in input
order (Ray Data's ``preserve_order``) while it counts the summary and moves the progress bar.
Actors return each item's finished output line and the few fields the summary counts, so the
driver never re-grades or re-parses a valid item; the output equals a local run's, line for line,
but for each line's ``latency_ms``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from typing import Any, Iterator

from .grade import (CHUNK_SIZE, RAY_LOCAL, Record, Summary, count_nonblank_lines, format_output_line,
                    grade_records, item_from_row, json_line, numbered_reason, parse_line, progress_bar, show_progress)
from .tables import is_parquet, json_typed, write_parquet

READ_ONLY = {"num_cpus": 0}


class GradeBatch:
    """One Ray Data actor: a warmed ``WorkerPool`` for its lifetime, and ``grader grade``'s chunk grading."""

    def __init__(self, default_verifier: str, workers: int, parquet: bool) -> None:
        from ..execution.workers import WorkerPool
        from ..pipeline import WARM_UP

        self.default_verifier, self.workers, self.parquet = default_verifier, workers, parquet
        self.pool = WorkerPool(workers, warm_up=WARM_UP)
        self.pool.start()

    def __call__(self, batch: Any) -> Any:
        records = list(self._records(batch))
        results = grade_records(records, self.workers, pool=self.pool)
        return _verdict_table(records, results)

    def _records(self, batch: Any) -> Iterator[Record]:
        if not self.parquet:  # numbered raw lines (read_jsonl_lines)
            for line_no, raw in zip(batch.column("line_no").to_pylist(), batch.column("raw").to_pylist()):
                yield parse_line(raw, line_no, self.default_verifier)
            return
        for row in batch.to_pylist():  # Parquet rows: the row number is the driver's to add
            fields = json_typed(row)
            yield Record(0, fields, item=item_from_row(fields, self.default_verifier))

    def __del__(self) -> None:
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.close()


def _verdict_table(records: list[Record], results: list[Any]) -> Any:
    """What the driver needs of each verdict: its output line and what the summary counts."""
    import pyarrow as pa

    tags = [r.fields.get("tag") for r in records]
    expected = [r.fields.get("expected") for r in records]
    return pa.table({
        "line": pa.array([format_output_line(r, v) for r, v in zip(records, results)], pa.binary()),
        "correct": pa.array([v.correct for v in results], pa.bool_()),
        "status": pa.array([v.status.value for v in results], pa.string()),
        "expected": pa.array([e if isinstance(e, bool) else None for e in expected], pa.bool_()),
        "tag": pa.array([None if t is None else str(t) for t in tags], pa.string()),
        "numbered": pa.array([r.line_no > 0 for r in records], pa.bool_()),
    })


def _numbered_lines(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A JSON Lines file's bytes as ``grader grade`` reads them: split at b"\\n", numbered from 1,
    the byte order mark dropped, blank lines skipped (not graded, not written)."""
    data: bytes = row["bytes"]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return [{"line_no": n, "raw": raw} for n, raw in enumerate(data.split(b"\n"), start=1) if raw.strip()]


def _connect(address: str, actors: int | None, workers: int) -> None:
    import ray

    if ray.is_initialized():  # a caller (a test, a notebook) already chose the cluster
        return
    if address == RAY_LOCAL:
        cpus = max(os.cpu_count() or 1, (actors or 1) * workers)
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    else:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)


def _actor_pool_size(actors: int | None, workers: int) -> int:
    import ray

    if actors:
        return actors
    return max(1, int(ray.cluster_resources().get("CPU", 1) // workers))


def grade_on_ray(args: argparse.Namespace) -> Summary:
    """Grade ``args.input`` into ``args.output`` with Ray Data; the summary of the run."""
    if not os.path.isfile(args.input):
        raise FileNotFoundError(2, "No such file", args.input)
    import ray.data

    workers = args.workers or 1
    _connect(args.ray, args.ray_actors, workers)
    parquet_in = is_parquet(args.input)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # output lines in input order
    context.enable_progress_bars = False  # ours counts items, as the local run's does
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # stderr keeps the local run's summary, not Ray's plan
    # Reading asks no CPU of its own: actors holding every CPU would otherwise wait forever on input, and
    # splitting lines costs little beside grading them.
    if parquet_in:
        dataset = ray.data.read_parquet(args.input, ray_remote_args=READ_ONLY)
        total = dataset.count() if show_progress(args) else None  # from the file's metadata
    else:
        dataset = ray.data.read_binary_files(args.input, ray_remote_args=READ_ONLY).flat_map(_numbered_lines,
                                                                                            num_cpus=0)
        total = count_nonblank_lines(args.input) if show_progress(args) else None
    graded = dataset.map_batches(
        GradeBatch, batch_size=CHUNK_SIZE, batch_format="pyarrow", num_cpus=workers,
        compute=ray.data.ActorPoolStrategy(size=_actor_pool_size(args.ray_actors, workers)),
        fn_constructor_kwargs={"default_verifier": args.verifier, "workers": workers, "parquet": parquet_in})
    summary = Summary()
    with progress_bar(total, show_progress(args)) as bar, _Sink(args.output) as sink:
        for batch in graded.iter_batches(batch_size=None, batch_format="pyarrow"):
            for row in batch.to_pylist():
                sink.write(row["line"], None if row["numbered"] else summary.total + 1)
                summary.count(row["correct"], row["status"], row["expected"], row["tag"])
            bar.update(batch.num_rows)
    return summary


class _Sink:
    """The output file: JSON Lines written as they come, or Parquet written whole at the end."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.parquet = is_parquet(path)
        self.rows: list[dict[str, Any]] = []
        self.file = None if self.parquet else open(path, "wb")

    def write(self, line: bytes, row_no: int | None) -> None:
        """One output line; ``row_no`` for a Parquet input's row, whose invalid verdict must name it."""
        if row_no is not None or self.parquet:
            out = json.loads(line)
            if row_no is not None and out.get("status") == "INVALID_ARGUMENT":
                out["reason"] = numbered_reason("Row", row_no, out["reason"])
                line = json_line(out)
            if self.parquet:
                self.rows.append(out)
                return
        self.file.write(line)

    def __enter__(self) -> "_Sink":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()
        elif exc[0] is None:
            write_parquet(self.rows, self.path)
