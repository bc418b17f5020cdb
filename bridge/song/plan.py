"""Songs: a form of sections, a rhyme scheme per section, and the lines written to fit them.

The plan says what to write: the form (default ``verse chorus verse chorus``), lines per
stanza, a rhyme scheme per section (letters: lines with the same letter rhyme; ``X`` needs
not; ``*`` repeats the stanza's first line word for word), and the syllables a line may have.
The chorus is written once and sung again word for word every time it returns; its first line
is the song's title, and by default its last line too (a refrain).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from bridge.errors import InputError
from bridge.song.sources import Lyric

SECTIONS = ("verse", "chorus", "bridge")
DEFAULT_FORM = ("verse", "chorus", "verse", "chorus")
DEFAULT_LINES = 4
DEFAULT_SYLLABLES = (5, 10)
#: Default schemes for four lines; longer or shorter stanzas extend or cut the pattern.
DEFAULT_SCHEMES = {"verse": "AABB", "chorus": "ABB*", "bridge": "ABCB"}
_PATTERNS = {"verse": "AABBCCDDEEFF", "chorus": "ABBCCDDEEFF", "bridge": "ABCBDEFEGHIH"}
MIN_LINES, MAX_LINES = 2, 12
#: The free letter: a line marked X needs not rhyme with anything.
FREE = "X"
#: The refrain mark: the line repeats its stanza's first line word for word.
REFRAIN = "*"


def parse_form(text: str | Iterable[str]) -> tuple[str, ...]:
    """A form from words like ``"verse chorus verse chorus"`` (spaces or commas)."""
    words = re.split(r"[\s,]+", text.strip().lower()) if isinstance(text, str) else [
        w.strip().lower() for w in text]
    words = [w for w in words if w]
    bad = [w for w in words if w not in SECTIONS]
    if not words or bad:
        raise InputError(f"bad --form {text!r}: use a sequence of {', '.join(SECTIONS)} "
                         "(e.g. 'verse chorus verse chorus')")
    return tuple(words)


def default_scheme(section: str, lines: int) -> str:
    """The default scheme of a section for stanzas of ``lines`` lines (the chorus closes on
    its first line)."""
    refrain = section == "chorus"
    body = lines - 1 if refrain else lines
    scheme = _PATTERNS[section][:body]
    # A letter without a partner is free (like X); a stanza with no pair at all rhymes AA.
    paired = any(scheme.count(c) > 1 for c in scheme)
    if not paired:
        scheme = ("AA" + FREE * (body - 2))[:body] if body >= 2 else "A" * body
    return scheme + REFRAIN * refrain


def check_scheme(scheme: str, lines: int) -> str:
    """A scheme of ``lines`` letters A-Z (upper case), else InputError."""
    s = scheme.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z*]*", s) or len(s) != lines:
        raise InputError(f"bad rhyme scheme {scheme!r}: give {lines} letters A-Z, one per line "
                         f"of a stanza (same letter: rhyme; {FREE}: free; {REFRAIN} after the "
                         "first: repeat the first line), e.g. AABB, ABAB, ABB*, AAAA")
    return s


def parse_schemes(values: Iterable[str], lines: int = DEFAULT_LINES) -> dict[str, str]:
    """Schemes per section from ``SECTION=LETTERS`` items (a bare ``LETTERS`` sets every
    section); sections not named keep their defaults."""
    schemes = {s: default_scheme(s, lines) for s in SECTIONS}
    for value in values:
        for item in re.split(r"[\s,]+", value.strip()):
            if not item:
                continue
            section, _, letters = item.rpartition("=")
            section = section.strip().lower()
            if section and section not in SECTIONS:
                raise InputError(f"bad --scheme {item!r}: the section must be one of "
                                 f"{', '.join(SECTIONS)} (e.g. verse=AABB)")
            for name in [section] if section else SECTIONS:
                schemes[name] = check_scheme(letters, lines)
    return schemes


def parse_syllables(text: str) -> tuple[int, int]:
    """A syllable range like ``5-10``."""
    m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)) <= 30:
        raise InputError(f"bad --syllables {text!r}: give MIN-MAX, 1 <= MIN <= MAX <= 30 "
                         "(e.g. 5-10)")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class Plan:
    """What to write: form, lines per stanza, schemes and syllables per line."""

    form: tuple[str, ...] = DEFAULT_FORM
    lines: int = DEFAULT_LINES
    #: Schemes by section; a section not named gets its default for ``lines`` lines.
    schemes: dict[str, str] = field(default_factory=dict)
    syllables: tuple[int, int] = DEFAULT_SYLLABLES

    def __post_init__(self) -> None:
        if not MIN_LINES <= self.lines <= MAX_LINES:
            raise InputError(f"lines per stanza out of range: {self.lines}; use {MIN_LINES} "
                             f"to {MAX_LINES}")
        parse_form(self.form)
        defaults = {s: default_scheme(s, self.lines) for s in SECTIONS}
        object.__setattr__(self, "schemes", defaults | dict(self.schemes))
        for section in set(self.form):
            check_scheme(self.schemes.get(section, ""), self.lines)

    def stanzas(self) -> list[int]:
        """For each stanza in sung order, the index of the stanza written for it (every
        chorus points at the first chorus)."""
        first_chorus = self.form.index("chorus") if "chorus" in self.form else -1
        return [first_chorus if s == "chorus" else i for i, s in enumerate(self.form)]

    def is_title(self, stanza: int, index: int) -> bool:
        """Whether a stanza's line is the song's title (the first chorus's first line)."""
        return index == 0 and "chorus" in self.form and stanza == self.form.index("chorus")

    def write_order(self) -> list[int]:
        """Indexes of the stanzas to write, the chorus first (it holds the title)."""
        unique = list(dict.fromkeys(self.stanzas()))
        return sorted(unique, key=lambda i: (self.form[i] != "chorus", i))


@dataclass(frozen=True)
class Stanza:
    """One written stanza: its section, lines and scheme letters."""

    section: str
    lines: tuple[str, ...]
    scheme: str


@dataclass(frozen=True)
class Song:
    """A written song: its title and its stanzas in sung order (choruses repeat)."""

    title: str
    stanzas: tuple[Stanza, ...]

    def lyrics(self) -> Iterator[Lyric]:
        """Every sung line as a Lyric, with an empty Lyric between stanzas."""
        for n, stanza in enumerate(self.stanzas):
            if n:
                yield Lyric("", "", -1, self.title)
            for i, line in enumerate(stanza.lines):
                yield Lyric(line, stanza.section, i, self.title)

    def text(self) -> str:
        """The song as text: a blank line between stanzas."""
        return "\n\n".join("\n".join(s.lines) for s in self.stanzas) + "\n"

    def endings(self) -> set[str]:
        """The words its lines end on."""
        found = (re.findall(r"[a-z]+(?:'[a-z]+)*", line.lower()) for s in self.stanzas
                 for line in s.lines)
        return {words[-1] for words in found if words}


#: Writes one line: (rhyme_with, start_rhyme, used endings) -> (text, last word).
LineFn = Callable[[str | None, int, frozenset[str]], tuple[str, str]]


def write_stanza(section: str, scheme: str, write_line: LineFn,
                 used: set[str]) -> Iterator[str]:
    """Write a stanza line by line (yielding each), rhyming the lines that share a letter."""
    first: dict[str, str] = {}
    opening = ""
    for i, letter in enumerate(scheme):
        if letter == REFRAIN:
            yield opening
            continue
        if letter == FREE:
            text, word = write_line(None, 0, frozenset(used))
        elif letter in first:
            text, word = write_line(first[letter], 0, frozenset(used))
        else:
            later = scheme[i + 1 :].count(letter)
            text, word = write_line(None, later, frozenset(used))
            first[letter] = word
        used.add(word)
        opening = opening or text
        yield text


def write_song(plan: Plan, write_line: LineFn,
               on_line: Callable[[int, int, str], None] | None = None,
               avoid: frozenset[str] = frozenset()) -> Song:
    """Write a song to a plan; ``on_line(stanza, index, text)`` hears each line as written
    (stanza: its index in the form). No line ends on a word of ``avoid``.

    When the song does not open with the chorus, the first line sung is written first, then
    the chorus's first line (the title), then the rest of the first stanza and of the chorus,
    so the first line to sing is ready early.
    """
    used: set[str] = set(avoid)
    order = plan.write_order()
    stanzas = {n: write_stanza(plan.form[n], plan.schemes[plan.form[n]], write_line, used)
               for n in order}
    pulls = [n for n in order for _ in range(plan.lines)]
    opening = plan.stanzas()[0]
    if plan.form[order[0]] == "chorus" and opening != order[0]:
        rest = [n for n in order if n not in (order[0], opening)]
        pulls = ([opening, order[0]] + [opening] * (plan.lines - 1)
                 + [order[0]] * (plan.lines - 1) + [n for n in rest for _ in range(plan.lines)])
    lines: dict[int, list[str]] = {n: [] for n in order}
    for n in pulls:
        text = next(stanzas[n])
        if on_line is not None:
            on_line(n, len(lines[n]), text)
        lines[n].append(text)
    written = {n: Stanza(plan.form[n], tuple(lines[n]), plan.schemes[plan.form[n]])
               for n in order}
    title = written[order[0]].lines[0].strip().rstrip(",.;:!?-'\" ")
    return Song(title, tuple(written[i] for i in plan.stanzas()))
