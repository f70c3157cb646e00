"""Tests of the command line: ``grader grade IN.jsonl -o OUT.jsonl``.

The items are plain numbers, which the engine grades on its fast path
(no sympy worker), so the file runs in about a second.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader import cli
from grader.cli import grade as grade_cmd

RIGHT = {"response": "The answer is 42.", "reference": "42"}
WRONG = {"response": "\\boxed{41}", "reference": "42"}
RESULT_FIELDS = {"correct", "score", "reward", "status", "extracted", "normalized", "normalized_reference",
                 "method", "reason", "checks", "latency_ms"}


def write_jsonl(path: Path, lines: list[dict | str | bytes]) -> Path:
    """Write objects as JSON, strings and bytes verbatim, one per line."""
    raw = b"".join((line if isinstance(line, bytes) else
                    (line if isinstance(line, str) else json.dumps(line)).encode()) + b"\n" for line in lines)
    path.write_bytes(raw)
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_cli(tmp_path: Path, lines: list[dict | str | bytes], *extra: str) -> list[dict]:
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    assert cli.main(["grade", str(source), "-o", str(out), "--no-progress", *extra]) == 0
    return read_jsonl(out)


def table_rows(text: str) -> dict[str, list[str]]:
    """Summary lines keyed by their first cell (cells are separated by runs of 2+ spaces)."""
    rows = {}
    for line in text.splitlines():
        label, *values = re.split(r"\s{2,}", line.strip())
        if values:
            rows[label] = values
    return rows


def test_fields_are_carried_through_in_input_order(tmp_path: Path) -> None:
    lines = [{"id": f"q{i}", **(RIGHT if i % 2 == 0 else WRONG), "meta": {"seed": i, "tags": ["x"]}, "note": None}
             for i in range(6)]
    out = run_cli(tmp_path, lines)
    assert [row["id"] for row in out] == [f"q{i}" for i in range(6)]
    for i, row in enumerate(out):
        assert RESULT_FIELDS <= row.keys()
        assert row["meta"] == {"seed": i, "tags": ["x"]} and row["note"] is None
        assert row["status"] == "OK"
        assert row["correct"] is (i % 2 == 0)
        assert row["score"] == (1.0 if i % 2 == 0 else 0.0)


def test_list_reference_and_options_are_passed(tmp_path: Path) -> None:
    out = run_cli(tmp_path, [{"response": "The answer is 42.", "reference": ["41", "42"], "options": {"timeout": 2}},
                             {**RIGHT, "options": {"no_such_option": 1}}])
    assert out[0]["correct"] is True
    assert out[1]["status"] == "INVALID_ARGUMENT" and "no_such_option" in out[1]["reason"]


def test_bad_lines_are_invalid_and_do_not_stop_the_run(tmp_path: Path) -> None:
    lines = [
        {"id": 1, **RIGHT},
        "{not json",
        b'{"id": 3, "response": "\xff\xfe 42", "reference": "42"}',
        "",
        "[1, 2, 3]",
        {"id": 6, "reference": "42"},
        {"id": 7, "response": 42, "reference": "42"},
        {"id": 8, "response": "42", "reference": [1, 2]},
        {"id": 9, **RIGHT, "verifier": "no_such_verifier"},
        {"id": 10, **RIGHT, "options": "fast"},
        {"id": 11, **WRONG},
    ]
    out = run_cli(tmp_path, lines)
    assert len(out) == len(lines) - 1  # the blank line gets no output line
    statuses = [row["status"] for row in out]
    assert statuses == ["OK"] + ["INVALID_ARGUMENT"] * 8 + ["OK"]
    assert out[0]["correct"] is True and out[-1]["correct"] is False
    for row in out[1:-1]:
        assert row["correct"] is False and row["score"] == 0 and row["reason"]
    assert "line 2" in out[1]["reason"].lower() and "json" in out[1]["reason"].lower()
    assert "utf-8" in out[2]["reason"].lower()
    assert "object" in out[3]["reason"].lower()
    assert "response" in out[4]["reason"]
    assert [row["reason"].split(":")[0] for row in out[4:-1]] == [f"Line {n}" for n in range(6, 11)]
    assert [row.get("id") for row in out] == [1, None, None, None, 6, 7, 8, 9, 10, 11]


def test_summary_reports_statuses_agreement_and_tags(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lines = [
        {**RIGHT, "expected": True, "tag": "algebra"},
        {**WRONG, "expected": False, "tag": "algebra"},
        {**RIGHT, "expected": False, "tag": "geometry"},  # a false positive
        {**WRONG, "expected": True, "tag": "geometry"},   # a false negative
        {**RIGHT, "expected": True, "tag": "geometry"},
        "oops",
    ]
    run_cli(tmp_path, lines)
    rows = table_rows(capsys.readouterr().err)
    assert rows["items"] == ["6"]
    assert rows["status OK"] == ["5"] and rows["status INVALID_ARGUMENT"] == ["1"]
    assert rows["correct (accuracy)"] == ["3", "50.0%"]
    assert rows["labeled (expected)"] == ["5"]
    assert rows["agreement"] == ["3", "60.0%"]
    assert rows["false positives"] == ["1"] and rows["false negatives"] == ["1"]
    assert rows["throughput"][0].endswith(" items/s") and rows["wall time"][0].endswith(" s")
    assert rows["algebra"] == ["2", "1", "50.0%", "2", "2", "100.0%"]
    assert rows["geometry"] == ["3", "2", "66.7%", "3", "1", "33.3%"]


def test_summary_without_labels_or_tags_has_no_such_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run_cli(tmp_path, [RIGHT, WRONG])
    err = capsys.readouterr().err
    assert "accuracy" in err and "50.0%" in err
    assert "agreement" not in err and "Per tag" not in err


def test_default_verifier_applies_to_lines_without_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake_grade_many(items, max_concurrency=None, pool=None, judge_service=None):
        seen.extend(item["verifier"] for item in items)
        assert max_concurrency == 3 and pool is None and judge_service is None  # the default pool, no judge
        return [grade_cmd.invalid_result("fake") for _ in items]

    monkeypatch.setattr(grade_cmd, "grade_many", fake_grade_many)
    run_cli(tmp_path, [RIGHT, {**RIGHT, "verifier": "math"}], "--verifier", "exact", "--workers", "3")
    assert seen == ["exact", "math"]


def test_ifeval_rows_in_googles_own_format_are_graded_without_a_reference(tmp_path: Path) -> None:
    # Google's input_data.jsonl row with a response: the instructions are fields of the row.
    row = {"key": 1, "prompt": "Write about cats. Do not use any commas.",
           "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
           "kwargs": [{}, {"num_words": 5, "relation": "at least"}]}
    out = run_cli(tmp_path, [{**row, "response": "Cats sleep most of the day and night."},
                             {**row, "response": "Cats, it seems, sleep a lot every day."},
                             {**row, "kwargs": [{}], "response": "Cats sleep."},
                             {**row, "verifier": "exact", "response": "x"}])
    assert [r["status"] for r in out] == ["OK", "OK", "INVALID_ARGUMENT", "INVALID_ARGUMENT"]
    assert [r["correct"] for r in out[:2]] == [True, False]
    assert [c["name"] for c in out[1]["checks"]] == row["instruction_id_list"]
    assert out[1]["checks"][0]["passed"] is False and out[1]["checks"][1]["passed"] is True
    assert "one 'kwargs' mapping per instruction id" in out[2]["reason"]
    assert "reference" in out[3]["reason"]  # a line naming another verifier still needs a reference
    assert "reference" not in out[0]  # the output carries the input's fields, not the made-up reference


def test_a_question_or_problem_field_is_the_prompt_where_a_line_has_none() -> None:
    def prompt_of(fields: dict) -> object:
        return grade_cmd.item_from_row(fields, "math").get("prompt")

    assert prompt_of({**RIGHT, "question": "How many?"}) == "How many?"
    assert prompt_of({**RIGHT, "problem": "Find x."}) == "Find x."
    assert prompt_of({**RIGHT, "prompt": "Asked.", "question": "Other."}) == "Asked."
    assert prompt_of({**RIGHT, "question": {"text": "not text"}}) is None
    assert prompt_of(RIGHT) is None


def test_humaneval_and_mbpp_rows_are_code_items_made_from_their_fields() -> None:
    humaneval = {"task_id": "t/0", "prompt": "def f(x):\n", "completion": "    return x\n",
                 "test": "def check(candidate):\n    assert candidate(1) == 1\n", "entry_point": "f"}
    item = grade_cmd.item_from_row(humaneval, "math")
    assert item["verifier"] == "code" and item["response"] == humaneval["completion"]
    assert json.loads(item["reference"]) == {k: humaneval[k] for k in ("test", "entry_point", "prompt")}
    mbpp = grade_cmd.item_from_row({"response": "x", "test_list": ["assert f(1) == 1"]}, "math")
    assert mbpp["verifier"] == "code" and json.loads(mbpp["reference"]) == {"test_list": ["assert f(1) == 1"]}
    assert grade_cmd.item_from_row({**humaneval, "verifier": "math"}, "math")["verifier"] == "math"
    assert grade_cmd.item_from_row({**humaneval, "response": "r"}, "math")["response"] == "r"  # response first


def test_many_lines_are_processed_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grade_cmd, "CHUNK_SIZE", 4)
    lines = [{"id": i, **(RIGHT if i % 3 else WRONG)} for i in range(10)]
    out = run_cli(tmp_path, lines)
    assert [row["id"] for row in out] == list(range(10))
    assert [row["correct"] for row in out] == [bool(i % 3) for i in range(10)]


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_ctrl_c_keeps_the_graded_lines_and_prints_their_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """Ctrl-C used to print only "grader: interrupted": no summary of what was done, nor where it went."""
    if suffix == "parquet":
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(grade_cmd, "CHUNK_SIZE", 4)
    graded = grade_cmd.grade_records

    def stopped_on_the_third_chunk(chunk, *args, **kw):
        if chunk[0].fields["id"] == 8:
            raise KeyboardInterrupt
        return graded(chunk, *args, **kw)

    monkeypatch.setattr(grade_cmd, "grade_records", stopped_on_the_third_chunk)
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, **RIGHT, "expected": True} for i in range(10)])
    out = tmp_path / f"out.{suffix}"
    assert cli.main(["grade", str(source), "-o", str(out), "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert table_rows(err)["items"][0] == "8" and table_rows(err)["agreement"][:2] == ["8", "100.0%"]
    assert f"interrupted; the 8 lines graded before it are in {out}" in err
    if suffix == "jsonl":
        rows = read_jsonl(out)
    else:
        import pyarrow.parquet as pq
        rows = pq.read_table(out).to_pylist()
    assert [row["id"] for row in rows] == list(range(8))


def test_parquet_in_and_out_without_ray(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [{"id": "a", **RIGHT, "expected": True}, {"id": "b", **WRONG, "expected": False},
            {"id": "c", "response": "7", "reference": ""}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    assert cli.main(["grade", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.jsonl"), "--no-progress"]) == 0
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [(r["id"], r["correct"], r["status"]) for r in out] == [("a", True, "OK"), ("b", False, "OK"),
                                                                   ("c", False, "INVALID_ARGUMENT")]
    assert out[2]["reason"].startswith("Row 3: ")
    assert table_rows(capsys.readouterr().err)["agreement"][:2] == ["2", "100.0%"]
    # JSON Lines in, Parquet out: the same verdicts, read back as rows
    assert cli.main(["grade", str(tmp_path / "out.jsonl"), "-o", str(tmp_path / "again.pq"), "--no-progress"]) == 0
    again = pq.read_table(tmp_path / "again.pq").to_pylist()
    assert [(r["id"], r["correct"]) for r in again] == [("a", True), ("b", False), ("c", False)]


def test_parquet_output_stores_rows_whose_columns_arrow_cannot_type(tmp_path: Path) -> None:
    """An empty object (options {}: a struct with no field, which Parquet refuses) and a nested field whose type
    changes from row to row were a pyarrow traceback and exit 1, with every graded row lost."""
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    source = write_jsonl(tmp_path / "in.jsonl", [{**RIGHT, "options": {}, "meta": {"k": 1}, "tags": [{}]},
                                                 {**WRONG, "options": {}, "meta": {"k": "one"}, "tags": [{}]}])
    assert cli.main(["grade", str(source), "-o", str(tmp_path / "out.parquet"), "--no-progress"]) == 0
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["correct"] for r in rows] == [True, False]
    assert [r["options"] for r in rows] == ["{}", "{}"] and [r["meta"] for r in rows] == ['{"k": 1}', '{"k": "one"}']
    assert rows[0]["reference"] == RIGHT["reference"]  # a column Arrow types keeps its type


def test_a_parquet_output_path_that_cannot_be_written_fails_before_grading(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    source = write_jsonl(tmp_path / "in.jsonl", [RIGHT])
    monkeypatch.setattr(grade_cmd, "grade_many", lambda *a, **k: pytest.fail("graded before the check"))
    assert cli.main(["grade", str(source), "-o", str(tmp_path / "no" / "out.parquet"), "--no-progress"]) == 2
    assert "No such file" in capsys.readouterr().err


def test_output_lines_are_standard_json_and_binary_columns_are_their_text(tmp_path: Path) -> None:
    """Python reads NaN and Infinity in a line and wrote them back as such, which other JSON readers refuse; a
    binary Parquet column holding UTF-8 text came through as its repr, "b'\\xe7...'"."""
    def strict(text: str) -> list[dict]:
        def refuse(constant: str) -> None:
            raise ValueError(f"non-standard JSON: {constant}")
        return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]

    source = write_jsonl(tmp_path / "in.jsonl", ['{"response": "1", "reference": "1", "weight": NaN, "cap": Infinity}'])
    assert cli.main(["grade", str(source), "-o", str(tmp_path / "out.jsonl"), "--no-progress"]) == 0
    row, = strict((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert row["weight"] is None and row["cap"] is None and row["correct"] is True
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"response": pa.array(["答案 \\boxed{4}".encode()], pa.binary()), "reference": ["4"]})
    pq.write_table(table, tmp_path / "bin.parquet")
    assert cli.main(["grade", str(tmp_path / "bin.parquet"), "-o", str(tmp_path / "bin.jsonl"), "--no-progress"]) == 0
    row, = strict((tmp_path / "bin.jsonl").read_text(encoding="utf-8"))
    assert row["response"] == "答案 \\boxed{4}" and row["correct"] is True


def test_a_parquet_file_that_cannot_be_read_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    assert cli.main(["grade", str(bad), "-o", str(tmp_path / "out.jsonl"), "--no-progress"]) == 2
    assert f"{bad}: not a Parquet file" in capsys.readouterr().err
    from grader.cli import tables

    def no_pyarrow():
        raise tables.NoPyarrow("Parquet files need pyarrow: pip install 'grader[ray]' (or pyarrow)")

    monkeypatch.setattr(tables, "_pyarrow", no_pyarrow)
    source = write_jsonl(tmp_path / "in.jsonl", [RIGHT])
    monkeypatch.setattr(grade_cmd, "grade_many", lambda *a, **k: pytest.fail("graded before the check"))
    assert cli.main(["grade", str(source), "-o", str(tmp_path / "out.parquet"), "--no-progress"]) == 2
    assert "need pyarrow" in capsys.readouterr().err


def test_missing_input_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out.jsonl"
    assert cli.main(["grade", str(tmp_path / "missing.jsonl"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "missing.jsonl" in err and "No such file" in err
    assert not out.exists()


@pytest.mark.parametrize("flags, message", [
    (["--judge-model", "default", "--server", "127.0.0.1:1"], "a server uses its own judge"),
    (["--judge-model", "/no/such/judge"], "no judge model folder at '/no/such/judge'"),
    (["--judge-model", "default", "--judge-url", "http://127.0.0.1:1"], "are alternatives: give one"),
    (["--judge-url", "http://127.0.0.1:1", "--judge-template", "nope"], "unknown judge template"),
    (["--judge-url", "http://127.0.0.1:1", "--judge-max-batch", "-1"], "0 (by device) or more"),
    (["--judge-url", "http://127.0.0.1:1", "--judge-timeout", "0"], "--judge-timeout must be more than 0"),
])
def test_judge_flags_that_cannot_work_exit_2_before_grading(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                             flags: list[str], message: str) -> None:
    source, out = write_jsonl(tmp_path / "in.jsonl", [RIGHT]), tmp_path / "out.jsonl"
    assert cli.main(["grade", str(source), "-o", str(out), "--no-progress", *flags]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()  # the judge is set up before the output is opened


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture) -> None:
    assert cli.main([]) == 2
    assert cli.main(["grade", "x.jsonl", "--workers", "0"]) == 2
    assert cli.main(["grade", "x.jsonl", "--verifier", "nope"]) == 2


def test_a_bad_lb_policy_for_servers_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"response": "1", "reference": "1"}\n')
    monkeypatch.setenv("GRADER_LB_POLICY", "least_loaded")
    assert cli.main(["grade", str(source), "-o", str(tmp_path / "out.jsonl"), "--server", "127.0.0.1:1"]) == 2
    assert "GRADER_LB_POLICY must be one of pick_first, round_robin" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()  # refused before any line was read


def test_help_describes_the_options(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["--help"]) == 0
    assert "grade" in capsys.readouterr().out
    assert cli.main(["grade", "--help"]) == 0
    text = capsys.readouterr().out
    for word in ("--output", "--verifier", "--workers", "--no-progress", "INVALID_ARGUMENT", "expected", "tag",
                 "Exit status"):
        assert word in text
