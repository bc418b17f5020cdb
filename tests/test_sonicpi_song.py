"""Songs in a real headless Sonic Pi: a returning chorus keeps its tune, verses do not repeat
theirs, the drums fill before a chorus, and old and new line datagrams both play."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from conftest import SONICPI_DIR
from test_sonicpi_e2e import assert_no_errors, line_seconds, sung_lines, syllable_counts

from bridge.sonicpi import HeadlessSonicPi
from bridge.stream import protocol
from bridge.syllables.rhythm import Phrase, place_line

pytestmark = pytest.mark.sonicpi

MELODY = SONICPI_DIR / "lyrics_melody.rb"
GROOVE = SONICPI_DIR / "tabla_groove.rb"
JAM = SONICPI_DIR / "jam.rb"
BPM = 300.0  # quick lines keep the tests short; the tune and the fills do not depend on it
FILL_SAMPLES = {"tabla_te1", "tabla_te2"}

#: A small song written for these tests: (text, section, index); "" is a stanza break.
VERSE_A = ("The lamp is lit beside the door,", "the cat is curled upon the floor.")
CHORUS = ("Sing it low and sing it high,", "paper boats go sailing by.")
VERSE_B = ("The rain is drumming on the lane,", "it taps a tune on every pane.")


def song(*stanzas: tuple[str, Sequence[str]]) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    for n, (section, lines) in enumerate(stanzas):
        if n:
            out.append(("", "", -1))
        out.extend((line, section, i) for i, line in enumerate(lines))
    return out


def send_song(spi: HeadlessSonicPi, lines: Sequence[tuple[str, str, int]]) -> None:
    """Send every line at once (5 ms apart), with its place in the song; a stanza break is
    a bar of rest, as the bridge sends it."""
    for seq, (text, section, index) in enumerate(lines):
        phrase = place_line(text) if text else Phrase("", 1, ())
        spi.send(protocol.encode_line(seq, BPM, phrase, section, index))
        time.sleep(0.005)


def wait_for(spi: HeadlessSonicPi, texts: Sequence[str]) -> None:
    spi.wait_for_notes(sum(syllable_counts(texts)),
                       sum(line_seconds(t, BPM) for t in texts if t) + 10, "tri")
    time.sleep(1.0)


def test_chorus_keeps_its_tune_and_verses_do_not(sonic_pi: HeadlessSonicPi) -> None:
    sonic_pi.run_file(MELODY)
    # The same words sung as a verse twice, and as a chorus twice (after different verses).
    lines = song(("verse", VERSE_A), ("chorus", CHORUS), ("verse", VERSE_B), ("chorus", CHORUS),
                 ("verse", VERSE_A))
    send_song(sonic_pi, lines)
    texts = [t for t, _, _ in lines]
    wait_for(sonic_pi, texts)
    assert_no_errors(sonic_pi)
    sung = [(t, notes) for t, notes in sung_lines(sonic_pi) if t]
    assert [t for t, _ in sung] == [t for t in texts if t]
    assert [len(n) for _, n in sung] == syllable_counts([t for t in texts if t])
    first_chorus = [n for _, n in sung[2:4]]
    second_chorus = [n for _, n in sung[6:8]]
    assert first_chorus == second_chorus
    first_verse = [n for _, n in sung[0:2]]
    last_verse = [n for _, n in sung[8:10]]
    assert first_verse != last_verse, "a verse sung again should not copy its old tune"


def test_tabla_fills_the_bar_before_a_chorus_only(sonic_pi: HeadlessSonicPi) -> None:
    sonic_pi.run_file(MELODY)
    sonic_pi.run_file(GROOVE)
    verses = song(("verse", VERSE_A), ("verse", VERSE_B))
    send_song(sonic_pi, verses)
    wait_for(sonic_pi, [t for t, _, _ in verses])
    assert_no_errors(sonic_pi)
    played = sonic_pi.samples()
    assert any(s.startswith("tabla_") for s in played), played
    assert not FILL_SAMPLES & set(played), "a fill with no chorus coming"
    sonic_pi.clear_log()
    with_chorus = song(("verse", VERSE_A), ("chorus", CHORUS[:1]))
    send_song(sonic_pi, with_chorus)
    wait_for(sonic_pi, [t for t, _, _ in with_chorus])
    assert_no_errors(sonic_pi)
    fills = [s for s in sonic_pi.samples() if s in FILL_SAMPLES]
    # One bar of rest before the chorus: eight eighths, two strokes each.
    assert len(fills) == 16, sonic_pi.samples()


def test_old_datagrams_without_a_song_place_still_play(sonic_pi: HeadlessSonicPi) -> None:
    sonic_pi.run_file(MELODY)
    phrase = place_line(VERSE_A[0])
    args: list[int | float | str] = [0, BPM, phrase.bars, len(phrase.notes), phrase.line]
    for n in phrase.notes:
        s = n.syllable
        args += [s.text, s.stress, n.beat, n.beats, s.mark]
    sonic_pi.send(protocol.osc_message(protocol.LINE_ADDRESS, *args))
    wait_for(sonic_pi, VERSE_A[:1])
    assert_no_errors(sonic_pi)
    assert [(t, len(n)) for t, n in sung_lines(sonic_pi)] == [(VERSE_A[0], len(phrase.notes))]


def test_jam_reads_new_datagrams_by_position(sonic_pi: HeadlessSonicPi) -> None:
    sonic_pi.run_file(JAM)
    send_song(sonic_pi, song(("chorus", CHORUS)))
    expected = sum(syllable_counts(CHORUS))
    notes = sonic_pi.wait_for_notes(expected, sum(line_seconds(t, BPM) for t in CHORUS) + 10)
    assert_no_errors(sonic_pi)
    assert len(notes) >= expected  # one note per syllable (and the jam's own extra notes)
