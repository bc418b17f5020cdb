"""Jam entries and their line datagrams: what the replicated log holds, and what Sonic Pi gets.

Pure: builds values and bytes, sends nothing. A line entry carries everything a node needs to
sing it without placing it again (text, syllable groups, bars, bpm) plus its start on the
shared timeline (wall-clock epoch seconds) and the song place the leader wrote it from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.errors import InputError
from bridge.stream import protocol

if TYPE_CHECKING:
    from bridge.syllables.rhythm import Phrase

#: One syllable as the line datagram carries it: text, stress, onset beat, beats, mark.
Group = tuple[str, int, float, float, str]


@dataclass(frozen=True)
class LineEntry:
    """A line (or, with no groups, a bar-long rest) for the log.

    ``expect_seq`` is the line number the leader wrote it to have; an entry whose number is
    already taken when it commits (a deposed leader's leftover) is dropped, so the sung
    sequence never has a gap, a repeat or two versions of one number.
    """

    expect_seq: int
    text: str
    bars: int
    groups: tuple[Group, ...]
    bpm: float
    #: Wall-clock epoch seconds at which the line's first beat sounds.
    start: float
    #: How long the line lasts, in seconds.
    seconds: float
    #: Where the writer continues after this line: a text's next line index, a song's
    #: ``SongCursor`` (its plan, chorus and rhymes so far), 0 for free model lines.
    pos: Any = 0
    section: str = ""
    index: int = -1
    title: str = ""
    #: The node that wrote it, and when by its clock (wall-clock epoch seconds; 0: unknown):
    #: a node whose clock this is far ahead of knows the writer's clock is off.
    writer: str = ""
    written: float = 0.0

    @property
    def end(self) -> float:
        """When the next line may start."""
        return self.start + self.seconds

    @property
    def is_rest(self) -> bool:
        return not self.groups


@dataclass(frozen=True)
class CommandEntry:
    """A shared control command (bpm, temperature, seed_text, next, pause, resume)."""

    name: str
    value: float | int | str | None = None


#: How much longer a jam line datagram is than ``run``'s for the same line: the start time
#: (17 characters up to the year 2286, padded to 20 bytes) and its type tag (up to 4 bytes).
JAM_EXTRA_BYTES = 24

#: Commands that every node takes from the log; the others (stop, sung) stay local.
SHARED_COMMANDS = ("bpm", "temperature", "seed_text", "next", "pause", "resume", "chorus")


def groups_of(phrase: Phrase) -> tuple[Group, ...]:
    """A placed line's syllables in datagram order."""
    return tuple((n.syllable.text, int(n.syllable.stress), float(n.beat), float(n.beats),
                  n.syllable.mark) for n in phrase.notes)


def syllable_dicts(text: str, groups: tuple[Group, ...]) -> list[dict[str, object]]:
    """A line's syllables in the shape of ``lyricbridge syllables --json`` (word and word index
    found again in the text, since the log keeps only the syllables)."""
    out: list[dict[str, object]] = []
    cursor, word_index = 0, -1
    for syl, stress, beat, beats, mark in groups:
        at = text.find(syl, cursor) if syl else -1
        if at < 0:  # not found as written: count it as a word of its own
            word_index += 1
            word = syl
        else:
            before = text[:at]
            words = before.split()
            word_index = len(words) if not words or before[-1:].isspace() else len(words) - 1
            word_index = max(word_index, 0)
            tokens = text.split()
            word = tokens[word_index].strip(',.;:!?"()') if word_index < len(tokens) else syl
            cursor = at + len(syl)
        out.append({"text": syl, "word": word, "word_index": word_index, "stress": stress,
                    "beat": beat, "beats": beats, "mark": mark})
    return out


def line_entry(phrase: Phrase, expect_seq: int, bpm: float, start: float, pos: Any = 0,
               section: str = "", index: int = -1, title: str = "",
               writer: str = "", written: float = 0.0) -> LineEntry:
    """The log entry for one placed line (a phrase without notes is a rest)."""
    from bridge.syllables.rhythm import BEATS_PER_BAR

    seconds = phrase.bars * BEATS_PER_BAR * 60.0 / bpm
    return LineEntry(expect_seq, phrase.line, int(phrase.bars), groups_of(phrase), float(bpm),
                     float(start), seconds, pos, section, index, title, writer,
                     float(written))


def format_start(start: float) -> str:
    """Epoch seconds as a string with microseconds (Sonic Pi 3.2 has no 64-bit numbers)."""
    return f"{start:.6f}"


def encode_jam_line(seq: int, entry: LineEntry) -> bytes:
    """The ``/lyricbridge/line`` datagram for a committed entry.

    The layout is ``protocol.encode_line``'s (seq, bpm, bars, count, text, then five values per
    syllable) followed by section (s), index (i) and the start time (s, epoch seconds).
    """
    b = OscMessageBuilder(protocol.LINE_ADDRESS)
    b.add_arg(int(seq), OscMessageBuilder.ARG_TYPE_INT)
    b.add_arg(float(entry.bpm), OscMessageBuilder.ARG_TYPE_FLOAT)
    b.add_arg(int(entry.bars), OscMessageBuilder.ARG_TYPE_INT)
    b.add_arg(len(entry.groups), OscMessageBuilder.ARG_TYPE_INT)
    b.add_arg(entry.text, OscMessageBuilder.ARG_TYPE_STRING)
    for text, stress, beat, beats, mark in entry.groups:
        b.add_arg(text, OscMessageBuilder.ARG_TYPE_STRING)
        b.add_arg(int(stress), OscMessageBuilder.ARG_TYPE_INT)
        b.add_arg(float(beat), OscMessageBuilder.ARG_TYPE_FLOAT)
        b.add_arg(float(beats), OscMessageBuilder.ARG_TYPE_FLOAT)
        b.add_arg(mark, OscMessageBuilder.ARG_TYPE_STRING)
    b.add_arg(entry.section, OscMessageBuilder.ARG_TYPE_STRING)
    b.add_arg(int(entry.index), OscMessageBuilder.ARG_TYPE_INT)
    b.add_arg(format_start(entry.start), OscMessageBuilder.ARG_TYPE_STRING)
    data = b.build().dgram
    if len(data) > protocol.MAX_DATAGRAM_BYTES:
        raise InputError(f"line datagram too large: {len(data)} bytes "
                         f"(limit {protocol.MAX_DATAGRAM_BYTES}); split the line")
    return data


@dataclass(frozen=True)
class JamLine:
    """A decoded jam line datagram."""

    seq: int
    bpm: float
    bars: int
    text: str
    groups: tuple[Group, ...]
    section: str
    index: int
    start: float | None


def decode_jam_line(data: bytes) -> JamLine:
    """Parse a line datagram with or without the trailing section, index and start."""
    msg = OscMessage(data)
    if msg.address != protocol.LINE_ADDRESS:
        raise InputError(f"not a line datagram: address {msg.address!r}")
    args = list(msg.params)
    seq, bpm, bars, count, text = args[: protocol.LINE_HEADER]
    end = protocol.LINE_HEADER + count * protocol.SYLLABLE_FIELDS
    flat = args[protocol.LINE_HEADER:end]
    groups = tuple(tuple(flat[i:i + protocol.SYLLABLE_FIELDS])
                   for i in range(0, len(flat), protocol.SYLLABLE_FIELDS))
    tail = args[end:]
    section = str(tail[0]) if len(tail) > 0 else ""
    index = int(tail[1]) if len(tail) > 1 else -1
    start = float(tail[2]) if len(tail) > 2 else None
    return JamLine(seq, bpm, bars, text, groups, section, index, start)  # type: ignore[arg-type]
