"""The word model that judges lines, the word trie that masks decoding, and how both load."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.errors import ModelError
from bridge.model.store import LyricModel, default_model_dir, word_files
from bridge.model.wordlm import WORDLM_FILE, WordModel, tokenize
from bridge.model.wordmask import WORDS_FILE, WordMask, WordTrie
from bridge.song.plan import Plan
from bridge.song.rhyme import NOT_ENDINGS, last_word
from bridge.song.songlines import SongComposer
from bridge.training.wordlm import arpa_arrays, save_npz, trie_arrays

# A tiny back-off model written by hand (log10, as ARPA files hold them).
ARPA = """\\data\\
ngram 1=6
ngram 2=4

\\1-grams:
-1.0\t</s>
-99\t<s>\t-0.3
-0.7\tthe\t-0.2
-0.9\tsun\t-0.1
-1.2\tsings\t-0.1
-2.0\t<unk>

\\2-grams:
-0.2\t<s> the
-0.1\tthe sun
-0.3\tsun sings
-0.2\tsings </s>

\\end\\
"""
LN10 = np.log(10.0)


@pytest.fixture(scope="module")
def shipped() -> LyricModel:
    return LyricModel(default_model_dir())


def test_a_hand_made_model_scores_by_back_off(tmp_path: Path) -> None:
    save_npz(tmp_path / "lm.npz", arpa_arrays(ARPA))
    lm = WordModel.load(tmp_path / "lm.npz")
    assert lm.order == 2 and lm.words[:3] == ["<unk>", "<s>", "</s>"]
    got = lm.score_lines(["The sun sings!", "sun the"])
    want0 = (-0.2 - 0.1 - 0.3 - 0.2) * LN10
    # "sun" after <s>: bow(<s>) + p(sun); "the" after "sun": bow(sun) + p(the); then </s>.
    want1 = (-0.3 - 0.9) * LN10 + (-0.1 - 0.7) * LN10 + (-0.2 - 1.0) * LN10
    assert got == pytest.approx([want0, want1])
    assert lm.score_lines(["florbix"])[0] == pytest.approx((-0.3 - 2.0 - 1.0) * LN10)


def test_unseen_pairs_and_unigrams_of_a_hand_made_model(tmp_path: Path) -> None:
    save_npz(tmp_path / "lm.npz", arpa_arrays(ARPA))
    lm = WordModel.load(tmp_path / "lm.npz")
    lines = [lm.ids_of(tokenize(t)) for t in ("the sun sings", "sun the", "the sun the", "")]
    # pairs with <s> and </s>: all seen; <s> sun, sun the, the </s> unseen; the sun the ...
    assert list(lm.unseen_pairs(lines)) == [0, 3, 2, 1]
    assert list(lm.unseen_pairs(lines, tail=2)) == [0, 2, 2, 1]
    assert list(lm.unseen_pairs(lines, tail=1)) == [0, 1, 1, 1]
    assert lm.unigrams(lines) == pytest.approx(
        [(-0.7 - 0.9 - 1.2) * LN10, (-0.9 - 0.7) * LN10, (-0.7 - 0.9 - 0.7) * LN10, 0.0])
    assert len(lm.score_ids([])) == 0 and len(lm.unseen_pairs([])) == 0
    lm.score_ids(lines)  # the top order here is the pairs
    assert list(lm.unseen_top(4)) == [0, 3, 2, 1]
    assert list(lm.unseen_top(4, tail=2)) == [0, 2, 2, 1]


def test_the_shipped_word_model_prefers_real_order(shipped: LyricModel) -> None:
    judge, trie = word_files(shipped.path)
    assert judge is not None and trie is not None and judge.order == 3
    lines = ["I will sing you a song of the sea", "sea the of song a you sing will I"]
    a, b = judge.score_lines(lines)
    assert a > b + 10
    assert tokenize("Don't say 'Tis so, O'er!") == ["don't", "say", "tis", "so", "o'er"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "unsorted", "missing"])
def test_a_damaged_word_model_is_refused_in_one_line(tmp_path: Path, damage: str) -> None:
    good = default_model_dir() / WORDLM_FILE
    bad = tmp_path / WORDLM_FILE
    if damage == "truncate":
        bad.write_bytes(good.read_bytes()[:5000])
    elif damage == "garbage":
        bad.write_bytes(b"not a word model at all")
    else:
        with np.load(good) as z:
            arrays = {k: z[k] for k in z.files}
        if damage == "unsorted":
            arrays["keys2"] = arrays["keys2"][::-1].copy()
        else:
            del arrays["logp3"]
        save_npz(bad, arrays)
    with pytest.raises(ModelError) as err:
        WordModel.load(bad)
    msg = str(err.value)
    assert "\n" not in msg and str(bad) in msg


def test_the_cli_refuses_a_model_directory_with_a_damaged_word_file(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    (model / WORDS_FILE).write_bytes(b"PK\x03\x04 broken")
    result = CliRunner().invoke(cli, ["song", "--model", str(model), "--seed", "1"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: word list ") and WORDS_FILE in lines[0]


def test_trie_arrays_round_trip(tmp_path: Path) -> None:
    words = ["sun", "sing", "sings", "don't", "a"]
    save_npz(tmp_path / "w.npz", trie_arrays(words + ["Bad-Word"]))
    trie = WordTrie.load(tmp_path / "w.npz")
    assert sorted(trie.words()) == sorted(words)


WORDS = ["the", "sun", "sings", "a", "song", "of", "day", "and", "night", "i", "don't", "know"]


def test_masked_decoding_never_spells_a_non_word(shipped: LyricModel, tmp_path: Path) -> None:
    """Hot sampling from the real model through a tiny trie: every word is in the trie."""
    save_npz(tmp_path / "w.npz", trie_arrays(WORDS))
    mask = WordMask(WordTrie.load(tmp_path / "w.npz"), shipped.vocab)
    from bridge.model.gru import Stepper
    from bridge.model.sampling import Sampler

    sampler = Sampler(shipped.network, shipped.vocab, temperature=2.0, seed=5)
    rows = 24
    stepper = Stepper(shipped.network, rows)
    logits = np.zeros((rows, len(shipped.vocab)), dtype=np.float32)
    nodes = mask.start(rows)
    out = np.empty((rows, 80), dtype=np.int64)
    for t in range(80):
        ids = sampler.sample(np.where(mask.allowed(nodes), logits, -np.inf))
        out[:, t] = ids
        nodes = mask.advance(nodes, ids)
        logits = stepper.step(ids)
    texts = [shipped.vocab.decode(row) for row in out]
    spelled = {w.strip("'") for text in texts
               for w in re.findall(r"[a-z']+", text.lower()[: text.rfind(" ")])}
    assert spelled - {""} <= set(WORDS)
    assert len(spelled) >= 6  # many words, not one


def test_songs_spell_only_words_of_the_shipped_trie(shipped: LyricModel) -> None:
    _, trie = word_files(shipped.path)
    assert trie is not None
    song = SongComposer(shipped.writer(seed=4), Plan()).write()
    ends = np.flatnonzero(trie.end)
    assert 5_000 < len(ends) < 20_000  # familiar words only
    assert all(trie.node_of(odd) < 0 or not trie.end[trie.node_of(odd)]
               for odd in ("ur", "ba", "ha", "fryers"))
    assert trie.end[trie.node_of("thee")] and trie.end[trie.node_of("morning")]
    for line in song.text().splitlines():
        assert last_word(line) not in NOT_ENDINGS, line
        for word in re.findall(r"[a-z]+(?:'[a-z]+)*", line.lower()):
            node = 0
            for c in word:
                node = int(trie.table[node, "abcdefghijklmnopqrstuvwxyz'".index(c)])
                assert node >= 0, (word, line)
            assert trie.end[node], (word, line)


def test_seen_runs_find_lines_copied_from_training(shipped: LyricModel) -> None:
    judge, _ = word_files(shipped.path)
    assert judge is not None
    copied = judge.ids_of(tokenize("I will sing you a song of the sea"))
    scrambled = judge.ids_of(tokenize("sea the of song a you sing will I"))
    runs = judge.seen_runs([copied, scrambled])
    assert runs[0] >= 9 and runs[1] <= 4
