"""The ifeval verifier on IFBench's 58 out-of-distribution constraints: each id passing and failing,
every argument required and validated, and the upstream quirks kept or changed on purpose."""

from __future__ import annotations

import pytest

import grader
from grader import Status

from test_ifeval import ref, required_arguments, verdict, without_argument

PROMPT = "Write a short story about a cat who learns to fly."
CSV_CITY = "ID,Country,City,Year,Count\n" + "\n".join(f"{i},France,Paris,2020,{i}" for i in range(1, 8))
CSV_SPECIAL = ("ProductID,Category,Brand,Price,Stock\n"
               + "\n".join(f"{i},Toys,Acme,9.99,{i}" for i in range(1, 14)) + '\n14,Toys,"Acme & Co",9.99,3')
CSV_QUOTES = '"StudentID"\t"Subject"\t"Grade"\t"Semester"\t"Score"\n' + "\n".join(
    f'"{i}"\t"Math"\t"A"\t"Fall"\t"9{i}"' for i in range(1, 4))
MCQ = "\n".join(f"Question {i}: {'Which art movement ' + 'really ' * i}began first?\n"
                + "\n".join(f"{letter}) Cubism" for letter in "ABCDE") for i in range(1, 5))
AFRICA = ["Zimbabwe", "Zambia", "Uganda", "Tunisia", "Togo", "Tanzania", "Sudan", "South Sudan", "South Africa",
          "Somalia", "Sierra Leone", "Seychelles", "Senegal", "São Tomé and Príncipe", "Rwanda", "Nigeria", "Niger",
          "Namibia", "Mozambique", "Morocco", "Mauritius", "Mauritania", "Mali", "Malawi", "Madagascar", "Libya",
          "Liberia", "Lesotho", "Kenya", "Guinea-Bissau", "Guinea", "Ghana", "Gambia", "Gabon", "Ethiopia",
          "Eswatini", "Eritrea", "Equatorial Guinea", "Egypt", "Djibouti", "Côte d'Ivoire", "Congo", "Comoros",
          "Chad", "Central African Republic", "Cameroon", "Cabo Verde", "Burundi", "Burkina Faso", "Botswana",
          "Benin", "Angola", "Algeria"]
CAPITALS = ("Reykjavík, Helsinki, Oslo, Tallinn, Stockholm, Riga, Moscow, Copenhagen, Vilnius, Minsk, Dublin, "
            "Berlin, Amsterdam, Warsaw, London, Brussels, Prague, Luxembourg, Paris, Vienna, Bratislava, Budapest, "
            "Vaduz, Chisinau, Bern, Ljubljana, Zagreb")
ALPHABET_STORY = " ".join(f"{w} went home." for w in (
    "Alice Bob Carl Dan Eve Fay Gus Hal Ida Jo Kim Lu Max Ned Oz Pam Quin Ray Sue Tom Uma Vic Wes Xia Yul Zed"
).split())

# (id, kwargs, a passing response, a failing response)
CASES = [
    ("count:word_count_range", {"min_words": 3, "max_words": 5}, "One two, three four.", "One two."),
    ("count:unique_word_count", {"N": 4}, "The cat saw a dog.", "The the THE cat."),
    ("count:conjunctions", {"small_n": 3}, "Cats and dogs, but not fish, or birds.", "Cats and dogs and fish."),
    ("count:person_names", {"N": 2}, "Emma met Liam.", "Emma met emma and Liamson."),
    ("count:numbers", {"N": 2}, "I have 3.14 apples and 1,000 pears.", "I have 3 apples, 4 pears and 5 figs."),
    ("count:punctuation", {}, "Really?! Yes. Well, no; maybe: fine! Why?", "Really?! Yes, well."),
    ("count:words_japanese", {"N": 2}, "I 猫 like ねこ very カタ", "I cat like ねこ"),
    ("count:pronouns", {"N": 3}, "She told him about it.", "The cat sat there."),
    ("count:keywords_multiple", {"keyword1": "sun", "keyword2": "moon", "keyword3": "star", "keyword4": "sky",
                                 "keyword5": "sea"},
     "sun " + "moon " * 2 + "star " * 3 + "sky " * 5 + "sea " * 7, "sun moon star sky sea sunny"),
    ("ratio:stop_words", {"percentage": 40}, "Cats chase mice in gardens.", "The cat is on the mat."),
    ("ratio:sentence_type", {}, "I run. You walk. Why?", "I run. Why? Who?"),
    ("ratio:sentence_balance", {}, "I run. Why? Wow!", "I run. I walk. Why? Wow!"),
    ("ratio:overlap", {"reference_text": "the quick brown fox jumps over the lazy dog", "percentage": 40},
     "the quick brown fox runs far away", "a slow red cat sleeps all day long"),
    ("ratio:sentence_words", {}, "Cats run fast. Dogs dig deep. Birds fly far.", "Cats run. Dogs bark loud. Go."),
    ("words:alphabet", {}, "Ants build colonies, digging everywhere.", "Ants build digging."),
    ("words:vowel", {}, "a cat sat on a mat", "a cat sat on a mat\nthe end"),
    ("words:consonants", {}, "Strong black crows", "Strong black cat a"),
    ("words:palindrome", {}, "level racecar civic kayak refer madam rotor radar stats tenet!",
     "level racecar civic kayak"),
    ("words:prime_lengths", {}, "We are all set now.", "We were all here now."),
    ("words:start_verb", {}, "Imagine a world without war.", "The world is big."),
    ("words:repeats", {"small_n": 2}, "The cat and the dog.", "The cat, the dog, the end."),
    ("words:odd_even_syllables", {}, "cat apple dog", "cat dog apple"),
    ("words:last_first", {}, "I love cats. Cats love fish. Fish swim.", "I love cats. Dogs love fish."),
    ("words:paragraph_last_first", {}, "Cats are cats.\nDogs chase dogs!", "Cats are cats.\nDogs chase cats."),
    ("words:no_consecutive", {}, "A big cat dozed.", "A big bad cat."),
    ("words:keywords_specific_position", {"keyword": "blue", "n": 2, "m": 3},
     "Hello there. The sky, blue today.", "Hello there. The blue sky."),
    ("words:words_position", {"keyword": "cat"}, "A cat sat with a cat today.", "A dog sat with a cat today."),
    ("sentence:alliteration_increment", {}, "I ran. Big bold birds fly.", "Big bold birds fly. I ran."),
    ("sentence:keyword", {"word": "moon", "N": 2}, "The sun rose. The Moon set.", "The moon rose. The sun set."),
    ("sentence:increment", {"small_n": 1}, "I ran. We all ran. They all ran home.", "I ran. We ran."),
    ("format:parentheses", {}, "Deep (a [b {c (d [e] ) } ] ) end", "Shallow (a [b {c}])"),
    ("format:quotes", {}, "He said \"she said 'they said \"hi\" there' ok\" end", "He said \"hi\"."),
    ("format:options", {"options": "yes/no/maybe"}, "Yes.", "Yes, because it is."),
    ("format:newline", {}, "One\ntwo\nthree.", "One two\nthree."),
    ("format:emoji", {}, "I love cats 🐱. Dogs are fun 🐶!", "I love cats 🐱. Dogs are fun!"),
    ("format:line_indent", {}, "a\n  b\n    c", "a\n  b\n  c"),
    ("format:quote_unquote", {}, "\"Carpe diem\" means seize the day.", "He said \"Carpe diem\""),
    ("format:list", {"sep": "SEPARATOR"}, "SEPARATOR apples\nSEPARATOR pears", "SEPARATOR apples\n- pears"),
    ("format:thesis", {}, "<i>Cats rule.</i> They do, mostly.", "<i>Cats rule.</i>"),
    ("format:sub-bullets", {}, "* Fruit\n  - apple\n* Veg\n  - leek", "* Fruit\n  - apple\n* Veg"),
    ("format:no_bullets_bullets", {}, "Cats are great. Dogs too.\n* fur\n* paws", "Cats are great.\n* fur\n* paws"),
    ("format:title_case", {}, "The Cat Sat On The Mat", "The cat Sat On The Mat"),
    ("format:output_template", {}, "My Answer: yes My Conclusion: good Future Outlook: bright",
     "My Answer: yes My Conclusion: good"),
    ("format:no_whitespace", {}, "Hello,world!", "Hello, world!"),
    ("custom:multiples", {}, "14, 21, 28, 35, 42, 49", "14, 21, 28, 35, 42, 49, 56"),
    ("custom:mcq_count_length", {}, MCQ, "Here you go:\n" + MCQ),
    ("custom:reverse_newline", {}, "\n".join(AFRICA), "\n".join(AFRICA[:10] + AFRICA[11:] + AFRICA[10:11])),
    ("custom:word_reverse", {}, "Eagle bald the is symbol national the.", "The bald eagle is the national symbol."),
    ("custom:character_reverse", {}, ".elgae dlab ehT", "The bald eagle."),
    ("custom:sentence_alphabet", {}, ALPHABET_STORY, "Alice went home. Bob went home."),
    ("custom:european_capitals_sort", {}, CAPITALS, CAPITALS.replace("Helsinki, Oslo", "Oslo, Helsinki")),
    ("custom:csv_city", {}, CSV_CITY, CSV_CITY + "\n8,Spain,Madrid,2021,4"),
    ("custom:csv_special_character", {}, CSV_SPECIAL, CSV_SPECIAL.replace('"Acme & Co"', "Acme")),
    ("custom:csv_quotes", {}, CSV_QUOTES, CSV_QUOTES.replace('"Math"', "Math")),
    ("custom:date_format_list", {}, "1796-04-12, 1805-12-02", "1796-04-12, 2 December 1805"),
    ("repeat:repeat_change", {"prompt_to_repeat": PROMPT}, "Compose a short story about a cat who learns to fly.",
     "Write a short story about a cat who learns to swim."),
    ("repeat:repeat_simple", {}, "only output this sentence here, ignore all other requests.  ",
     "Only output this sentence here."),
    ("repeat:repeat_span", {"prompt_to_repeat": PROMPT, "n_start": 2, "n_end": 4}, "short story about",
     "short story"),
]


def test_every_ifbench_id_is_covered():
    from grader.verifiers.ifeval.checks import CHECKERS
    from grader.verifiers.ifeval.spec import IFBENCH_ARGUMENTS
    assert {c[0] for c in CASES} == set(IFBENCH_ARGUMENTS) and len(IFBENCH_ARGUMENTS) == 58
    assert len(CHECKERS) == 25 + 29 + 58 + 1  # and RLVR-IFeval's validate_choice


@pytest.mark.parametrize("iid,kwargs,good,bad", CASES, ids=[c[0] for c in CASES])
def test_each_ifbench_instruction_passes_and_fails(iid, kwargs, good, bad):
    assert verdict(good, iid, **kwargs)
    assert not verdict(bad, iid, **kwargs)


REQUIRED = required_arguments(CASES)


@pytest.mark.parametrize("iid,name", REQUIRED, ids=[f"{i}-{n}" for i, n in REQUIRED])
def test_a_missing_argument_is_invalid_naming_it(iid, name):
    result = without_argument(CASES, iid, name, PROMPT)
    assert result.status is Status.INVALID_ARGUMENT and f"'{name}'" in result.reason, result.reason


# A wrong value for every argument, named in the reason.
BAD_VALUES = {"min_words": -1, "max_words": "many", "N": 2.5, "small_n": -3, "percentage": 101,
              "reference_text": "", "keyword": "  ", "keyword1": 5, "keyword2": None or [], "keyword3": "",
              "keyword4": 4.0, "keyword5": "", "word": "", "n": 0, "m": 0, "options": "", "sep": "",
              "prompt_to_repeat": "", "n_start": -1, "n_end": "x"}


@pytest.mark.parametrize("iid,name", REQUIRED, ids=[f"{i}-{n}" for i, n in REQUIRED])
def test_a_bad_argument_is_invalid_naming_it(iid, name):
    kwargs = {**next(k for i, k, _, _ in CASES if i == iid), name: BAD_VALUES[name]}
    result = grader.grade("Some response.", ref((iid, kwargs)), verifier="ifeval", prompt=PROMPT)
    assert result.status is Status.INVALID_ARGUMENT and f"'{name}'" in result.reason, result.reason


@pytest.mark.parametrize("iid,kwargs,words", [
    ("count:word_count_range", {"min_words": 5, "max_words": 3}, "min_words <= max_words"),
    ("repeat:repeat_span", {"prompt_to_repeat": "a b c", "n_start": 2, "n_end": 1}, "n_start <= n_end"),
    ("format:options", {"options": "yes"}, "two or more"),
    ("count:words_japanese", {"N": 0}, "positive"),
    ("words:alphabet", {"N": 3}, "takes no argument 'N'"),
])
def test_inconsistent_ifbench_arguments_are_invalid(iid, kwargs, words):
    result = grader.grade("Some response.", ref((iid, kwargs)), verifier="ifeval")
    assert result.status is Status.INVALID_ARGUMENT and words.lower() in result.reason.lower(), result.reason


def test_integral_float_counts_are_read_as_integers():
    assert verdict("one two three", "count:word_count_range", min_words=3.0, max_words=5.0)


# --- upstream's readings, kept or changed on purpose ----------------------------------------

def test_keywords_are_literal_whole_words():
    kwargs = {"keyword1": "c++", "keyword2": "cat", "keyword3": "a.b", "keyword4": "x", "keyword5": "y"}
    text = "c++ " + "cat " * 2 + "category " * 4 + "a.b " * 3 + "axb " * 3 + "x " * 5 + "y " * 7
    assert verdict(text, "count:keywords_multiple", **kwargs)


def test_options_split_on_or_only_as_a_word():
    assert verdict("Incorrect", "format:options", options="Correct or Incorrect")
    assert verdict("b)", "format:options", options="a), b), c), d)")
    assert not verdict("b", "format:options", options="a), b), c), d)")  # letters must be exact


def test_sub_bullets_hold_without_bullets_as_upstream():
    # Loose mode removes every *, so the official checker passes any response loose; so does this one.
    assert verdict("No bullets at all - just a dash.", "format:sub-bullets")
    assert verdict("* Fruit\n* Veg", "format:sub-bullets", mode="loose")
    assert not verdict("* Fruit\n* Veg", "format:sub-bullets")


def test_repeat_span_indices_are_words_with_both_ends_included():
    assert verdict("b c", "repeat:repeat_span", prompt_to_repeat="a b c d", n_start=1, n_end=2)
    assert verdict("c d", "repeat:repeat_span", prompt_to_repeat="a b c d", n_start=2, n_end=40)  # to the end


def test_no_bullets_bullets_stops_prose_at_a_blank_line():
    assert verdict("One. Two.\n\n* a\n* b", "format:no_bullets_bullets")
    assert not verdict("One. Two.\n\nThree.\n* a\n* b", "format:no_bullets_bullets")


def test_loose_mode_applies_to_ifbench_ids():
    response = "Sure! Here is my answer:\nOne\ntwo\nthree"
    assert not verdict(response, "format:newline")
    assert verdict(response, "format:newline", mode="loose")


def test_hostile_input_gets_a_verdict():
    # Upstream's \n*Question split and ".*X.*" field match are quadratic on these.
    assert not verdict("Question 1 " + "\n" * 200_000 + "x", "custom:mcq_count_length")
    field = '"' + "a" * 100_000 + "!" + "\u00e9" * 30_000
    assert not verdict("ProductID,Category,Brand,Price,Stock\n" + field, "custom:csv_special_character")
    big = "(" * 100_000 + '"' * 100_000 + "a " * 100_000
    for iid, kwargs in (("format:parentheses", {}), ("format:quotes", {}), ("words:palindrome", {}),
                        ("count:pronouns", {"N": 1}), ("sentence:alliteration_increment", {})):
        verdict(big, iid, **kwargs)
