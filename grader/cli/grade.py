"""``grader grade IN.jsonl -o OUT.jsonl``: batch grading of a JSON Lines file.

Reads JSON Lines, grades each line with :func:`grader.grade_many` (or on
running servers) in bounded chunks, writes one output line per non-blank
input line (same order, input fields carried through, verdict fields added)
and prints a summary table to stderr. A bad line never stops the run: it gets
``status: INVALID_ARGUMENT``, with the pipeline's own validation.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import shutil
import sys
import textwrap
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence

from tqdm import tqdm

from .. import verifiers
from ..api import grade_many
from ..execution.workers import WorkerPool
from ..json_text import json_bytes
from ..pipeline import ModelStage, plan_item
from ..types import GradeResult, Status
from ..verifiers.code import spec as code_spec
from ..verifiers.ifeval import spec as ifeval_spec
from .tables import NoPyarrow, is_parquet, parquet_row_count, parquet_rows, require_pyarrow, write_parquet

CHUNK_SIZE = 256
RAY_LOCAL = "local"  # `--ray` without an address: start Ray on this machine for the run
EXIT_OK = 0
EXIT_SERVER_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
RESULT_FIELDS = tuple(GradeResult(False, 0.0, Status.OK).to_dict())

GRADE_DESCRIPTION = """\
Grade a JSON Lines file, one item per line.

Input fields (per line, a JSON object):
  response    string, required: the model's response (without one, a text
              `completion` field is, as in human-eval's samples).
  reference   string or list of strings, required: the reference answer(s);
              any match counts. A line without one that has IFEval's
              instruction_id_list and kwargs (Google's input_data.jsonl
              with a response) is an ifeval item made from them; one with
              HumanEval's test and entry_point, or MBPP's test_list, a code
              item.
  verifier    string, optional: {verifiers};
              defaults to --verifier.
  options     object, optional: the verifier's options:
{options}
  prompt      string, optional: the question, for verifiers that read it
              (math's extraction and judge, ifeval); without one, a text
              `question` or `problem` field is the prompt.
  id          optional, carried through.
  expected    boolean, optional: the human label; enables agreement, false
              positives and false negatives in the summary.
  tag         optional: a category; enables a per-tag table in the summary.
Any other field is carried through unchanged.

Output: one JSON object per non-blank input line, in input order: the input's
fields followed by the verdict fields
  {fields}
(a verdict field of the same name in the input is replaced); `checks` is a
list of {{name, passed, score, reason}}, one per instruction, test or
sub-grader where the verifier has them. A line that is not valid UTF-8, not
JSON, not an object, or has missing or ill-typed fields or options gets
status INVALID_ARGUMENT, correct false, score 0 and a reason; the run goes on.

Summary (stderr, at the end): total items, items per status, accuracy
(fraction graded correct), agreement with `expected` and false
positives/negatives when lines carry a boolean `expected`, a per-tag table
when lines carry a `tag`, wall time and throughput.

A progress bar is shown on stderr when stderr is a terminal, unless
--no-progress is given.

With --judge-model or --judge-url, math rule misses go to that judge (as
`grader serve` does; the item option `judge` is then on-miss unless a line
says otherwise): `--judge-model default` is the shipped CPU judge. Not with
--server (the server's own judge decides) or --ray.

IN and OUT may be Parquet files (.parquet, .pq; pyarrow, which the `ray`
extra installs): a row's columns are a line's fields, and an invalid row's
reason names its row ("Row 3: ..."); a Parquet output is written when the run
ends.

With --ray (pip install 'grader[ray]'), Ray Data reads IN and grades it in
batches of {chunk} on a pool of actors (--ray-actors, each with --workers
grading processes, started once); the output, in input order, and the summary
are those of a run without --ray (but for latency_ms).

Exit status: 0 when the run finished (even if some lines were invalid),
1 when a call to --server failed after its retries (the lines graded
before it are in OUT), 2 when the arguments are wrong, the input cannot
be read or the output cannot be written, 130 when interrupted (without --ray,
the lines graded before it are in OUT, and the summary counts them).
"""


def _options_help() -> str:
    lines = []
    for v in verifiers.all_verifiers():
        names = ", ".join(v.options_type.fields())
        lines.append(textwrap.fill(f"{v.name}: {names}", width=76, initial_indent="              ",
                                   subsequent_indent="                "))
    return "\n".join(lines)


def grade_description() -> str:
    return GRADE_DESCRIPTION.format(verifiers=", ".join(verifiers.names()), options=_options_help(), chunk=CHUNK_SIZE,
                                    fields=textwrap.fill(", ".join(RESULT_FIELDS), width=76, subsequent_indent="  "))


@dataclass
class Record:
    """One non-blank input line (or Parquet row): its fields, and the grading item or why it is invalid."""

    line_no: int  # from 1; 0 where the number is given later (a Parquet row graded on Ray)
    fields: dict[str, Any]
    item: dict[str, Any] | None = None
    problem: str = ""
    unit: str = "Line"  # what an invalid item's reason names: "Line 3: ...", "Row 3: ..."


@dataclass
class Summary:
    """Running tallies for the summary table."""

    total: int = 0
    correct: int = 0
    by_status: collections.Counter = field(default_factory=collections.Counter)
    labeled: int = 0
    agree: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    by_tag: dict[str, collections.Counter] = field(default_factory=dict)  # items, correct, labeled, agree

    def add(self, fields: dict[str, Any], result: GradeResult) -> None:
        """Count one graded line."""
        tag = fields.get("tag")
        self.count(result.correct, result.status.value, fields.get("expected"), None if tag is None else str(tag))

    def count(self, correct: bool, status: str, expected: Any, tag: str | None) -> None:
        """Count one verdict, from what the summary reads of it (``grade --ray`` sends only these)."""
        self.total += 1
        self.correct += int(correct)
        self.by_status[status] += 1
        labeled = isinstance(expected, bool)
        agrees = labeled and correct == expected
        if labeled:
            self.labeled += 1
            self.agree += int(agrees)
            self.false_positives += int(correct and not expected)
            self.false_negatives += int(expected and not correct)
        if tag is not None:
            tally = self.by_tag.setdefault(tag, collections.Counter())
            tally.update(items=1, correct=int(correct), labeled=int(labeled), agree=int(agrees))


def add_grade_command(commands: argparse._SubParsersAction,
                      on_ray: Callable[[argparse.Namespace], Summary] | None = None) -> None:
    """The ``grade`` subcommand; ``on_ray`` grades a file for ``--ray`` (``grader.cli.ray_grade``, which
    builds on this module)."""
    grade_cmd = commands.add_parser(
        "grade", help="grade a JSON Lines file and print a summary table",
        description=grade_description(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grade_cmd.set_defaults(func=run_grade, grade_on_ray=on_ray)
    grade_cmd.add_argument("input", metavar="IN.jsonl", help="input JSON Lines file, or '-' for stdin")
    grade_cmd.add_argument("-o", "--output", metavar="OUT.jsonl", default="-",
                           help="output JSON Lines file, or '-' for stdout (default: stdout)")
    grade_cmd.add_argument("--verifier", choices=verifiers.names(), default="math",
                           help="verifier for lines that do not name one (default: %(default)s)")
    grade_cmd.add_argument("--workers", metavar="N", type=_positive_int, default=None,
                           help="items graded at once (default: $GRADER_WORKERS, else one per CPU core)")
    grade_cmd.add_argument("--no-progress", action="store_true",
                           help="never show the progress bar (it is shown only when stderr is a terminal)")
    grade_cmd.add_argument("--server", metavar="HOST:PORT", action="append", default=None,
                           help="grade on a running `grader serve` instead of in-process; repeat for "
                                "round-robin over several servers (environment: GRADER_AUTH_TOKEN, GRADER_TLS_CA, "
                                "and GRADER_LB_POLICY=round_robin to spread calls over every address a name "
                                "resolves to)")
    grade_cmd.add_argument("--ray", metavar="ADDRESS", nargs="?", const=RAY_LOCAL, default=None,
                           help="grade with Ray Data (pip install 'grader[ray]'): on the Ray cluster at ADDRESS "
                                "(ray://HOST:10001, HOST:6379 or auto), or on a local Ray started for the run "
                                "when ADDRESS is left out; output, summary and progress as without --ray")
    grade_cmd.add_argument("--ray-actors", metavar="N", type=_positive_int, default=None,
                           help="with --ray: grading actors, each with --workers worker processes (1 unless "
                                "given) and as many CPUs (default: as many as the cluster's CPUs hold)")
    _add_judge_flags(grade_cmd)


# ``grader serve``'s judge settings, as flags of ``grade`` (same names and environment variables).
JUDGE_FLAGS = ("judge_model", "judge_url", "judge_template", "judge_endpoint_model", "judge_timeout",
               "judge_max_batch", "judge_tokens_per_pass", "device")


def _add_judge_flags(cmd: argparse.ArgumentParser) -> None:
    import dataclasses

    from ..server_config import ServerConfig
    from .serve import add_config_flags

    fields = {f.name: f for f in dataclasses.fields(ServerConfig)}
    add_config_flags(cmd, [fields[name] for name in JUDGE_FLAGS],
                     {"device": ("auto", "where a local judge model runs: auto (CUDA when present), cpu, cuda")})


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def run_grade(args: argparse.Namespace) -> int:
    """The ``grade`` subcommand: grade args.input into args.output, then print the summary."""
    if _same_file(args.input, args.output):
        return _fail(f"the output would overwrite the input {args.input!r}")
    start = time.perf_counter()
    try:
        if args.server:
            _check_client_settings()
        with _judge(args) as judge:
            summary = _grade_on_ray(args) if args.ray is not None else _grade_file(args, judge)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except UsageError as exc:
        return _fail(str(exc))
    except RunStopped as exc:
        print(f"grader: error: {exc}; the lines graded before it are in {_output_name(args)}", file=sys.stderr)
        return EXIT_SERVER_FAILED
    except Interrupted as exc:
        print(render_summary(exc.summary, time.perf_counter() - start, _source_name(args)), file=sys.stderr)
        lines = "1 line" if exc.summary.total == 1 else f"{exc.summary.total} lines"
        print(f"grader: interrupted; the {lines} graded before it are in {_output_name(args)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(render_summary(summary, time.perf_counter() - start, _source_name(args)), file=sys.stderr)
    return EXIT_OK


def _source_name(args: argparse.Namespace) -> str:
    return "stdin" if args.input == "-" else args.input


def _output_name(args: argparse.Namespace) -> str:
    return "stdout" if args.output == "-" else args.output


class RunStopped(Exception):
    """A call to --server failed after its retries: exit 1, the lines graded so far written (an unreachable
    server made every line PARSE_ERROR and the run exit 0, its summary counting them as verdicts)."""


class Interrupted(Exception):
    """Ctrl-C during a run: the lines graded so far are written; ``summary`` counts just those."""

    def __init__(self, summary: "Summary") -> None:
        super().__init__("interrupted")
        self.summary = summary


class UsageError(Exception):
    """Arguments that cannot work together: exit 2 with this message."""


def _check_client_settings() -> None:
    """A bad GRADER_LB_POLICY is a usage error before any line is read."""
    from ..client import settings_from_env

    try:
        settings_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@contextlib.contextmanager
def _judge(args: argparse.Namespace) -> Iterator[ModelStage | None]:
    """The judge --judge-model or --judge-url names, loaded once for the run (None when neither is given)."""
    from ..server_config import ServerConfig

    config = ServerConfig(**{name: getattr(args, name) for name in JUDGE_FLAGS if hasattr(args, name)})
    if not (config.judge_model or config.judge_url):
        yield None
        return
    if args.server or args.ray is not None:
        raise UsageError("--judge-model and --judge-url grade in this process: a server uses its own judge "
                         "(grader serve --judge-model ...), and --ray takes none")
    try:
        config.validate()
        judge = config.load_judge()
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot set up the judge ({exc})") from None
    try:
        yield judge
    finally:
        judge.close()


def _grade_file(args: argparse.Namespace, judge: ModelStage | None = None) -> Summary:
    """Grade IN into OUT: JSON Lines written as they come, a Parquet output when the run ends."""
    parquet_out = is_parquet(args.output)
    rows: list[dict[str, Any]] = []
    try:
        if parquet_out or is_parquet(args.input):
            require_pyarrow()  # before any line is graded
        with contextlib.ExitStack() as files:
            records, total = _input_records(args, files)
            sink = files.enter_context(_open_binary(args.output, "wb"))  # a bad path fails now, not after the run
            if parquet_out:
                try:
                    summary = _grade_records_into(records, total, args, judge, rows.append)
                finally:  # a run stopped by a failed server call keeps what was graded, as a JSON Lines one does
                    write_parquet(rows, sink)
            else:
                summary = _grade_records_into(records, total, args, judge, lambda out: sink.write(json_line(out)),
                                              sink.flush)
    except NoPyarrow as exc:
        raise UsageError(str(exc)) from None
    return summary


def _input_records(args: argparse.Namespace, files: contextlib.ExitStack) -> tuple[Iterator[Record], int | None]:
    """The input's records (a Parquet file's rows, numbered "Row 1", ...) and, for the progress bar, how many."""
    shown = show_progress(args)
    if not is_parquet(args.input):
        source = files.enter_context(_open_binary(args.input, "rb"))
        return read_records(source, args.verifier), count_nonblank_lines(args.input) if shown else None
    if not os.path.isfile(args.input):
        raise FileNotFoundError(2, "No such file", args.input)
    records = (Record(n, fields, item=item_from_row(fields, args.verifier), unit="Row")
               for n, fields in enumerate(parquet_rows(args.input), start=1))
    return records, parquet_row_count(args.input) if shown else None


def _grade_on_ray(args: argparse.Namespace) -> Summary:
    if args.server:
        raise UsageError("--ray and --server are alternatives: give one")
    if "-" in (args.input, args.output):
        raise UsageError("--ray reads and writes files: give IN and -o OUT as paths, not '-'")
    if args.grade_on_ray is None:
        raise UsageError("--ray is not available here")
    return args.grade_on_ray(args)


def show_progress(args: argparse.Namespace) -> bool:
    return not args.no_progress and sys.stderr.isatty()


def progress_bar(total: int | None, shown: bool) -> tqdm:
    """The progress bar on stderr (drawn only when ``shown``)."""
    # shutil falls back to 80x24 where the terminal reports no size (tqdm would draw nothing).
    columns, lines = shutil.get_terminal_size()
    return tqdm(total=total, unit="item", file=sys.stderr, disable=not shown, ncols=columns, nrows=lines)


def _grade_records_into(records: Iterable[Record], total: int | None, args: argparse.Namespace,
                        judge: ModelStage | None, write: Callable[[dict[str, Any]], object],
                        flush: Callable[[], object] = lambda: None) -> Summary:
    """Grade records chunk by chunk; ``write`` takes each output row (``output_fields``), in input order."""
    summary = Summary()
    try:
        with progress_bar(total, show_progress(args)) as bar:
            for chunk in _chunks(records, CHUNK_SIZE):
                for record, result in zip(chunk, grade_records(chunk, args.workers, args.server, judge=judge)):
                    write(output_fields(record, result))
                    summary.add(record.fields, result)
                flush()
                bar.update(len(chunk))
    except KeyboardInterrupt:  # what was written is counted; the rest of the chunk being graded is dropped
        flush()
        raise Interrupted(summary) from None
    return summary


def _same_file(input_path: str, output_path: str) -> bool:
    if "-" in (input_path, output_path) or not os.path.exists(output_path):
        return False
    try:
        return os.path.samefile(input_path, output_path)
    except OSError:
        return False


def _fail(message: str) -> int:
    print(f"grader: error: {message}", file=sys.stderr)
    return EXIT_USAGE


@contextlib.contextmanager
def _open_binary(path: str, mode: str) -> Iterator[BinaryIO]:
    """The file at path, or stdin/stdout's byte stream for '-' (left open)."""
    if path == "-":
        yield sys.stdin.buffer if "r" in mode else sys.stdout.buffer
        return
    with open(path, mode) as stream:
        yield stream


def count_nonblank_lines(path: str) -> int | None:
    """Lines to grade, for the progress bar's total (None for stdin)."""
    if path == "-":
        return None
    with open(path, "rb") as f:
        return sum(1 for raw in f if raw.strip())


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_records(source: BinaryIO, default_verifier: str) -> Iterator[Record]:
    """Parse each non-blank line of a binary stream; a bad line yields a Record with a problem."""
    for line_no, raw in enumerate(source, start=1):
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte order mark
        if raw.strip():
            yield parse_line(raw, line_no, default_verifier)


def parse_line(raw: bytes, line_no: int, default_verifier: str) -> Record:
    """Decode one line into a Record (the pipeline validates its fields)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Record(line_no, {}, problem=f"line {line_no} is not valid UTF-8 (byte {exc.start})")
    try:
        fields = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: also numbers too long to convert
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply or number too long"
        return Record(line_no, {}, problem=f"line {line_no} is not valid JSON ({detail})")
    if not isinstance(fields, dict):
        return Record(line_no, {}, problem=f"line {line_no} is not a JSON object")
    return Record(line_no, fields, item=item_from_row(fields, default_verifier))


# Where eval sets keep the question when they have no `prompt` (GSM8K and HardVerify: question, MATH: problem).
QUESTION_FIELDS = ("question", "problem")
# Families whose dataset rows carry the reference as fields of their own (see ``item_from_row``).
TASK_ROWS = (("ifeval", ifeval_spec), ("code", code_spec))


def item_from_row(fields: dict[str, Any], default_verifier: str) -> dict[str, Any]:
    """The grading item for one line's (or Parquet row's) fields.

    A row without a reference that is a task row of a family and names no other verifier is an item of
    that family, its reference made from the row's fields: IFEval's ``instruction_id_list`` and ``kwargs``
    (Google's input_data.jsonl, a NeMo-Gym row), HumanEval's ``test`` and ``entry_point`` or MBPP's
    ``test_list`` (code). A row without a response whose ``completion`` is text (human-eval's samples)
    has that as its response; one without a prompt whose ``question`` (or ``problem``) is text has that
    as its prompt."""
    item = {**fields, "verifier": fields.get("verifier") or default_verifier}
    if "response" not in fields and isinstance(fields.get("completion"), str):
        item["response"] = fields["completion"]
    if "prompt" not in fields:
        question = next((fields[k] for k in QUESTION_FIELDS if isinstance(fields.get(k), str)), None)
        if question is not None:
            item["prompt"] = question
    if "reference" not in fields:
        for verifier, spec in TASK_ROWS:
            if fields.get("verifier") in (None, "", verifier) and spec.is_task_row(fields):
                item.update(verifier=verifier, reference=spec.reference_from_row(fields))
                break
    return item


def grade_records(records: list[Record], workers: int | None, servers: list[str] | None = None,
                  pool: WorkerPool | None = None, judge: ModelStage | None = None) -> list[GradeResult]:
    """Verdicts for a chunk, in order: valid records are graded (in ``pool``'s workers where given, math
    rule misses going to ``judge`` where given), invalid ones get INVALID_ARGUMENT (its reason names the
    line, as for lines that are not JSON)."""
    items = [r.item for r in records if r.item is not None]
    verdicts = iter(_grade_items(items, workers, servers, pool, judge))
    results = []
    for record in records:
        result = next(verdicts) if record.item is not None else invalid_result(record.problem)
        if record.item is not None and result.status is Status.INVALID_ARGUMENT and record.line_no > 0:
            result.reason = numbered_reason(record.unit, record.line_no, result.reason)
        results.append(result)
    return results


def _grade_items(items: list[dict[str, Any]], workers: int | None, servers: list[str] | None,
                 pool: WorkerPool | None = None, judge: ModelStage | None = None) -> list[GradeResult]:
    if not items:
        return []
    if not servers:
        return grade_many(items, max_concurrency=workers, pool=pool, judge_service=judge)
    from .remote import ServerCallFailed, grade_remote

    # Validate here with the pipeline's own checks, and send only what a server can take.
    checked = [plan_item(item) for item in items]
    valid = [item for item, plan in zip(items, checked) if not isinstance(plan, GradeResult)]
    try:
        graded = iter(grade_remote(valid, servers, workers) if valid else [])
    except ServerCallFailed as exc:
        raise RunStopped(str(exc)) from None
    return [plan if isinstance(plan, GradeResult) else next(graded) for plan in checked]


def numbered_reason(unit: str, number: int, reason: str) -> str:
    """An INVALID_ARGUMENT reason that names its line (or Parquet row): "Line 3: missing field ..."."""
    return f"{unit} {number}: {reason[:1].lower()}{reason[1:]}"


def invalid_result(problem: str) -> GradeResult:
    """The verdict for a line that could not be read."""
    return GradeResult.failure(Status.INVALID_ARGUMENT, problem)


def output_fields(record: Record, result: GradeResult) -> dict[str, Any]:
    """An output row: the input's fields, then the verdict's (which replace input fields of the same name)."""
    return {**record.fields, **result.to_dict()}


def format_output_line(record: Record, result: GradeResult) -> bytes:
    """The output JSON line: input fields, then the verdict fields."""
    return json_line(output_fields(record, result))


def json_line(out: dict[str, Any]) -> bytes:
    """One output line's bytes: standard JSON (a NaN from the input is null), lone surrogates kept escaped."""
    return json_bytes(out) + b"\n"


def render_summary(summary: Summary, wall_s: float, source_name: str) -> str:
    """The plain-text summary table for one input."""
    rows = [("items", str(summary.total), "")]
    rows += [(f"status {s.value}", str(summary.by_status[s.value]), "") for s in Status]
    rows.append(("correct (accuracy)", str(summary.correct), _percent(summary.correct, summary.total)))
    if summary.labeled:
        rows.append(("labeled (expected)", str(summary.labeled), ""))
        rows.append(("agreement", str(summary.agree), _percent(summary.agree, summary.labeled)))
        rows.append(("false positives", str(summary.false_positives), ""))
        rows.append(("false negatives", str(summary.false_negatives), ""))
    rows.append(("wall time", f"{wall_s:.2f} s", ""))
    rate = summary.total / wall_s if wall_s > 0 else 0.0
    rows.append(("throughput", f"{rate:.1f} items/s", ""))
    parts = [f"Summary: {source_name}", format_table(("", "value", "share"), rows)]
    if summary.by_tag:
        parts += ["", "Per tag", _tag_table(summary)]
    return "\n".join(parts)


def _tag_table(summary: Summary) -> str:
    header = ("tag", "items", "correct", "accuracy")
    if summary.labeled:
        header += ("labeled", "agree", "agreement")
    rows = []
    for tag, t in sorted(summary.by_tag.items()):
        row = (tag, str(t["items"]), str(t["correct"]), _percent(t["correct"], t["items"]))
        if summary.labeled:
            row += (str(t["labeled"]), str(t["agree"]), _percent(t["agree"], t["labeled"]))
        rows.append(row)
    return format_table(header, rows)


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Align columns: the first left-aligned, the rest right-aligned."""
    table = [tuple(header)] + [tuple(r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
