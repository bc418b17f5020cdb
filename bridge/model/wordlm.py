"""A word n-gram model (Kneser-Ney, back-off) that judges whole lines: read from an npz of
sorted n-gram keys, checked on load, and scored in one vectorised pass over many lines.

The file (``wordlm.npz``, no pickle) holds ``words`` (the vocabulary, id 0 ``<unk>``, 1 ``<s>``,
2 ``</s>``), and for each order n: ``keys{n}`` (sorted int64: the n word ids packed in
``BITS`` bits each), ``logp{n}`` (natural log-probabilities) and, below the top order,
``bow{n}`` (back-off weights, natural log). Every array is checked when the file is read, so a
damaged file is refused with one line that names it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from bridge.errors import ModelError
from bridge.model.npz import read_arrays

WORDLM_FILE = "wordlm.npz"
BITS = 20
UNK, BOS, EOS = 0, 1, 2
SPECIAL = ("<unk>", "<s>", "</s>")
MAX_ORDER = 3
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*")


def tokenize(line: str) -> list[str]:
    """A line's words as the word model counts them: lower case, inner apostrophes kept."""
    return _TOKEN.findall(line.lower().replace("\u2019", "'"))


def pack(ids: np.ndarray) -> np.ndarray:
    """Pack rows of word ids (n, order) into one int64 key per row."""
    out = np.zeros(ids.shape[0], dtype=np.int64)
    for j in range(ids.shape[1]):
        out = (out << BITS) | ids[:, j].astype(np.int64)
    return out


class WordModel:
    """Back-off n-gram log-probabilities of whole lines."""

    def __init__(self, words: list[str], keys: list[np.ndarray], logp: list[np.ndarray],
                 bow: list[np.ndarray]) -> None:
        self.words = words
        self.ids = {w: i for i, w in enumerate(words)}
        self.order = len(keys)
        self.keys, self.logp, self.bow = keys, logp, bow
        self.last_hits = np.zeros(0, dtype=bool)
        self.last_owner = np.zeros(0, dtype=np.int64)

    @classmethod
    def load(cls, path: Path) -> WordModel:
        """Read and check a word model file; ModelError naming the file if it is damaged."""
        try:
            data = read_arrays(path)
        except ValueError as e:
            raise _bad(path, f"is unreadable ({e})") from None
        return cls(*check_arrays(path, data))

    def ids_of(self, tokens: list[str]) -> list[int]:
        get = self.ids.get
        return [get(t, UNK) for t in tokens]

    def score_ids(self, lines: list[list[int]], end: bool = True) -> np.ndarray:
        """Natural log-probability of each line of word ids (after ``<s>``; with ``end``,
        ``</s>`` is predicted too). One vectorised pass for all lines."""
        n = self.order
        if not lines:
            self.last_hits = np.zeros(0, dtype=bool)
            self.last_owner = np.zeros(0, dtype=np.int64)
            return np.zeros(0)
        head, tail = [BOS] * (n - 1), [EOS] if end else []
        flat = np.fromiter((i for ids in lines for i in (*head, *ids, *tail)), dtype=np.int64)
        sizes = np.array([len(ids) + len(head) + len(tail) for ids in lines])
        owner_of = np.repeat(np.arange(len(lines)), sizes)
        # a window belongs to a line when it starts and ends inside it
        windows = np.lib.stride_tricks.sliding_window_view(flat, n)
        keep = owner_of[: len(windows)] == owner_of[n - 1 :]
        windows, owner = windows[keep], owner_of[: len(keep)][keep]
        total, self.last_hits = self._window_logp(windows)
        self.last_owner = owner
        return np.bincount(owner, weights=total, minlength=len(lines))

    def unseen_top(self, lines: int, tail: int = 0) -> np.ndarray:
        """For each of the ``lines`` lines of the last ``score_ids`` call, how many of its
        top-order n-grams training never held; with ``tail``, only among its last ``tail``."""
        owner, miss = self.last_owner, ~self.last_hits
        if tail and len(owner):
            last = np.cumsum(np.bincount(owner, minlength=lines)) - 1
            miss = miss & (last[owner] - np.arange(len(owner)) < tail)
        return np.bincount(owner, weights=miss, minlength=lines).astype(np.int64)

    def seen_runs(self, lines: list[list[int]], end: bool = True) -> np.ndarray:
        """For each line, the longest run of consecutive words whose top-order n-grams were
        all seen in training (a line copying the training text has a long one)."""
        self.score_ids(lines, end)
        out = np.zeros(len(lines), dtype=np.int64)
        run, prev = 0, -1
        for who, hit in zip(self.last_owner.tolist(), self.last_hits.tolist(), strict=True):
            run = run + 1 if hit and who == prev else (1 if hit else 0)
            prev = who
            out[who] = max(out[who], run + self.order - 1 if run else 0)
        return out

    def unigrams(self, lines: list[list[int]]) -> np.ndarray:
        """Sum of each line's unigram log-probabilities (the SLOR baseline)."""
        flat = np.fromiter((i for ids in lines for i in ids), dtype=np.int64)
        owner = np.repeat(np.arange(len(lines)), [len(ids) for ids in lines])
        return np.bincount(owner, weights=self.logp[0][flat], minlength=len(lines))

    def unseen_pairs(self, lines: list[list[int]], tail: int = 0) -> np.ndarray:
        """For each line of word ids (with ``<s>`` and ``</s>``), how many of its word pairs
        training never held; with ``tail``, only among its last ``tail`` pairs."""
        seqs = [[BOS, *ids, EOS] for ids in lines]
        if tail:
            seqs = [s[-tail - 1 :] for s in seqs]
        if not seqs:
            return np.zeros(0, dtype=np.int64)
        flat = np.fromiter((i for s in seqs for i in s), dtype=np.int64)
        owner_of = np.repeat(np.arange(len(seqs)), [len(s) for s in seqs])
        pairs = np.stack([flat[:-1], flat[1:]], axis=1)
        keep = owner_of[:-1] == owner_of[1:]
        found, _ = self._find(2, pairs[keep]) if self.order >= 2 else (
            np.ones(int(keep.sum()), dtype=bool), None)
        return np.bincount(owner_of[:-1][keep], weights=~found, minlength=len(seqs)
                           ).astype(np.int64)

    def _window_logp(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log p(last word | the words before it) for each row of ``n`` ids (back-off), and
        whether the whole n-gram was seen."""
        n = self.order
        result = np.zeros(len(w))
        done = np.zeros(len(w), dtype=bool)
        backoff = np.zeros(len(w))
        top = np.zeros(len(w), dtype=bool)
        for k in range(n, 0, -1):  # the n-gram of order k ends at the last word
            gram = w[:, n - k:]
            found, at = self._find(k, gram)
            if k == n:
                top = found.copy()
            hit = found & ~done
            result[hit] = self.logp[k - 1][at[hit]] + backoff[hit]
            done |= found
            if k > 1:  # back off: add the bow of this order's context ((k-1)-gram)
                cfound, cat = self._find(k - 1, w[:, n - k : n - 1])
                add = cfound & ~done
                backoff[add] += self.bow[k - 2][cat[add]]
        unknown = ~done  # an id outside the unigrams cannot happen; <unk> is a unigram
        result[unknown] = self.logp[0][UNK] + backoff[unknown]
        return result, top

    def _find(self, k: int, gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if k == 1:
            ids = gram[:, -1]
            return np.ones(len(ids), dtype=bool), ids
        keys = self.keys[k - 1]
        q = pack(gram)
        at = np.searchsorted(keys, q)
        at = np.minimum(at, len(keys) - 1)
        return keys[at] == q, at

    def score_lines(self, lines: list[str], end: bool = True) -> np.ndarray:
        """Natural log-probability of each text line."""
        return self.score_ids([self.ids_of(tokenize(s)) for s in lines], end)

    def unigram(self, tokens: list[str]) -> float:
        """Sum of the words' unigram log-probabilities (the SLOR baseline)."""
        lp = self.logp[0]
        return float(sum(lp[i] for i in self.ids_of(tokens)))


def _bad(path: Path, what: str) -> ModelError:
    return ModelError(f"word model {path} {what}; rebuild it with bench/build_word_model.py "
                      "or copy it again")


def check_arrays(path: Path, data: dict[str, np.ndarray]
                 ) -> tuple[list[str], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The arrays of a word model file, checked: names, kinds, sizes, order, finite values."""
    words = data.get("words")
    if words is None or words.dtype.kind != "U" or words.ndim != 1 or len(words) < 4 \
            or tuple(words[:3]) != SPECIAL or len(words) >= 1 << BITS:
        raise _bad(path, "has no valid 'words' list (unicode, starting <unk> <s> </s>)")
    order = sum(1 for k in data if k.startswith("keys"))
    if not 1 <= order <= MAX_ORDER or any(f"keys{n}" not in data for n in range(1, order + 1)):
        raise _bad(path, f"has n-gram tables keys1..keys{MAX_ORDER} missing or misnumbered")
    keys, logp, bow = [], [], []
    for n in range(1, order + 1):
        k, lp = data[f"keys{n}"], data.get(f"logp{n}")
        if k.dtype != np.int64 or k.ndim != 1 or lp is None or lp.shape != k.shape:
            raise _bad(path, f"has a keys{n}/logp{n} pair of wrong kind or size")
        if len(k) and (np.any(np.diff(k) <= 0) or k[0] < 0 or k[-1] >= 1 << (BITS * n)):
            raise _bad(path, f"has keys{n} out of order or out of range")
        if n == 1 and not np.array_equal(k, np.arange(len(words))):
            raise _bad(path, "has unigrams that do not match its words")
        if not np.all(np.isfinite(lp)) or np.any(lp > 1e-6):
            raise _bad(path, f"has logp{n} values that are not log-probabilities")
        keys.append(k)
        logp.append(lp.astype(np.float64))
        if n < order:
            b = data.get(f"bow{n}")
            if b is None or b.shape != k.shape or not np.all(np.isfinite(b)):
                raise _bad(path, f"has bow{n} missing, of wrong size or not finite")
            bow.append(b.astype(np.float64))
    return [str(w) for w in words], keys, logp, bow
