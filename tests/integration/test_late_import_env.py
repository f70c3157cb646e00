"""Grading leaves the caller's environment alone, even where a library's import would not."""

import subprocess
import sys


def printed_by_a_fresh_interpreter(code: str) -> str:
    """What ``code`` prints, run in a new Python (no module another test imported is loaded there)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_grading_text_that_needs_nltk_leaves_the_environment_alone():
    # nltk imports scikit-learn when it is installed, which sets KMP_* variables; a fresh interpreter
    # so that nltk is not already imported by another test.
    code = (
        "import os\nbefore = dict(os.environ)\n"
        "from grader.verifiers.graders import meteor\nmeteor.meteor('a cat', 'a cat sat')\n"
        "import sys\nassert 'nltk' in sys.modules\n"
        "print(sorted(set(os.environ.items()) ^ set(before.items())))\n")
    assert printed_by_a_fresh_interpreter(code) == "[]"


def test_word_counts_and_word_metrics_load_no_heavy_library():
    """IFEval's capital words (Treebank tokens), rouge_* and gleu imported nltk (rouge-score's tokenizer module
    imports its stemmer), and with it scikit-learn and SciPy: 2 to 3 s on a process's first such item and
    180 MB in each grading process."""
    code = ("import json, sys, grader\n"
            "spec = {'instruction_id_list': ['change_case:capital_word_frequency'],\n"
            "        'kwargs': [{'capital_frequency': 2, 'capital_relation': 'at least'}]}\n"
            "r = grader.grade('The FOX and the DOG ran.', json.dumps(spec), verifier='ifeval')\n"
            "assert r.correct, r\n"
            "config = {'type': 'text_similarity', 'input': '{{sample.output_text}}', 'reference': 'the cat sat'}\n"
            "for metric in ('bleu', 'gleu', 'rouge_1', 'rouge_l', 'fuzzy_match'):\n"
            "    r = grader.grade('the cat sat down', 'x', verifier='grader', grader={**config,\n"
            "                     'evaluation_metric': metric})\n"
            "    assert r.status.value == 'OK' and r.score > 0.5, (metric, r)\n"
            "print(sorted(m for m in ('nltk', 'sklearn', 'scipy', 'rouge_score') if m in sys.modules))\n")
    assert printed_by_a_fresh_interpreter(code) == "[]"
