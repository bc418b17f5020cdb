"""Split lyric lines into sung syllables with stress: CMU counts and stress, pyphen cuts, rules.

The public face of the package. Its parts, by role:

- ``lexicon``: the CMU Pronouncing Dictionary (loaded lazily, on the first word), poetic
  elisions, function words;
- ``letters``, ``nuclei``, ``cuts``, ``stress``: spelling rules (which letters are vowels,
  where a word's syllables are, where to cut between them, which one is stressed when the
  dictionary does not say);
- ``numbers``: digits said as words;
- ``words``: one word into (text, stress) pairs, from all of the above.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bridge.syllables.lexicon import FUNCTION_WORDS, is_function_word, load_dictionary
from bridge.syllables.numbers import say_number
from bridge.syllables.words import MAX_WORD_SYLLABLES, split_word

#: Phrase marks kept after a word: the rhythm rests on them, the Ruby side shapes the melody.
PHRASE_MARKS = {
    ",": ",",
    ";": ",",
    ":": ",",
    "-": ",",
    "\u2013": ",",
    "\u2014": ",",
    ".": ".",
    "\u2026": ".",
    "?": "?",
    "!": "!",
}
NO_MARK = "_"

_WORD = re.compile(
    r"(?:(?<![^\W_])['\u2019](?=(?:tis|twas|twere|twill|twould|neath|gainst|midst|mid|mongst|"
    r"round|til|tween|twixt|em|cause|bout|scape|pon)\b))?"
    r"[^\W_]+(?:['\u2019\-][^\W_]+)*"
    r"(?:(?:(?<=[iI][nN])|(?<=\b[oO])|(?<=\b[tT][hH]))['\u2019](?![^\W_]))?",
    re.UNICODE | re.IGNORECASE,
)


@dataclass(frozen=True)
class Syllable:
    """One sung syllable: its spelling, the word it belongs to, its stress and phrase mark.

    ``function`` says the word is a function word (article, preposition, pronoun,
    auxiliary...): unstressed in song, so the rhythm keeps it off a bar's downbeat.
    """

    text: str
    word: str
    word_index: int
    stress: int  # 0 unstressed, 1 primary, 2 secondary
    mark: str = NO_MARK  # one of , . ? ! after a word's last syllable, else "_"
    function: bool = False


def syllabify_line(line: str) -> list[Syllable]:
    """Split a line into syllables; words without letters or digits are dropped."""
    line = unicodedata.normalize("NFC", line)
    out: list[Syllable] = []
    matches = list(_WORD.finditer(line))
    for index, m in enumerate(matches):
        word = m.group(0)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        trailing = line[m.end() : end]
        mark = next((PHRASE_MARKS[c] for c in trailing if c in PHRASE_MARKS), NO_MARK)
        pieces = split_word(word)
        function = is_function_word(word)
        for i, (text, stress) in enumerate(pieces):
            last = i == len(pieces) - 1
            out.append(
                Syllable(text, word, index, stress, mark if last else NO_MARK, function)
            )
    return out


__all__ = [
    "FUNCTION_WORDS",
    "MAX_WORD_SYLLABLES",
    "NO_MARK",
    "PHRASE_MARKS",
    "Syllable",
    "is_function_word",
    "load_dictionary",
    "say_number",
    "split_word",
    "syllabify_line",
]
