"""The command line as a process: ``python -m grader grade -`` on stdin and stdout."""

from __future__ import annotations

import json
import subprocess
import sys

RIGHT = {"response": "The answer is 42.", "reference": "42"}
WRONG = {"response": "\\boxed{41}", "reference": "42"}


def test_python_m_grader_reads_stdin_and_writes_stdout(tmp_path) -> None:
    data = "\n".join(json.dumps({"id": i, **item}) for i, item in enumerate([RIGHT, WRONG])) + "\n"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "-"], input=data.encode(),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [(r["id"], r["correct"]) for r in rows] == [(0, True), (1, False)]
    assert "Summary" in proc.stderr.decode() and "\r" not in proc.stderr.decode()  # no progress bar off a tty
