"""The line datagram: exact bytes, argument types, size limit, and the Ruby files' addresses."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from bridge.errors import InputError
from bridge.stream import protocol
from bridge.syllables import Syllable
from bridge.syllables.rhythm import Note, Phrase

SONICPI = Path(__file__).resolve().parents[1] / "sonicpi"


def _phrase() -> Phrase:
    s1 = Syllable("Hel", "Hello", 0, 0)
    s2 = Syllable("lo", "Hello", 0, 1, ",")
    return Phrase("Hello,", 1, (Note(s1, 0.0, 1.0), Note(s2, 1.0, 3.0)))


def _osc_string(s: str) -> bytes:
    b = s.encode() + b"\x00"
    return b + b"\x00" * (-len(b) % 4)


def test_line_datagram_bytes_are_exact() -> None:
    data = protocol.encode_line(7, 120.0, _phrase(), "chorus", 2)
    expected = (
        _osc_string("/lyricbridge/line")
        + _osc_string(",ifiissiffssiffssi")
        + struct.pack(">i", 7)
        + struct.pack(">f", 120.0)
        + struct.pack(">i", 1)
        + struct.pack(">i", 2)
        + _osc_string("Hello,")
        + _osc_string("Hel") + struct.pack(">i", 0) + struct.pack(">ff", 0.0, 1.0)
        + _osc_string("_")
        + _osc_string("lo") + struct.pack(">i", 1) + struct.pack(">ff", 1.0, 3.0)
        + _osc_string(",")
        + _osc_string("chorus") + struct.pack(">i", 2)
    )
    assert data == expected


def test_only_int_float_string_arguments() -> None:
    data = protocol.encode_line(0, 96.5, _phrase())
    assert set(protocol.type_tags(data)) <= {"i", "f", "s"}
    assert not data.startswith(b"#bundle")


def test_decode_round_trip_keeps_utf8() -> None:
    s = Syllable("wörld", "wörld", 0, 1, ".")
    data = protocol.encode_line(3, 90.0, Phrase("wörld.", 1, (Note(s, 0.0, 4.0),)))
    msg = protocol.decode_line(data)
    assert (msg.seq, msg.bpm, msg.bars, msg.line) == (3, 90.0, 1, "wörld.")
    assert msg.syllables == (("wörld", 1, 0.0, 4.0, "."),)
    assert (msg.section, msg.index) == ("", -1)


def test_section_trailer_round_trip_and_old_datagrams_decode() -> None:
    msg = protocol.decode_line(protocol.encode_line(4, 120.0, _phrase(), "verse", 3))
    assert (msg.section, msg.index, msg.line, len(msg.syllables)) == ("verse", 3, "Hello,", 2)
    # A datagram from before the trailer existed (syllables last) still decodes.
    old = protocol.osc_message(protocol.LINE_ADDRESS, 1, 100.0, 1, 1, "Hi", "Hi", 1, 0.0, 4.0,
                               "_")
    msg = protocol.decode_line(old)
    assert (msg.line, msg.syllables, msg.section, msg.index) == (
        "Hi", (("Hi", 1, 0.0, 4.0, "_"),), "", -1)


def test_oversized_line_is_refused() -> None:
    notes = tuple(
        Note(Syllable("x" * 40, "x" * 40, i, 1), float(i), 1.0) for i in range(300)
    )
    with pytest.raises(InputError, match="too large"):
        protocol.encode_line(0, 120.0, Phrase("long", 75, notes))


def test_ruby_files_use_only_protocol_addresses() -> None:
    known = {protocol.LINE_ADDRESS, protocol.SUNG_ADDRESS, protocol.ENDED_ADDRESS,
             protocol.NOTES_ADDRESS,
             *protocol.CONTROL_ADDRESSES}
    known.add(protocol.KNOB_ADDRESS)  # bridge -> Sonic Pi: settings from a MIDI keyboard
    used: set[str] = set()
    for rb in SONICPI.rglob("*.rb"):
        used |= set(re.findall(r"/lyricbridge/[a-z-]+", rb.read_text()))
    assert used, "no Ruby file mentions a /lyricbridge/ address"
    assert used <= known, f"Ruby files use addresses the bridge does not define: {used - known}"
    melody = (SONICPI / "lyrics_melody.rb").read_text()
    assert f'sync "/osc*{protocol.LINE_ADDRESS}"' in melody
