"""Decode real words: a prefix trie of the words a line may hold, as a mask over characters.

While a line is sampled, each row keeps the trie node of the word it is spelling. A letter is
allowed only where it continues a word of the trie; a space, punctuation or the newline only
where a whole word ends (or between words). An apostrophe continues a word that has one
("don't"), opens a quote between words, or closes one after a whole word. Upper and lower case
letters are the same symbol. Pure: the trie's arrays come from ``words.npz`` (no pickle).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.errors import ModelError
from bridge.model.npz import read_arrays
from bridge.model.vocab import Vocabulary

WORDS_FILE = "words.npz"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
APOSTROPHE = "'"
SYMBOLS = LETTERS + APOSTROPHE
_APOS = len(LETTERS)
ROOT = 0


class WordTrie:
    """The trie as a dense child table; ``CLOSED`` is an extra node after a closing quote."""

    def __init__(self, parent: np.ndarray, symbol: np.ndarray, end: np.ndarray,
                 syllables: np.ndarray | None = None) -> None:
        n = len(parent)
        self.syll = syllables if syllables is not None else np.zeros(n, dtype=np.uint8)
        self._counts: dict[str, int | None] = {}
        self.closed = n
        self.table = np.full((n + 1, _APOS + 1), -1, dtype=np.int32)
        self.table[parent[1:], symbol[1:]] = np.arange(1, n, dtype=np.int32)
        self.end = np.concatenate([end, [True]])
        self.end[ROOT] = True  # between words: anything but a letter may come

    @classmethod
    def load(cls, path: Path) -> WordTrie:
        """Read and check a trie file; ModelError naming the file if it is damaged."""
        try:
            data = read_arrays(path)
        except ValueError as e:
            raise _bad(path, f"is unreadable ({e})") from None
        parent, symbol, end, syll = (data.get(k) for k in ("parent", "symbol", "end",
                                                             "syllables"))
        if parent is None or symbol is None or end is None or syll is None \
                or parent.ndim != 1 or not len(parent) or symbol.shape != parent.shape \
                or end.shape != parent.shape or syll.shape != parent.shape:
            raise _bad(path, "lacks parent, symbol, end and syllables arrays of one length")
        if parent[0] != -1 or np.any(parent[1:] < 0) or \
                np.any(parent[1:] >= np.arange(1, len(parent))) or \
                np.any(symbol[1:] < 0) or np.any(symbol[1:] > _APOS) or end.dtype != bool:
            raise _bad(path, "has nodes out of order or symbols out of range")
        leaves = np.ones(len(parent), dtype=bool)
        leaves[parent[1:]] = False
        if np.any(leaves & ~end):
            raise _bad(path, "has branches that end in no word")
        return cls(parent.astype(np.int64), symbol.astype(np.int64), end, syll)

    def node_of(self, word: str) -> int:
        """The node a lower-case word leads to, or -1."""
        node = ROOT
        for c in word:
            s = SYMBOLS.find(c)
            node = int(self.table[node, s]) if s >= 0 else -1
            if node < 0:
                return -1
        return node

    def syllables(self, word: str) -> int | None:
        """A word's syllables, if the trie holds the word and knows them."""
        if word not in self._counts:
            node = self.node_of(word)
            n = int(self.syll[node]) if node > 0 and self.end[node] else 0
            self._counts[word] = n or None
        return self._counts[word]

    def words(self, node: int = ROOT, prefix: str = "") -> list[str]:
        """Every word under a node (for tests and checks; slow on the whole trie)."""
        out = [prefix] if self.end[node] and node != ROOT else []
        for s, child in enumerate(self.table[node]):
            if child >= 0:
                out += self.words(int(child), prefix + (LETTERS + APOSTROPHE)[s])
        return out


class WordMask:
    """A trie fitted to a model's vocabulary: which characters each row may sample next."""

    def __init__(self, trie: WordTrie, vocab: Vocabulary) -> None:
        self.trie = trie
        sym = np.full(len(vocab), -1, dtype=np.int64)
        for i, c in enumerate(vocab.chars):
            low = c.lower()
            if low in LETTERS and len(low) == 1:
                sym[i] = LETTERS.index(low)
            elif c == APOSTROPHE:
                sym[i] = _APOS
        self.sym = sym
        self.letter_cols = np.flatnonzero((sym >= 0) & (sym < _APOS))
        self.apos_cols = np.flatnonzero(sym == _APOS)
        self.other_cols = np.flatnonzero(sym < 0)

    def start(self, rows: int, prefix: str = "") -> np.ndarray:
        """Nodes for rows that begin after ``prefix`` (the part of a line already written)."""
        node = ROOT
        for c in prefix:
            node = int(self.advance(np.array([node]), np.array([self._col(c)]))[0])
        return np.full(rows, node, dtype=np.int64)

    def _col(self, c: str) -> int:
        low = c.lower()
        if low in LETTERS and len(low) == 1:
            return int(self.letter_cols[np.flatnonzero(self.sym[self.letter_cols]
                                                       == LETTERS.index(low))[0]])
        if c == APOSTROPHE and len(self.apos_cols):
            return int(self.apos_cols[0])
        return int(self.other_cols[0])

    def allowed(self, nodes: np.ndarray) -> np.ndarray:
        """(rows, vocab) booleans: the characters each row may sample next."""
        t = self.trie
        child = t.table[nodes]
        ends = t.end[nodes]
        ok = np.empty((len(nodes), len(self.sym)), dtype=bool)
        ok[:, self.letter_cols] = child[:, self.sym[self.letter_cols]] >= 0
        ok[:, self.other_cols] = ends[:, None]
        ok[:, self.apos_cols] = ((nodes == ROOT) | (child[:, _APOS] >= 0) | ends)[:, None]
        return ok

    def advance(self, nodes: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The nodes after each row samples ``ids``."""
        t = self.trie
        sym = self.sym[ids]
        child = t.table[nodes, np.maximum(sym, 0)]
        letter = (sym >= 0) & (sym < _APOS)
        new = np.where(letter, np.where(child >= 0, child, t.closed), ROOT)
        apos = sym == _APOS
        if apos.any():
            closing = np.where(t.end[nodes], t.closed, ROOT)
            new = np.where(apos, np.where(nodes == ROOT, ROOT,
                                          np.where(child >= 0, child, closing)), new)
        return new


def _bad(path: Path, what: str) -> ModelError:
    return ModelError(f"word list {path} {what}; rebuild it with bench/build_word_model.py "
                      "or copy it again")
