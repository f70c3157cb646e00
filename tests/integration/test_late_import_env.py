"""Grading leaves the caller's environment alone, even where a library's import would not."""

import subprocess
import sys


def test_grading_text_that_needs_nltk_leaves_the_environment_alone():
    # nltk imports scikit-learn when it is installed, which sets KMP_* variables; a fresh interpreter
    # so that nltk is not already imported by another test.
    code = (
        "import os\nbefore = dict(os.environ)\n"
        "from grader.verifiers.ifeval import text\nfrom grader.verifiers.graders import fast_similarity\n"
        "text.treebank_words('Hello there.')\nfast_similarity.rouge_l('a cat', 'a cat sat')\n"
        "import sys\nassert 'nltk' in sys.modules\n"
        "print(sorted(set(os.environ.items()) ^ set(before.items())))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
