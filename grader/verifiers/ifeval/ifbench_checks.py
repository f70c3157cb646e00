"""IFBench's count, ratio, words and sentence checkers, each ``(response, constraint) -> (passed, reason)``.

Each follows the official IFBench checker's reading (allenai/IFBench
``instructions.py``): its tokenizations (whitespace tokens with ASCII
punctuation stripped or deleted, ``\\w+`` runs, NLTK's Punkt sentences and
Treebank words), case rules and quirks, so that verdicts agree. Keywords are
literal whole words. Where upstream needs downloaded data (NLTK's stopwords and
POS tagger), ``lexicon`` holds the list instead.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

from . import lexicon
from . import text as t
from .spec import Constraint

Result = tuple[bool, str]

PUNCTUATION = string.punctuation
_DELETE_PUNCTUATION = str.maketrans("", "", string.punctuation)
_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxyz")


def drop_punctuation(text: str) -> str:
    """The text with every ASCII punctuation mark deleted ("don't" -> "dont")."""
    return text.translate(_DELETE_PUNCTUATION)


def edge_strip(token: str) -> str:
    """A token without the ASCII punctuation and spaces around it."""
    return token.strip(PUNCTUATION + " ")


def split_words(text: str) -> list[str]:
    """Lowercased whitespace tokens with punctuation deleted (IFBench's words for repeats)."""
    return drop_punctuation(text.lower()).split()


def alnum_tokens(text: str) -> list[str]:
    """NLTK's word_tokenize tokens that hold a letter or digit (standalone punctuation dropped)."""
    return [token for token in t.treebank_words(text) if any(ch.isalnum() for ch in token)]


def whole_word_count(text: str, keyword: str) -> int:
    """Case-insensitive matches of the literal keyword with no word character either side.

    Upstream's ``\\b`` pattern is the same for a keyword of word characters, but never matches one
    that ends in punctuation ("C++" followed by a space).
    """
    return len(re.findall(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE))


def _exactly(count: int, wanted: int, unit: str) -> Result:
    return count == wanted, f"{count} {unit}, needs exactly {wanted}"


def _at_least(count: int, wanted: int, unit: str) -> Result:
    return count >= wanted, f"{count} {unit}, needs at least {wanted}"


# --- count ----------------------------------------------------------------------------------

def word_count_range(r: str, c: Constraint) -> Result:
    count, low, high = t.words(r), c.arg("min_words"), c.arg("max_words")
    return low <= count <= high, f"{count} words, needs {low} to {high}"


def unique_word_count(r: str, c: Constraint) -> Result:
    # As upstream, a token of punctuation only adds the empty word once.
    return _at_least(len({edge_strip(w) for w in r.lower().split()}), c.arg("N"), "unique words")


def conjunctions(r: str, c: Constraint) -> Result:
    # As upstream, distinct spellings count apart ("and", "And", "and,"): the set is of tokens as written.
    found = {w for w in r.split() if edge_strip(w).lower() in lexicon.CONJUNCTIONS}
    return _at_least(len(found), c.arg("small_n"), "different coordinating conjunctions")


def person_names(r: str, c: Constraint) -> Result:
    found = [n for n in lexicon.PERSON_NAMES if re.search(rf"\b{n}\b", r)]  # case-sensitive, as upstream
    return _at_least(len(found), c.arg("N"), "names from the list")


def numbers(r: str, c: Constraint) -> Result:
    # Punctuation is deleted first, so 3.14 and 1,000 are one number each.
    return _exactly(len(re.findall(r"\d+", drop_punctuation(r))), c.arg("N"), "numbers")


def punctuation_cover(r: str, c: Constraint) -> Result:
    if not ("!?" in r or "?!" in r or "\u203d" in r):
        return False, "no interrobang (?! or !? or \u203d)"
    rest = r.replace("?!", "", 1) if "?!" in r else r.replace("!?", "", 1)  # the interrobang is not its ! and ?
    missing = [p for p in ".,!?;:" if p not in rest]
    return not missing, f"missing {' '.join(missing)}" if missing else "every punctuation mark and an interrobang"


def words_japanese(r: str, c: Constraint) -> Result:
    n = c.arg("N")
    for i, word in enumerate(r.split(), 1):
        word = edge_strip(word)
        if i % n == 0 and word and not word.isdigit() and not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", word):
            return False, f"word {i} {word[:30]!r} is not Japanese"
    return True, f"every word {n} is Japanese"


def pronouns(r: str, c: Constraint) -> Result:
    tokens = t.treebank_words(r.replace("/", " ").lower())  # she/her/hers counts three times
    return _at_least(sum(1 for w in tokens if w in lexicon.PRONOUNS), c.arg("N"), "pronouns")


def keywords_multiple(r: str, c: Constraint) -> Result:
    for i, wanted in zip(range(1, 6), (1, 2, 3, 5, 7)):
        keyword = c.arg(f"keyword{i}")
        count = whole_word_count(r, keyword)
        if count != wanted:
            return False, f"{keyword!r} {count} times, needs exactly {wanted}"
    return True, "every keyword as often as asked"


# --- ratio ----------------------------------------------------------------------------------

def stop_words(r: str, c: Constraint) -> Result:
    tokens = t.WORD_RUN.findall(r)
    if not tokens:
        return False, "no words"
    share = sum(1 for w in tokens if w.lower() in lexicon.STOPWORDS) / len(tokens) * 100
    return share <= c.arg("percentage"), f"{share:.1f}% stop words, needs at most {c.arg('percentage')}%"


def _sentence_ends(r: str) -> Counter[str]:
    return Counter(s[-1] for s in t.sentences(r) if s and s[-1] in ".?!")


def sentence_type(r: str, c: Constraint) -> Result:
    ends = _sentence_ends(r)
    return ends["."] == 2 * ends["?"], f"{ends['.']} declarative and {ends['?']} interrogative sentences, needs 2:1"


def sentence_balance(r: str, c: Constraint) -> Result:
    ends = _sentence_ends(r)
    passed = ends["."] == ends["?"] == ends["!"]
    return passed, f"{ends['.']} declarative, {ends['?']} interrogative, {ends['!']} exclamatory, needs equal"


def _trigrams(text: str) -> set[tuple[str, ...]]:
    tokens = t.treebank_words(text)
    return set(zip(tokens, tokens[1:], tokens[2:]))


def overlap(r: str, c: Constraint) -> Result:
    mine = _trigrams(r)
    if not mine:
        return False, "no word trigrams"
    share = len(mine & _trigrams(c.arg("reference_text"))) / len(mine) * 100
    wanted = c.arg("percentage")
    return wanted - 2 <= share <= wanted + 2, f"{share:.1f}% trigram overlap, needs {wanted}% (\u00b12)"


def sentence_words(r: str, c: Constraint) -> Result:
    sentences = t.sentences(r)
    if len(sentences) != 3:
        return False, f"{len(sentences)} sentences, needs 3"
    lengths = [len(s.strip()) for s in sentences]
    if len(set(lengths)) != 1:
        return False, f"sentences of {', '.join(map(str, lengths))} characters, needs equal"
    words = split_words(" ".join(sentences))
    repeated = next((w for w, n in Counter(words).items() if n > 1), None)
    return repeated is None, f"{repeated!r} is repeated" if repeated else "3 equal sentences, no word repeated"


# --- words ----------------------------------------------------------------------------------

def alphabet(r: str, c: Constraint) -> Result:
    words = drop_punctuation(r).split()
    if not words or words[0][0].lower() not in string.ascii_lowercase:
        return False, "does not start with a word starting with a letter a-z"
    letter = words[0][0].lower()
    for word in words[1:]:
        letter = chr((ord(letter) - ord("a") + 1) % 26 + ord("a"))
        if word[0].lower()[0] != letter:
            return False, f"{word[:30]!r} does not start with {letter!r}"
    return True, "each word starts with the next letter"


def vowel(r: str, c: Constraint) -> Result:
    lines = r.strip().split("\n")
    if len(lines) != 1:
        return False, f"{len(lines)} lines, needs one paragraph"
    used = sorted(set(r.strip().lower()) & set("aeiou"))
    return len(used) <= 3, f"vowels {''.join(used)}, needs at most 3 kinds"


def consonants(r: str, c: Constraint) -> Result:
    for word in r.lower().split():
        if not any(a in _CONSONANTS and b in _CONSONANTS for a, b in zip(word, word[1:])):
            return False, f"{word[:30]!r} has no consonant cluster"
    return True, "every word has a consonant cluster"


def palindrome(r: str, c: Constraint) -> Result:
    found = [w for w in drop_punctuation(r).lower().split() if len(w) >= 5 and w == w[::-1]]
    return _at_least(len(found), 10, "palindromes of 5 or more letters")


def prime_lengths(r: str, c: Constraint) -> Result:
    bad = next((w for w in drop_punctuation(r).split() if len(w) not in lexicon.PRIMES), None)
    return bad is None, f"{bad[:30]!r} has {len(bad)} letters, not a prime" if bad else "every word of prime length"


def start_verb(r: str, c: Constraint) -> Result:
    # Upstream asks NLTK's perceptron tagger (a data download); here a verb lexicon decides.
    sentences = t.sentences(r)  # the first word is the first sentence's: tokenize only that one
    tokens = t.treebank_words(sentences[0]) if sentences else ()
    first = tokens[0] if tokens else ""
    passed = first.lower() in lexicon.VERBS
    return passed, f"starts with the verb {first!r}" if passed else f"starts with {first[:30]!r}, not a known verb"


def repeats(r: str, c: Constraint) -> Result:
    word, count = max(Counter(split_words(r)).items(), key=lambda kv: kv[1], default=("", 0))
    limit = c.arg("small_n")
    if count > limit:
        return False, f"{word[:30]!r} {count} times, needs at most {limit}"
    return True, f"no word more than {limit} times"


def odd_even_syllables(r: str, c: Constraint) -> Result:
    import syllapy  # imported late: its dictionary loads on import
    words = [w for w in drop_punctuation(r).lower().split() if w.strip()]
    parities = [syllapy.count(w) % 2 for w in words]
    at = next((i for i in range(len(parities) - 1) if parities[i] == parities[i + 1]), None)
    if at is not None:
        kind = "odd" if parities[at] else "even"
        return False, f"{words[at][:30]!r} and {words[at + 1][:30]!r} both have {kind} syllables"
    return True, "syllable counts alternate odd and even"


def last_first(r: str, c: Constraint) -> Result:
    sentences = t.sentences(r)
    for before, after in zip(sentences, sentences[1:]):
        last, first = before.rstrip(PUNCTUATION + " ").split(), after.lstrip(PUNCTUATION + " ").split()
        if not last or not first or last[-1].lower() != first[0].lower():
            return False, f"{(last or [''])[-1][:30]!r} then {(first or [''])[0][:30]!r}"
    return True, "each sentence starts with the last word of the one before"


def paragraph_last_first(r: str, c: Constraint) -> Result:
    for line in r.split("\n"):
        words = edge_strip(line.strip().lower()).split()
        if words and words[0] != words[-1]:
            return False, f"a paragraph starts with {words[0][:30]!r} and ends with {words[-1][:30]!r}"
    return True, "each paragraph ends with its first word"


def no_consecutive(r: str, c: Constraint) -> Result:
    words = split_words(r)
    for a, b in zip(words, words[1:]):
        if a[0] == b[0]:
            return False, f"{a[:30]!r} then {b[:30]!r} share a first letter"
    return True, "no two adjacent words share a first letter"


def keywords_specific_position(r: str, c: Constraint) -> Result:
    n, m, keyword = c.arg("n"), c.arg("m"), c.arg("keyword")
    sentences = t.sentences(r)
    if len(sentences) < n:
        return False, f"{len(sentences)} sentences, no sentence {n}"
    words = alnum_tokens(sentences[n - 1])
    got = words[m - 1] if len(words) >= m else ""
    return got.lower() == keyword.lower(), f"word {m} of sentence {n} is {got[:30]!r}, needs {keyword!r}"


def _edge_words(sentences: Sequence[str], wanted: int, from_end: bool = False) -> list[str]:
    """The alnum tokens of the first (or last) sentences, enough to hold ``wanted`` of them."""
    words: list[str] = []
    for sentence in reversed(sentences) if from_end else sentences:
        words = alnum_tokens(sentence) + words if from_end else words + alnum_tokens(sentence)
        if len(words) >= wanted:
            break
    return words


def words_position(r: str, c: Constraint) -> Result:
    # Only the two words at each end matter: tokenize sentences from each end until they are found.
    sentences, keyword = t.sentences(r), c.arg("keyword")
    head, tail = _edge_words(sentences, 2), _edge_words(sentences, 2, from_end=True)
    if len(head) < 2:
        return False, f"{len(head)} words"
    passed = head[1].lower() == tail[-2].lower() == keyword.lower()
    return passed, f"second word {head[1][:30]!r}, second to last {tail[-2][:30]!r}, needs {keyword!r}"


# --- sentence -------------------------------------------------------------------------------

def alliteration_increment(r: str, c: Constraint) -> Result:
    previous = -1
    for sentence in t.sentences(r):
        words = [w for w in (w.lstrip(PUNCTUATION + " ") for w in sentence.lower().split()) if w]
        run, joined = 0, False
        for a, b in zip(words, words[1:]):
            same = a[0] == b[0]
            run += (1 if joined else 2) if same else 0  # a new alliterative pair counts both its words
            joined = same
        if run <= previous:
            return False, f"a sentence has {run} alliterative words, needs more than {previous}"
        previous = run
    return True, "each sentence alliterates more than the one before"


def sentence_keyword(r: str, c: Constraint) -> Result:
    n, word = c.arg("N"), c.arg("word")
    sentences = t.sentences(r)
    if len(sentences) < n:
        return False, f"{len(sentences)} sentences, no sentence {n}"
    found = whole_word_count(sentences[n - 1], word) > 0
    return found, f"sentence {n} {'includes' if found else 'lacks'} {word!r}"


def sentence_increment(r: str, c: Constraint) -> Result:
    counts = [len(drop_punctuation(s).split()) for s in t.sentences(r)]
    step = c.arg("small_n")
    for a, b in zip(counts, counts[1:]):
        if b != a + step:
            return False, f"a sentence of {a} words then one of {b}, needs {a + step}"
    return bool(counts), f"{len(counts)} sentences growing by {step} words"


IFBENCH_WORD_CHECKERS: dict[str, Callable[[str, Constraint], Result]] = {
    "count:word_count_range": word_count_range,
    "count:unique_word_count": unique_word_count,
    "count:conjunctions": conjunctions,
    "count:person_names": person_names,
    "count:numbers": numbers,
    "count:punctuation": punctuation_cover,
    "count:words_japanese": words_japanese,
    "count:pronouns": pronouns,
    "count:keywords_multiple": keywords_multiple,
    "ratio:stop_words": stop_words,
    "ratio:sentence_type": sentence_type,
    "ratio:sentence_balance": sentence_balance,
    "ratio:overlap": overlap,
    "ratio:sentence_words": sentence_words,
    "words:alphabet": alphabet,
    "words:vowel": vowel,
    "words:consonants": consonants,
    "words:palindrome": palindrome,
    "words:prime_lengths": prime_lengths,
    "words:start_verb": start_verb,
    "words:repeats": repeats,
    "words:odd_even_syllables": odd_even_syllables,
    "words:last_first": last_first,
    "words:paragraph_last_first": paragraph_last_first,
    "words:no_consecutive": no_consecutive,
    "words:keywords_specific_position": keywords_specific_position,
    "words:words_position": words_position,
    "sentence:alliteration_increment": alliteration_increment,
    "sentence:keyword": sentence_keyword,
    "sentence:increment": sentence_increment,
}
