"""The server with the LM extractor: loaded once at start-up, asked for second opinions in batches."""

import pytest

from grader import Status
from grader.client import GraderClient
from servers import Server


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-extractor"))


def test_server_with_an_extractor_model(tiny_model):
    srv = Server("--extractor-model", str(tiny_model))
    try:
        assert any('"event": "extractor_loaded"' in line for line in srv.log)
        # On CPU (no accelerator here) only items that ask get the second opinion.
        from grader.lm.service import accelerator_present

        by_default = "true" if accelerator_present() else "false"
        assert any(f'"extractor_by_default": {by_default}' in line for line in srv.log), srv.log
        with GraderClient(srv.target, timeout=60) as c:
            auto = {"extraction": "auto"}
            items = [{"response": r"So \boxed{42}.", "reference": "42", "options": auto},  # rules decide
                     {"response": "The answer is 42. Check: 6 times 7 is 42, not 41.", "reference": "41",
                      "options": auto},
                     {"response": "The answer is 42.", "reference": "42", "options": {"extraction": "lm"}},
                     {"response": "The answer is 42.", "reference": "42", "options": {"extraction": "rules"}}]
            results = c.grade_batch(items)
        assert results[0].correct and results[0].method.startswith("boxed+")
        assert results[1].status in (Status.OK, Status.NO_ANSWER) and not results[1].correct
        assert results[2].method.startswith("lm+")
        assert results[3].correct and results[3].method.startswith("answer_is+")
    finally:
        assert srv.stop() == 0


def test_lm_mode_on_a_server_without_extractor():
    srv = Server()  # --no-extractor
    try:
        with GraderClient(srv.target, timeout=30) as c:
            result = c.grade("The answer is 42.", "42", extraction="lm")
            auto = c.grade("The answer is 42.", "42", extraction="auto")
        assert result.status == Status.INVALID_ARGUMENT and "extractor" in result.reason
        assert auto.correct  # auto falls back to rules
    finally:
        assert srv.stop() == 0


def test_a_named_model_that_does_not_load_stops_start_up(tmp_path):
    with pytest.raises(RuntimeError, match="cannot load the extractor model"):
        Server("--extractor-model", str(tmp_path / "missing"))
