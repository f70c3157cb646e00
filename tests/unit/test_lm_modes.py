"""Extraction modes rules | lm | auto, with a scripted extractor behind the real batcher."""

from dataclasses import dataclass

import pytest

import grader
from grader import Status
from grader.lm.service import LMService


@dataclass(frozen=True)
class FakeSpan:
    start: int
    end: int
    text: str
    confidence: float = 0.99


class PointAt:
    """Points at the first occurrence of ``needle`` (or finds nothing)."""

    def __init__(self, needle: str | None) -> None:
        self.needle = needle
        self.calls = 0

    def extract_batch(self, texts):
        self.calls += len(texts)
        out = []
        for t in texts:
            i = t.find(self.needle) if self.needle else -1
            out.append(FakeSpan(i, i + len(self.needle), self.needle) if i >= 0 else None)
        return out


@pytest.fixture
def lm():
    services = []

    def make(needle):
        service = LMService(PointAt(needle))
        services.append(service)
        return service

    yield make
    for s in services:
        s.close()


CHATTER = "Therefore x equals 4. Check: 2·4 + 3 = 11."


def test_auto_uses_the_lm_when_rules_fall_back_to_the_last_number(lm):
    rules = grader.grade(CHATTER, "4", extraction="rules")
    assert not rules.correct and rules.method.startswith("last_number")
    auto = grader.grade(CHATTER, "4", extraction="auto", extractor=lm("4"))
    assert auto.correct and auto.method.startswith("lm+") and auto.extracted == "4"


def test_lm_mode_uses_only_the_lm(lm):
    service = lm("11")
    result = grader.grade(r"The answer is \boxed{4}. Check: 11.", "4", extraction="lm", extractor=service)
    assert not result.correct and result.extracted == "11" and result.method.startswith("lm+")
    none = grader.grade("no numbers here at all", "4", extraction="lm", extractor=lm(None))
    assert none.status == Status.NO_ANSWER and none.method == "lm+none"


def test_rules_mode_never_calls_the_lm(lm):
    service = lm("4")
    grader.grade(CHATTER, "4", extraction="rules", extractor=service)
    assert service.extractor.calls == 0


def test_on_cpu_items_that_do_not_choose_get_rules_only(lm, monkeypatch):
    """A forward pass on CPU costs tens of milliseconds, the rules tens of microseconds."""
    monkeypatch.delenv("GRADER_EXTRACTOR", raising=False)
    service = lm("4")
    result = grader.grade(CHATTER, "4", extractor=service)
    assert service.extractor.calls == 0
    assert not result.correct and result.method.startswith("last_number")
    assert grader.grade(CHATTER, "4", extractor=service, extraction="auto").correct  # asking still works
    assert service.extractor.calls == 1


def test_on_cpu_the_default_model_is_not_even_loaded(monkeypatch):
    import grader.lm.service as lm_service

    monkeypatch.delenv("GRADER_EXTRACTOR", raising=False)
    monkeypatch.setattr(lm_service, "accelerator_present", lambda: False)
    monkeypatch.setattr(lm_service, "default_service", lambda: pytest.fail("the model was loaded"))
    assert grader.grade(CHATTER, "4").method.startswith("last_number")


def test_where_the_model_is_cheap_the_default_asks_it(lm, monkeypatch):
    monkeypatch.delenv("GRADER_EXTRACTOR", raising=False)
    service = lm("4")
    monkeypatch.setattr(LMService, "on_accelerator", property(lambda self: True))
    result = grader.grade(CHATTER, "4", extractor=service)
    assert service.extractor.calls == 1
    assert result.correct and result.method.startswith("lm+")


def test_grader_extractor_on_turns_the_default_on_and_off_turns_it_off(lm, monkeypatch):
    service = lm("4")
    monkeypatch.setenv("GRADER_EXTRACTOR", "on")
    assert grader.grade(CHATTER, "4", extractor=service).correct and service.extractor.calls == 1
    monkeypatch.setenv("GRADER_EXTRACTOR", "off")
    monkeypatch.setattr(LMService, "on_accelerator", property(lambda self: True))
    assert not grader.grade(CHATTER, "4", extractor=service).correct and service.extractor.calls == 1


def test_auto_a_last_number_guess_does_not_stand_against_the_lms_reading_elsewhere(lm):
    # The last number is a guess at where the answer is: a response of guesses ("3? 5? 7?") was right for its
    # last number by rules and for the LM's reading too. Where the LM reads elsewhere, its verdict stands.
    result = grader.grade("We get 3. Then 11", "11", extraction="auto", extractor=lm("3"))
    assert not result.correct and result.method.startswith("lm+")
    assert grader.grade("We get 3. Then 11", "11", extraction="rules").correct
    agreeing = grader.grade("We get 3. Then 11", "11", extraction="auto", extractor=lm("11"))
    assert agreeing.correct


def test_correct_rule_answers_are_not_second_guessed(lm):
    service = lm("7")
    result = grader.grade(r"So \boxed{4}. Note 7 later.", "4", extraction="auto", extractor=service)
    assert result.correct and result.method.startswith("boxed+")
    assert service.extractor.calls == 0


def test_lm_cannot_overrule_a_boxed_answer_with_a_number_from_elsewhere(lm):
    # the boxed answer is wrong; a matching "15" sits in unrelated chatter: no false positive
    response = r"First we note 15 apples. After more work the result is \boxed{12}."
    result = grader.grade(response, "15", extraction="auto", extractor=lm("15"))
    assert not result.correct and result.method.startswith("boxed+")


def test_lm_may_fix_the_boundaries_of_a_marked_answer(lm):
    response = "The answer is k = 7, m = 2 for the first part"
    rules = grader.grade(response, "7", extraction="rules")
    assert not rules.correct and rules.method.startswith("answer_is")
    result = grader.grade(response, "7", extraction="auto", extractor=lm("7"))
    assert result.correct and result.method.startswith("lm+")


def test_no_lm_span_keeps_the_rules_verdict(lm):
    result = grader.grade(CHATTER, "4", extraction="auto", extractor=lm(None))
    assert not result.correct and result.method.startswith("last_number")


def test_no_answer_from_rules_gets_the_lms_answer(lm):
    response = "Counting the cases carefully, the day we want is Monday, as the pattern repeats weekly"
    rules = grader.grade(response, "Monday", extraction="rules")
    assert rules.status == Status.NO_ANSWER
    result = grader.grade(response, "Monday", extraction="auto", extractor=lm("Monday"))
    assert result.correct and result.method.startswith("lm+")


def test_lm_mode_without_a_model_is_invalid(monkeypatch):
    monkeypatch.setenv("GRADER_EXTRACTOR", "off")
    result = grader.grade("The answer is 4.", "4", extraction="lm")
    assert result.status == Status.INVALID_ARGUMENT and "extractor model" in result.reason


def test_bad_extraction_value_is_invalid():
    assert grader.grade("4", "4", extraction="magic").status == Status.INVALID_ARGUMENT


def test_grade_many_shares_one_batcher(lm):
    service = lm("4")
    items = [{"response": CHATTER, "reference": "4", "options": {"extraction": "auto"}} for _ in range(16)]
    results = grader.grade_many(items, extractor=service, max_concurrency=8)
    assert all(r.correct for r in results)
    assert service.batcher.batches < 16  # concurrent callers were coalesced


@pytest.mark.parametrize("response", ["Answer $ \n 9 \n $", "Answer \\( \n 9 \n \\)"])
def test_lm_span_inside_broken_inline_math_is_no_answer(lm, response):
    """A $ … $ pair broken by a line break is no math to the rules (LaTeX answers
    only, as in Math-Verify's tests); the LM may not read it either."""
    latex_only = {"match_types": ["latex"]}
    assert grader.grade(response, "$9$", extraction="rules", **latex_only).status is Status.NO_ANSWER
    auto = grader.grade(response, "$9$", extraction="auto", extractor=lm("9"), **latex_only)
    assert not auto.correct and auto.status is Status.NO_ANSWER
    # the same answer outside a broken pair is read
    assert grader.grade("Answer: well, 9", "$9$", extraction="auto", extractor=lm("9"), **latex_only).correct


class Broken:
    """An extractor whose forward pass fails."""

    def extract_batch(self, texts):
        raise RuntimeError("CUDA error: device-side assert")


def test_a_failing_model_leaves_the_rules_verdict_and_costs_no_batch():
    service = LMService(Broken())
    try:
        items = [{"response": CHATTER, "reference": "4", "options": {"extraction": "auto"}},
                 {"response": CHATTER, "reference": "4", "options": {"extraction": "lm"}},
                 {"response": r"\boxed{4}", "reference": "4"}]
        auto, lm_only, plain = grader.grade_many(items, extractor=service)
    finally:
        service.close()
    assert auto.status is Status.OK and auto.method.startswith("last_number")  # the rules verdict stands
    assert lm_only.status is Status.PARSE_ERROR and "extractor model failed" in lm_only.reason
    assert plain.correct


def test_a_second_opinion_that_runs_out_of_time_leaves_the_rules_verdict():
    from grader.pipeline import plan_item, timeout_result
    from grader.verifiers.math.verifier import MathVerifier

    math = MathVerifier()
    plan = plan_item({"response": "The answer is 3.", "reference": "7", "options": {"extraction": "auto"}})
    rules = grader.grade("The answer is 3.", "7", extraction="rules")
    follow_up = math.follow_up(plan, rules, FakeSpan(14, 15, "3"))
    assert math.settle(follow_up, rules, timeout_result(1.0)) is rules
    only_lm = plan_item({"response": "The answer is 3.", "reference": "7", "options": {"extraction": "lm"}})
    assert math.settle(math.follow_up(only_lm, rules, FakeSpan(14, 15, "3")), rules,
                       timeout_result(1.0)).status is Status.TIMEOUT


class Recorder:
    """Records the questions it is given (the text-only call when a batch has none)."""

    def __init__(self, needle: str) -> None:
        self.needle = needle
        self.questions: list = []
        self.text_only_calls = 0

    def extract_batch(self, texts, questions=None):
        if questions is None:
            self.text_only_calls += 1
            questions = [None] * len(texts)
        self.questions.extend(questions)
        return [FakeSpan(t.find(self.needle), t.find(self.needle) + len(self.needle), self.needle)
                if self.needle in t else None for t in texts]


def test_the_prompt_reaches_the_extractor_as_its_question():
    rec = Recorder("4")
    service = LMService(rec)
    try:
        with_prompt = grader.grade(CHATTER, "4", prompt="Solve 2x + 3 = 11. What is x?", extraction="auto",
                                   extractor=service)
        without = grader.grade(CHATTER, "4", extraction="auto", extractor=service)
        many = grader.grade_many([{"response": CHATTER, "reference": "4", "prompt": "What is x?",
                                   "options": {"extraction": "lm"}}], extractor=service)
    finally:
        service.close()
    assert with_prompt.correct and without.correct and many[0].correct
    assert rec.questions == ["Solve 2x + 3 = 11. What is x?", None, "What is x?"]
    assert rec.text_only_calls == 1  # no question: the extractor is called as before


def test_the_question_is_bounded():
    from grader.types import Item
    from grader.verifiers.math.verifier import QUESTION_CHARS, MathVerifier

    verifier = MathVerifier()
    long_prompt = "x" * (3 * QUESTION_CHARS) + " What is the area?"
    plan = verifier.prepare(Item(CHATTER, ("4",), prompt=long_prompt), {"extraction": "lm"})
    query = verifier.consult(plan, verifier.grade(plan, in_worker=True))
    assert query is not None and query.question == long_prompt[-QUESTION_CHARS:]
    assert query.question.endswith("What is the area?")
    plan = verifier.prepare(Item(CHATTER, ("4",), prompt="  "), {"extraction": "lm"})
    assert verifier.consult(plan, verifier.grade(plan, in_worker=True)).question is None
