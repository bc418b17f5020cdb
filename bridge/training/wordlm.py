"""Build the word-level files a model directory ships beside the char model's weights:

- ``wordlm.npz``: a Kneser-Ney word n-gram model (ARPA counted and smoothed by ``kaldingram``)
  packed into sorted arrays for ``bridge.model.wordlm``;
- ``words.npz``: the prefix trie of the words decoding may spell (``bridge.model.wordmask``).

The corpus is cut into blocks of ``BLOCK`` lines (at stanza breaks) that alternate between
two halves, "a" and "b", so a second model can be trained on text the first never saw.
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from bridge.model.store import write_atomic
from bridge.model.wordlm import BITS, SPECIAL, pack, tokenize
from bridge.model.wordmask import APOSTROPHE, LETTERS

BLOCK = 2000
LN10 = math.log(10.0)


def split_halves(text: str, part: str, block: int = BLOCK) -> list[str]:
    """The non-blank lines of half ``part`` ("a", "b", or "all") of a corpus."""
    if part not in ("a", "b", "all"):
        raise ValueError(f"part must be a, b or all, got {part!r}")
    out: list[str] = []
    half, count = 0, 0
    for line in text.splitlines():
        if not line.strip():
            if count >= block:
                half, count = 1 - half, 0
            continue
        count += 1
        if part == "all" or half == "ab".index(part):
            out.append(line)
    return out


def train_arrays(lines: Iterable[str], order: int = 3, min_count: int = 2,
                 cutoffs: tuple[int, ...] = ()) -> dict[str, np.ndarray]:
    """Count and smooth a Kneser-Ney model over tokenised lines; words seen fewer than
    ``min_count`` times become ``<unk>``. ``cutoffs``: kaldingram's per-order minimum counts."""
    from kaldingram.train import NgramCounts

    token_lines = [tokenize(line) for line in lines]
    counts = Counter(t for toks in token_lines for t in toks)
    ngrams = NgramCounts(order)
    for toks in token_lines:
        if toks:
            ngrams.add_raw_counts_from_line(
                " ".join(t if counts[t] >= min_count else "<unk>" for t in toks))
    if any(cutoffs):
        ngrams.apply_count_cutoffs(list(cutoffs) + [0] * (order - len(cutoffs)))
    ngrams.cal_discounting_constants()
    ngrams.cal_f()
    ngrams.cal_bow()
    with tempfile.TemporaryDirectory() as tmp:
        arpa = Path(tmp) / "lm.arpa"
        with open(arpa, "w", encoding="utf-8") as f:
            ngrams.print_as_arpa(fout=f)
        return arpa_arrays(arpa.read_text(encoding="utf-8"))


def arpa_arrays(arpa: str) -> dict[str, np.ndarray]:
    """An ARPA model as the arrays ``bridge.model.wordlm`` reads (log10 turned to ln)."""
    grams: dict[int, list[tuple[list[str], float, float]]] = {}
    order = 0
    for raw in arpa.splitlines():
        line = raw.strip()
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1:].split("-")[0])
            grams[order] = []
        elif line and order and not line.startswith("\\"):
            parts = line.split("\t") if "\t" in line else line.split()
            if "\t" in line:
                words = parts[1].split()
                bow = float(parts[2]) if len(parts) > 2 else 0.0
            else:
                words = parts[1 : 1 + order]
                bow = float(parts[1 + order]) if len(parts) > 1 + order else 0.0
            grams[order].append((words, float(parts[0]), bow))
    uni = {tuple(w)[0] for w, _, _ in grams[1]}
    vocab = list(SPECIAL) + sorted(uni - set(SPECIAL))
    ids = {w: i for i, w in enumerate(vocab)}
    out: dict[str, np.ndarray] = {"words": np.array(vocab)}
    top = max(grams)
    for n in range(1, top + 1):
        rows = grams[n]
        key_ids = np.array([[ids[w] for w in ws] for ws, _, _ in rows], dtype=np.int64)
        keys = pack(key_ids.reshape(len(rows), n))
        logp = np.array([lp for _, lp, _ in rows]) * LN10
        bows = np.array([b for _, _, b in rows]) * LN10
        if n == 1:  # every word of the vocabulary, by id; <unk> gets the floor if absent
            full_lp = np.full(len(vocab), min(float(logp.min()), -20.0))
            full_bow = np.zeros(len(vocab))
            full_lp[keys], full_bow[keys] = logp, bows
            keys, logp, bows = np.arange(len(vocab), dtype=np.int64), full_lp, full_bow
        order_ = np.argsort(keys)
        out[f"keys{n}"] = keys[order_]
        out[f"logp{n}"] = np.maximum(logp[order_], -99.0).astype(np.float32)
        if n < top:
            out[f"bow{n}"] = bows[order_].astype(np.float32)
    if len(vocab) >= 1 << BITS:
        raise ValueError(f"vocabulary too large for {BITS}-bit ids: {len(vocab)}")
    return out


def save_npz(path: Path, arrays: dict[str, np.ndarray], compress: bool = True) -> None:
    """Write arrays to an npz atomically (no pickle); uncompressed loads faster."""
    def write(tmp: str) -> None:
        if compress:
            np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
        else:
            np.savez(tmp, **arrays)  # type: ignore[arg-type]

    write_atomic(path, write, suffix=".npz")
    path.chmod(0o644)


def trie_arrays(words: Iterable[str] | dict[str, int]) -> dict[str, np.ndarray]:
    """A prefix trie of words over ``LETTERS`` + apostrophe: for each node but the root, its
    parent and the symbol leading to it, whether a word ends there, and that word's
    syllables (``words`` may map each word to them; else 0: unknown)."""
    alphabet = LETTERS + APOSTROPHE
    counts = words if isinstance(words, dict) else dict.fromkeys(words, 0)
    children: list[dict[str, int]] = [{}]
    parent, symbol, end, syll = [-1], [-1], [False], [0]
    for word in sorted(counts):
        if not word or any(c not in alphabet for c in word):
            continue
        node = 0
        for c in word:
            nxt = children[node].get(c)
            if nxt is None:
                nxt = len(children)
                children[node][c] = nxt
                children.append({})
                parent.append(node)
                symbol.append(alphabet.index(c))
                end.append(False)
                syll.append(0)
            node = nxt
        end[node] = True
        syll[node] = counts[word]
    return {"parent": np.array(parent, dtype=np.int32), "symbol": np.array(symbol, dtype=np.int8),
            "end": np.array(end, dtype=bool), "syllables": np.array(syll, dtype=np.uint8)}
