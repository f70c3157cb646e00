"""Test tiers, each a folder: ``unit`` (no subprocesses, no model; ``make test-fast``),
``integration`` (real worker processes and servers), ``model`` (trained models), ``deploy``.

The LM extractor's second opinion is off for every test outside ``tests/model``:
a CPU forward pass per non-matching answer would only slow tests that are not about it.
"""

import pathlib
import sys

import pytest

TESTS = pathlib.Path(__file__).parent
# tests/accuracy.py is shared by the tests and by `python tests/accuracy.py`.
sys.path.insert(0, str(TESTS))


@pytest.fixture(autouse=True)
def _extractor_off_outside_the_model_tier(request, monkeypatch):
    if TESTS / "model" not in pathlib.Path(request.node.path).parents:
        monkeypatch.setenv("GRADER_EXTRACTOR", "off")
