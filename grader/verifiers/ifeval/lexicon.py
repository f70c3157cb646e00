"""Word lists the IFBench checkers read, kept as code so nothing is downloaded.

STOPWORDS is NLTK's English stopwords corpus (the words without an apostrophe
matter only: the stop-word ratio counts ``\\w+`` tokens). PRONOUNS, PERSON_NAMES,
CONJUNCTIONS and EUROPEAN_CAPITALS are the lists IFBench's instructions name.
VERBS stands in for NLTK's perceptron POS tagger (a data download) in
``words:start_verb``: common English verbs, with be/have/do in every form.
"""

from __future__ import annotations

STOPWORDS = frozenset("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his
himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom this
that that'll these those am is are was were be been being have has had having do does did doing a an the and but
if or because as until while of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will just don don't should
should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't
haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't
weren weren't won won't wouldn wouldn't
""".split())

PRONOUNS = frozenset("""
i me we us you he him she her it they them
my mine our ours your yours his hers its their theirs
myself ourselves yourself yourselves himself herself itself themselves
this that these those
who whom whose which what
whoever whomever whatever whichever
anybody anyone anything everybody everyone everything nobody nothing somebody someone something
each either neither both all some any none
""".split())

CONJUNCTIONS = frozenset(("and", "but", "for", "nor", "or", "so", "yet"))

PERSON_NAMES = (
    "Emma", "Liam", "Sophia", "Jackson", "Olivia", "Noah", "Ava", "Lucas", "Isabella", "Mason", "Mia", "Ethan",
    "Charlotte", "Alexander", "Amelia", "Benjamin", "Harper", "Leo", "Zoe", "Daniel", "Chloe", "Samuel", "Lily",
    "Matthew", "Grace", "Owen", "Abigail", "Gabriel", "Ella", "Jacob", "Scarlett", "Nathan", "Victoria", "Elijah",
    "Layla", "Nicholas", "Audrey", "David", "Hannah", "Christopher", "Penelope", "Thomas", "Nora", "Andrew", "Aria",
    "Joseph", "Claire", "Ryan", "Stella", "Jonathan",
)

# Capitals of European countries north of 45 degrees, from the highest latitude down.
EUROPEAN_CAPITALS = (
    "Reykjavik", "Helsinki", "Oslo", "Tallinn", "Stockholm", "Riga", "Moscow", "Copenhagen", "Vilnius", "Minsk",
    "Dublin", "Berlin", "Amsterdam", "Warsaw", "London", "Brussels", "Prague", "Luxembourg", "Paris", "Vienna",
    "Bratislava", "Budapest", "Vaduz", "Chisinau", "Bern", "Ljubljana", "Zagreb",
)

PRIMES = frozenset((2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97))

_BASE_VERBS = """
accept achieve act add address adjust admire adopt advise agree aim allow analyze answer apply appreciate approach
arrange ask assess assume attach attend avoid bake balance be become begin believe blend boil book brainstorm break
breathe bring brush build buy calculate call calm care carry catch celebrate change charge chase check choose chop
clarify clean clear climb close collect combine come compare complete compose consider contact continue control
convert cook copy count cover craft create cut dance decide define delete deliver describe design determine develop
dig discover discuss dive divide do draft drag draw dream dress drink drive drop dry eat edit embrace enable
encourage engage enjoy ensure enter establish evaluate examine explain explore express face feel fill find finish fix
fly focus fold follow forget form gather get give go grab grow guess handle hang have hear heat help hide highlight
hold identify ignore imagine implement improve include increase install introduce invest invite join jump keep kick
know launch learn leave let lift limit list listen live look love make manage mark measure meet mix move name need
note notice observe obtain offer open order organize paint pass pause pay pick picture place plan plant play point
pour practice prepare present preserve press prevent print prioritize protect provide pull push put raise reach read
realize recall receive recognize record reduce reflect refuse release remember remove repeat replace reply request
research reserve rest return review rinse rise run save say schedule search see seek select sell send serve set
share show sing sit skip sleep slice smell solve sort speak spend split spread stand start stay step stir stop store
stretch study submit summarize support take talk taste teach tell test thank think throw toss track train transform
travel try turn type understand unlock update use view visit wait wake walk want wash watch wear welcome win wish
wonder work worry write
"""


def _forms(verb: str) -> set[str]:
    """A regular verb's -s, -ed and -ing forms (a close guess is enough for a first-word test)."""
    stem = verb[:-1] if verb.endswith("e") and verb not in ("be", "see") else verb
    third = verb + "es" if verb.endswith(("s", "sh", "ch", "x", "z", "o")) else verb + "s"
    if verb.endswith("y") and verb[-2:-1] not in tuple("aeiou"):
        third, past = verb[:-1] + "ies", verb[:-1] + "ied"
    else:
        past = stem + "ed" if not verb.endswith("e") else verb + "d"
    return {verb, third, past, stem + "ing"}


VERBS = frozenset(
    {form for verb in _BASE_VERBS.split() for form in _forms(verb)}
    | set("""am is are was were been being has had having does did doing done went gone made said saw seen took taken
    gave given came became began begun brought bought built caught chose chosen drew drawn drank drove ate eaten felt
    found flew forgot got grew held heard hid kept knew known led left lit lost meant met paid ran rang rose sang sat
    slept sold sent set shown spoke spoken spent stood stole struck swam taught told thought threw understood woke
    wore won wrote written let's""".split()))
