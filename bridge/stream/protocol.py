"""The OSC protocol between lyricbridge and Sonic Pi, defined once: addresses and datagrams.

Pure: builds and parses bytes, sends nothing. Sonic Pi 3.2's cue listener dies on any
argument that is not int32, float32 or string, and on bundles, so only those are built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.errors import InputError

if TYPE_CHECKING:
    from bridge.syllables.rhythm import Phrase

#: Sonic Pi's cue port (3.2 and 4.x).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4560
#: Where the bridge listens for live control from Sonic Pi's ``osc_send``. Sonic Pi 3.2 uses
#: 4556-4564 and 4.x picks free ports at boot plus 4560, so 4580 collides with neither.
DEFAULT_CONTROL_PORT = 4580

#: Bridge -> Sonic Pi: one datagram per lyric line (a stanza break is a line with no syllables).
LINE_ADDRESS = "/lyricbridge/line"
#: Number of arguments before the per-syllable groups, and the size of each group.
LINE_HEADER = 5
SYLLABLE_FIELDS = 5
#: Arguments after the syllable groups: the section name ("" for a free line) and the line's
#: index inside its stanza (-1 outside a song). Older receivers read by position and never
#: look past the syllables, so they keep working.
LINE_TRAILER = 2

#: Sonic Pi -> bridge: live control (see ``bridge.stream.control``).
CONTROL_TEMPERATURE = "/lyricbridge/temperature"
CONTROL_BPM = "/lyricbridge/bpm"
CONTROL_SEED_TEXT = "/lyricbridge/seed-text"
CONTROL_NEXT = "/lyricbridge/next"
CONTROL_PAUSE = "/lyricbridge/pause"
CONTROL_RESUME = "/lyricbridge/resume"
CONTROL_CHORUS = "/lyricbridge/chorus"
#: Sonic Pi -> bridge: the voice on (1) or off (0) (``--voice``); bridge -> Sonic Pi: a sung
#: line is ready: inbox number (i), seq (i), the WAV's path (s), lead seconds (f).
CONTROL_VOICE = "/lyricbridge/voice"
VOICE_ADDRESS = CONTROL_VOICE
CONTROL_ADDRESSES = (
    CONTROL_TEMPERATURE,
    CONTROL_BPM,
    CONTROL_SEED_TEXT,
    CONTROL_NEXT,
    CONTROL_PAUSE,
    CONTROL_RESUME,
    CONTROL_CHORUS,
    CONTROL_VOICE,
)
#: Sonic Pi -> bridge, information rather than a command: the live loop started line ``seq``.
SUNG_ADDRESS = "/lyricbridge/sung"
#: Sonic Pi -> bridge: the live loop heard line ``seq`` to its end (so a restart in the middle
#: of a line sends that line again, in full).
ENDED_ADDRESS = "/lyricbridge/ended"
#: Sonic Pi -> bridge, information: the notes (MIDI numbers) it chose for line ``seq``, which
#: it keeps as inbox ``number``: seq (i), number (i), then one note per syllable.
NOTES_ADDRESS = "/lyricbridge/notes"
#: The most notes a notes datagram may carry.
MAX_NOTES = 512
#: Bridge -> Sonic Pi: a named setting for the Ruby loops (``name`` string, ``value`` number or
#: string), stored there with ``set :lyricbridge_<name>`` (scale root, octave, jam.rb's knobs).
KNOB_ADDRESS = "/lyricbridge/knob"
#: ``lyricbridge doctor`` pings Sonic Pi's cue port with this (any cue port ignores it).
PING_ADDRESS = "/lyricbridge/ping"
#: The headless Sonic Pi is asked to log this cue to prove its cue port is open.
PROBE_ADDRESS = "/lyricbridge/probe"

#: A datagram must stay under this many bytes (Sonic Pi's cue socket buffer is 16 KB).
MAX_DATAGRAM_BYTES = 8192
#: Minimum gap between two datagrams to Sonic Pi, in seconds (zero-gap bursts are dropped).
MIN_SEND_GAP_S = 0.002


@dataclass(frozen=True)
class LineMessage:
    """A decoded line datagram, as the Ruby side sees it."""

    seq: int
    bpm: float
    bars: int
    line: str
    syllables: tuple[tuple[str, int, float, float, str], ...]
    #: "verse", "chorus" or "bridge"; "" for a free line or an old datagram without them.
    section: str = ""
    #: The line's index inside its stanza; -1 outside a song.
    index: int = -1


def encode_line(seq: int, bpm: float, phrase: Phrase, section: str = "", index: int = -1) -> bytes:
    """Build the ``/lyricbridge/line`` datagram for one placed line.

    Arguments: seq (i), bpm (f), bars (i), syllable count (i), line text (s), then for each
    syllable: text (s), stress (i), onset in beats (f), duration in beats (f), phrase mark (s),
    then the section name (s) and the line's index in its stanza (i).
    Raises InputError if the datagram would exceed MAX_DATAGRAM_BYTES.
    """
    b = OscMessageBuilder(LINE_ADDRESS)
    b.add_arg(int(seq), OscMessageBuilder.ARG_TYPE_INT)
    b.add_arg(float(bpm), OscMessageBuilder.ARG_TYPE_FLOAT)
    b.add_arg(int(phrase.bars), OscMessageBuilder.ARG_TYPE_INT)
    b.add_arg(len(phrase.notes), OscMessageBuilder.ARG_TYPE_INT)
    b.add_arg(phrase.line, OscMessageBuilder.ARG_TYPE_STRING)
    for note in phrase.notes:
        s = note.syllable
        b.add_arg(s.text, OscMessageBuilder.ARG_TYPE_STRING)
        b.add_arg(int(s.stress), OscMessageBuilder.ARG_TYPE_INT)
        b.add_arg(float(note.beat), OscMessageBuilder.ARG_TYPE_FLOAT)
        b.add_arg(float(note.beats), OscMessageBuilder.ARG_TYPE_FLOAT)
        b.add_arg(s.mark, OscMessageBuilder.ARG_TYPE_STRING)
    b.add_arg(section, OscMessageBuilder.ARG_TYPE_STRING)
    b.add_arg(int(index), OscMessageBuilder.ARG_TYPE_INT)
    data = b.build().dgram
    if len(data) > MAX_DATAGRAM_BYTES:
        raise InputError(
            f"line datagram too large: {len(data)} bytes for {len(phrase.notes)} syllables "
            f"(limit {MAX_DATAGRAM_BYTES}); split the line"
        )
    return data


def decode_line(data: bytes) -> LineMessage:
    """Parse a ``/lyricbridge/line`` datagram back, as a receiver sees it (with or without
    the section trailer)."""
    msg = OscMessage(data)
    if msg.address != LINE_ADDRESS:
        raise InputError(f"not a line datagram: address {msg.address!r}")
    args = list(msg.params)
    seq, bpm, bars, count, line = args[:LINE_HEADER]
    rest = args[LINE_HEADER:]
    section, index = "", -1
    if len(rest) == count * SYLLABLE_FIELDS + LINE_TRAILER:
        section, index = rest[-2], rest[-1]
        rest = rest[:-LINE_TRAILER]
    if len(rest) != count * SYLLABLE_FIELDS:
        raise InputError(f"line datagram says {count} syllables but carries {len(rest)} values")
    groups = tuple(
        (rest[i], rest[i + 1], rest[i + 2], rest[i + 3], rest[i + 4])
        for i in range(0, len(rest), SYLLABLE_FIELDS)
    )
    return LineMessage(seq, bpm, bars, line, groups, section, index)


def osc_message(address: str, *args: int | float | str) -> bytes:
    """One OSC message with int32, float32 and string arguments only (what Sonic Pi 3.2 takes)."""
    b = OscMessageBuilder(address)
    for a in args:
        if isinstance(a, bool) or not isinstance(a, int | float | str):
            raise InputError(f"OSC argument {a!r} is a {type(a).__name__}; Sonic Pi takes only "
                             "int, float and str")
        if isinstance(a, str):
            b.add_arg(a, OscMessageBuilder.ARG_TYPE_STRING)
        elif isinstance(a, int):
            b.add_arg(a, OscMessageBuilder.ARG_TYPE_INT)
        else:
            b.add_arg(a, OscMessageBuilder.ARG_TYPE_FLOAT)
    return b.build().dgram


def type_tags(data: bytes) -> str:
    """The OSC type-tag string of a datagram (without the leading comma)."""
    start = data.index(b",")
    end = data.index(b"\x00", start)
    return data[start + 1 : end].decode("ascii")
