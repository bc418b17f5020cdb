"""Where lyric lines come from: a text (once or looped) or the model, with the clean filter."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from bridge.errors import InputError, ModelError
from bridge.model.sampling import LineWriter
from bridge.song.clean import blocked_words
from bridge.syllables import syllabify_line

log = logging.getLogger(__name__)

#: This many lines in a row without a word, and the model is taken to be broken.
MAX_WORDLESS_LINES = 50


@dataclass(frozen=True)
class Lyric:
    """A lyric line with where it stands in a song (free lines have no section)."""

    text: str
    #: "verse", "chorus" or "bridge"; "" for a line that is not part of a song.
    section: str = ""
    #: The line's index inside its stanza (0-based); -1 outside a song.
    index: int = -1
    #: The song's title (its chorus's first line); "" outside a song.
    title: str = ""


def as_lyric(item: str | Lyric) -> Lyric:
    """A source's line as a Lyric (a plain string is a free line)."""
    return item if isinstance(item, Lyric) else Lyric(item)


class LineSource(Protocol):
    """Gives the next lyric line ("" is a stanza break), or None when there are no more.

    A line is a plain string, or a Lyric when the source knows its place in a song.
    """

    def next_line(self) -> str | Lyric | None: ...


class TextLines:
    """The lines of a text, in order; with ``loop``, again from the top forever."""

    def __init__(self, text: str, loop: bool = False) -> None:
        self.lines = [line.strip() for line in text.splitlines()]
        # Syllables are enough to know there are words; each line is placed once, when sent.
        if not any(syllabify_line(line) for line in self.lines if line):
            raise InputError("the text has no words to sing (only blank lines or punctuation); "
                             "give some words")
        self.loop = loop
        self._it = self._iterate()

    def _iterate(self) -> Iterator[str]:
        while True:
            yield from self.lines
            if not self.loop:
                return
            yield ""  # a stanza break between repeats

    def next_line(self) -> str | None:
        return next(self._it, None)


class ModelLines:
    """Lines written by the model; with ``clean``, a line holding a blocklisted word is
    rewritten (K candidates are written together and the first clean one is taken)."""

    def __init__(self, writer: LineWriter, clean: bool = True, candidates: int = 4,
                 attempts: int = 8) -> None:
        self.writer = writer
        self.clean = clean
        self.candidates = candidates
        self.attempts = attempts
        self._wordless = 0

    @property
    def temperature(self) -> float:
        """The sampling temperature in use."""
        return self.writer.sampler.temperature

    def set_temperature(self, value: float) -> None:
        """Change the sampling temperature for the following lines."""
        self.writer.sampler.temperature = value

    def reseed(self, text: str) -> None:
        """Start the following lines from a new start string."""
        self.writer.prime(text)

    def next_line(self) -> str | None:
        """The next line; ModelError once the model writes too many lines in a row without a
        word (a blank line is a stanza break, but a model that writes only those is broken)."""
        line = self._next_line()
        if any(c.isalnum() for c in line):
            self._wordless = 0
            return line
        self._wordless += 1
        if self._wordless >= MAX_WORDLESS_LINES:
            raise ModelError(
                f"the model wrote {MAX_WORDLESS_LINES} lines in a row without a word; it is "
                "broken or untrained: check its weights and the max_line_chars of its "
                "config.json, or retrain it (or sing your own words with --text FILE)"
            )
        return line

    def _next_line(self) -> str:
        if not self.clean:
            return self.writer.next_line()
        for _ in range(self.attempts):
            cands = self.writer.candidates(self.candidates)
            for cand in cands:
                bad = blocked_words(cand[0])
                if not bad:
                    return self.writer.accept(cand)
                log.info("clean filter: rewriting a line with %r", bad[0])
        log.warning("clean filter: no clean line in %d tries; singing a rest instead",
                    self.attempts * self.candidates)
        return ""
