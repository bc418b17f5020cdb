"""Rhymes, the song plan, and songs written by the shipped model."""

from __future__ import annotations

import json
import string

import numpy as np
import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.errors import InputError
from bridge.model.store import LyricModel, default_model_dir
from bridge.song.clean import blocked_words
from bridge.song.plan import (
    Plan,
    default_scheme,
    parse_form,
    parse_schemes,
    parse_syllables,
    write_song,
)
from bridge.song.rhyme import (
    RhymeBook,
    homophones,
    lines_rhyme,
    pronunciations,
    rhyme_sound,
    rhyme_sounds,
    rhymes,
)
from bridge.song.songlines import SongComposer
from bridge.song.writer import SongLineWriter
from bridge.stream.commands import COMMAND_NAMES, Command
from bridge.stream.control import parse_command
from bridge.stream.protocol import CONTROL_CHORUS, osc_message
from bridge.syllables import syllabify_line

LOWER = string.ascii_lowercase


# ----- rhymes -----------------------------------------------------------------------------

@pytest.mark.parametrize("a,b", [("day", "way"), ("love", "above"), ("night", "light"),
                                 ("morning", "warning"), ("water", "daughter"),
                                 ("Mountain,", "fountain."), ("again", "rain"),
                                 ("again", "ten")])
def test_known_pairs_rhyme(a: str, b: str) -> None:
    assert rhymes(a, b) and rhymes(b, a)


@pytest.mark.parametrize("a,b", [("day", "night"), ("love", "move"), ("water", "later"),
                                 ("sing", "song")])
def test_other_pairs_do_not(a: str, b: str) -> None:
    assert not rhymes(a, b)


def test_the_same_word_is_no_rhyme() -> None:
    assert not rhymes("day", "day")
    assert not rhymes("Day,", "day!")
    assert not lines_rhyme("We sang all day,", "and slept all day.")


@pytest.mark.parametrize("a,b", [("see", "sea"), ("new", "knew"), ("night", "knight"),
                                 ("right", "write"), ("Rose,", "rows")])
def test_homophones_are_no_rhyme(a: str, b: str) -> None:
    assert homophones(a, b) and not rhymes(a, b) and not rhymes(b, a)


def test_every_pronunciation_counts() -> None:
    assert len(pronunciations("again")) >= 2
    assert rhyme_sounds("again") == {"EH N", "EY N"}
    assert not rhymes("again", "gain") or rhymes("rain", "gain")


def test_an_unknown_word_rhymes_with_nothing() -> None:
    assert rhyme_sound("florbix") is None
    assert not rhymes("florbix", "florbix")
    assert not rhymes("florbix", "bix")
    assert not lines_rhyme("The fox ran off", "")


def test_rhyme_sound_starts_at_the_last_stressed_vowel() -> None:
    assert rhyme_sound("together") == "EH DH ER"
    assert rhyme_sound("understand") == "AE N D"


def test_rhyme_book_keeps_clean_spellable_words_with_partners() -> None:
    book = RhymeBook(LOWER, words=["bell", "hell", "well", "tell", "café", "day", "florbix"])
    assert set(book.partners("shell")) == {"bell", "well", "tell"}  # never the blocked "hell"
    assert set(book.partners("well")) == {"bell", "tell"}  # never the word itself
    assert set(book.partners("shell", exclude=["tell"])) == {"bell", "well"}
    assert "day" not in book.words  # no partner
    assert RhymeBook("bel", words=["bell", "well"]).families == {}  # cannot spell "well"
    # Homophones alone make no rhyme sound; with a third word they are never partners.
    assert RhymeBook(LOWER, words=["see", "sea"]).families == {}
    both = RhymeBook(LOWER, words=["see", "sea", "tree"])
    assert set(both.partners("see")) == {"tree"}


def test_shipped_rhyme_book_is_large_clean_spellable_and_random() -> None:
    chars = LyricModel(default_model_dir()).vocab.chars
    book = RhymeBook(chars, rng=np.random.default_rng(1))
    assert len(book.words) >= 1500 and len(book.sounds()) >= 150
    assert not blocked_words(" ".join(book.words))
    assert all(set(w) <= set(chars) for w in book.words)
    for sound, family in book.families.items():
        assert all(sound in rhyme_sounds(w) for w in family)
    assert any(len(pronunciations(w)) > 1 for w in book.words)
    orders = {tuple(book.partners("day")) for _ in range(5)}
    assert len(orders) > 1 and all(len(o) >= 20 for o in orders)  # several words, shuffled
    heads = book.heads(2, limit=20)
    assert len(heads) == 20 and len({rhyme_sound(w) for w in heads}) >= 10
    assert all(len(book.partners(w)) >= 2 for w in heads)


# ----- the plan ---------------------------------------------------------------------------

def test_form_and_scheme_parsing() -> None:
    assert parse_form("verse chorus, verse  Chorus bridge") == (
        "verse", "chorus", "verse", "chorus", "bridge")
    with pytest.raises(InputError, match="bad --form 'verse hook'"):
        parse_form("verse hook")
    schemes = parse_schemes(["verse=abcb", "chorus=AAAA"])
    assert schemes == {"verse": "ABCB", "chorus": "AAAA", "bridge": "ABCB"}
    assert parse_schemes(["XAXA"]) == dict.fromkeys(("verse", "chorus", "bridge"), "XAXA")
    assert parse_schemes([], 6)["verse"] == "AABBCC"
    assert default_scheme("chorus", 2) == "A*" and default_scheme("chorus", 4) == "ABB*"
    assert default_scheme("verse", 2) == "AA"
    assert parse_schemes(["chorus=AB*B"])["chorus"] == "AB*B"
    for bad in (["AAB"], ["solo=AABB"], ["verse=AA1B"], ["*ABA"]):
        with pytest.raises(InputError, match="--scheme|rhyme scheme"):
            parse_schemes(bad)
    assert parse_syllables("4-12") == (4, 12)
    with pytest.raises(InputError):
        parse_syllables("9-3")


def test_plan_writes_the_chorus_first_and_once() -> None:
    plan = Plan(("verse", "chorus", "verse", "bridge", "chorus"))
    assert plan.stanzas() == [0, 1, 2, 3, 1]
    assert plan.write_order() == [1, 0, 2, 3]


def test_write_song_follows_the_scheme_and_repeats_the_chorus() -> None:
    """With a plain line function: the plan asks for the right rhymes in the right order."""
    calls: list[tuple[str | None, int]] = []
    words = iter(["day", "way", "night", "light", "sun", "fun", "rain", "again", "sky",
                  "high", "moon"])

    def line(rhyme_with: str | None, start: int, used: frozenset[str]) -> tuple[str, str]:
        calls.append((rhyme_with, start))
        word = next(words)
        assert word not in used
        return f"Line {len(calls)} ends with {word},", word

    song = write_song(Plan(), line)
    # The first line sung, the chorus's first line (the title, free: ABB*), the rest of
    # verse 1 (AABB), the rest of the chorus (its last line repeats the title), then verse 2.
    assert calls[:5] == [(None, 1), (None, 0), ("day", 0), (None, 1), ("light", 0)]
    assert calls[5:7] == [(None, 1), ("fun", 0)]
    assert calls[7:] == [(None, 1), ("again", 0), (None, 1), ("high", 0)]
    assert [s.section for s in song.stanzas] == ["verse", "chorus", "verse", "chorus"]
    assert song.stanzas[1] == song.stanzas[3]
    assert song.title == "Line 2 ends with way"
    chorus = song.stanzas[1].lines
    assert chorus[0] == chorus[3] and len(set(chorus)) == 3  # the refrain
    assert song.endings() == {"day", "way", "night", "light", "sun", "fun", "rain", "again",
                              "sky", "high", "moon"}
    lyrics = list(song.lyrics())
    assert len(lyrics) == 16 + 3 and [x.text for x in lyrics].count("") == 3
    assert {x.title for x in lyrics} == {song.title}
    assert [x.index for x in lyrics[:4]] == [0, 1, 2, 3]


# ----- songs from the shipped model -------------------------------------------------------

@pytest.fixture(scope="module")
def model() -> LyricModel:
    return LyricModel(default_model_dir())


def compose(model: LyricModel, seed: int, plan: Plan | None = None) -> SongComposer:
    return SongComposer(model.writer(seed=seed), plan or Plan())


def test_songs_rhyme_repeat_and_are_reproducible(model: LyricModel) -> None:
    song = compose(model, 11).write()
    assert song == compose(model, 11).write()
    assert song != compose(model, 12).write()
    assert song.stanzas[1] == song.stanzas[3] and song.stanzas[1].section == "chorus"
    assert song.title and song.stanzas[1].lines[0].startswith(song.title)
    assert song.stanzas[1].lines[-1] == song.stanzas[1].lines[0]  # the refrain
    pairs = ok = 0
    counts = []
    for stanza in song.stanzas:
        for i, a in enumerate(stanza.scheme):
            counts.append(len(syllabify_line(stanza.lines[i])))
            for j in range(i + 1, len(stanza.scheme)):
                if a not in "X*" and stanza.scheme[j] == a:
                    pairs += 1
                    ok += lines_rhyme(stanza.lines[i], stanza.lines[j])
    assert pairs == 6 and ok >= 5, song.text()
    assert sum(4 <= c <= 12 for c in counts) >= 15, counts


def test_run_avoids_the_endings_of_the_last_songs(model: LyricModel) -> None:
    from bridge.song.songlines import REMEMBERED_SONGS, SongLines

    # run's source: songs one after another, read line by line as the daemon reads them.
    lines = SongLines(compose(model, 4, Plan(("verse", "chorus"), 4)), songs=REMEMBERED_SONGS + 2)
    songs: list[set[str]] = [set()]
    while (lyric := lines.next_line()) is not None:
        if not lyric.text and lyric.index == -1 and lyric.section == "" and songs[-1] and \
                not lyric.title:
            songs.append(set())  # the break between two songs
        elif lyric.text and lyric.section:
            songs[-1].add(lyric.text.lower().strip(",.;:!?'\" ").split()[-1])
    lines.close()
    assert len(songs) == REMEMBERED_SONGS + 2, songs
    for k, endings in enumerate(songs):
        before = set().union(*songs[max(0, k - REMEMBERED_SONGS):k])
        assert not endings & before, (k, endings & before)
    assert len(set().union(*songs)) >= 5 * len(songs)  # several new endings in every song


def test_clean_filter_holds_for_chosen_endings(model: LyricModel) -> None:
    # A book where the only other partner of "bell" is blocked: it must never be chosen.
    book = RhymeBook(model.vocab.chars, words=["well", "hell", "tell"])
    assert book.partners("bell", exclude=["well", "tell"]) == []
    writer = SongLineWriter(model.writer(seed=3), book)
    for _ in range(4):
        line = writer.write(rhyme_with="bell")
        assert not blocked_words(line.text), line.text
        assert line.word != "hell"


def test_song_json_schema() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["song", "--seed", "2", "--json", "--form", "chorus verse chorus",
                                 "--scheme", "verse=ABCB"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 12
    for row in rows:
        assert set(row) == {"section", "stanza", "line", "rhyme", "syllables"}
        assert row["syllables"] and set(row["syllables"][0]) == {
            "text", "word", "word_index", "stress", "beat", "beats", "mark"}
    assert [r["stanza"] for r in rows] == [0] * 4 + [1] * 4 + [2] * 4
    assert "".join(r["rhyme"] for r in rows) == "ABB*" + "ABCB" + "ABB*"
    assert [r["line"] for r in rows[:4]] == [r["line"] for r in rows[8:]]
    assert rows[0]["line"] == rows[3]["line"]
    other = runner.invoke(cli, ["song", "--seed", "2", "--json", "--scheme", "chorus=ABAB"])
    chorus = [json.loads(line) for line in other.output.splitlines()][4:8]
    assert "".join(r["rhyme"] for r in chorus) == "ABAB" and chorus[0]["line"] != chorus[3]["line"]
    assert {r["section"] for r in rows[4:8]} == {"verse"}


def test_song_cli_prints_stanzas_and_refuses_bad_options() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["song", "--seed", "2", "--lines-per-stanza", "2"])
    assert result.exit_code == 0
    stanzas = result.output.strip().split("\n\n")
    assert [len(s.splitlines()) for s in stanzas] == [2, 2, 2, 2]
    assert stanzas[1] == stanzas[3]
    bad = runner.invoke(cli, ["song", "--scheme", "ABQ"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: bad rhyme scheme 'ABQ'")
    assert runner.invoke(cli, ["song", "--lines-per-stanza", "1"]).exit_code == 2


def test_chorus_control_datagram() -> None:
    assert "chorus" in COMMAND_NAMES
    assert parse_command(osc_message(CONTROL_CHORUS)) == Command("chorus")
    with pytest.raises(InputError, match="takes no arguments"):
        parse_command(osc_message(CONTROL_CHORUS, 1))
