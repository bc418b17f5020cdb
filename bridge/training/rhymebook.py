"""Build the rhyme book's data file: common words a line can end on, with every pronunciation.

Words come from the frequency list (``wordfreq``, English), must be in the CMU Pronouncing
Dictionary (every pronunciation, through ``pronouncing``), be used by the corpus at least
``MIN_CORPUS`` times, pass the clean filter and not be a word no line ends on (articles,
prepositions, conjunctions). A word is kept when one of its rhyme sounds is shared by another
kept word that is not its homophone. The file is ``word<TAB>phones;...<TAB>sound;...`` per
line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from bridge.song.clean import blocked_words
from bridge.song.rhyme import NOT_ENDINGS, sound_of

#: How many of the most frequent English words to look at.
TOP_WORDS = 15_000
MIN_CORPUS = 15


@dataclass(frozen=True)
class Built:
    text: str
    words: int
    sounds: int


def build_rhymebook(corpus_counts: Counter[str], allowed: Collection[str] | None = None) -> Built:
    """The book from the frequency list, the corpus's word counts and (if given) only the
    words decoding may spell."""
    import pronouncing
    import wordfreq

    prons: dict[str, list[str]] = {}
    for word in wordfreq.top_n_list("en", TOP_WORDS):
        if not re.fullmatch(r"[a-z]{2,}", word) or word in NOT_ENDINGS or blocked_words(word):
            continue
        if corpus_counts.get(word, 0) < MIN_CORPUS or (allowed is not None
                                                        and word not in allowed):
            continue
        found = pronouncing.phones_for_word(word)
        if found:
            prons[word] = list(dict.fromkeys(found))
    by_sound: dict[str, set[str]] = {}
    for word, ps in prons.items():
        for p in ps:
            s = sound_of(p)
            if s:
                by_sound.setdefault(s, set()).add(word)
    keep: set[str] = set()
    sounds = 0
    for words in by_sound.values():
        ok = {w for w in words if any(v != w and not _homophones(prons[w], prons[v])
                                      for v in words)}
        if len(ok) >= 2:
            keep |= ok
            sounds += 1
    lines = [f"{w}\t{';'.join(prons[w])}\t"
             f"{';'.join(sorted({sound_of(p) for p in prons[w]} - {''}))}" for w in sorted(keep)]
    return Built("\n".join(lines) + "\n", len(keep), sounds)


def _homophones(a: list[str], b: list[str]) -> bool:
    strip = lambda p: re.sub(r"\d", "", p)  # noqa: E731
    return bool({strip(p) for p in a} & {strip(p) for p in b})
