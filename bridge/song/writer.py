"""Write song lines that rhyme by construction, with the model's own judgement of fluency.

For every line, K candidate lines are sampled together; each is cut before its last word,
and the model scores, in one batch, every allowed ending (a word that rhymes where the
scheme asks for a rhyme) after every cut. The best line by log-probability per character
among those that meet the constraints (syllables, bars, clean and real words) is kept, and
writing carries on from the model state *after* that line's chosen ending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bridge.model.gru import Stepper, log_softmax
from bridge.model.sampling import LineWriter
from bridge.song.clean import blocked_words
from bridge.song.rhyme import RhymeBook, rhyme_sound, rhymes, word_key
from bridge.syllables import load_dictionary, split_word, syllabify_line
from bridge.syllables.rhythm import place_line

#: Longest line, in bars, that counts as fitting.
MAX_BARS = 3
#: A line has at least this many characters, and is sampled for at most this many (a longer
#: one would have too many syllables to sing).
MIN_CHARS = 8
MAX_CHARS = 72
#: Cuts whose endings are chosen from every rhyme sound (the first line of a rhyme): the
#: most fluent few, so the batch stays small.
HEAD_CUTS = 4
#: The last word of a line and what follows it (punctuation, closing quotes).
_LAST = re.compile(r"(?<![^\s\"(])([A-Za-z]+(?:'[A-Za-z]+)*)([^A-Za-z]*)$")
_TOKENS = re.compile(r"[a-z']+")


@dataclass
class Cut:
    """A sampled line cut before its last word, with the model state at the cut."""

    prefix: str
    word: str
    mark: str
    logp: float
    chars: int
    state: np.ndarray  # (layers, units)
    logits: np.ndarray  # (vocab,)
    syllables: int
    real: bool


@dataclass
class Written:
    """A chosen line: its text, last word, and the model state after it."""

    text: str
    word: str
    score: float
    state: np.ndarray  # (layers, 1, units)
    logits: np.ndarray  # (1, vocab)


def real_words(text: str) -> bool:
    """Whether every word of a text is in the CMU Pronouncing Dictionary."""
    words = load_dictionary()
    return all(t.strip("'").encode() in words for t in _TOKENS.findall(text.lower())
               if t.strip("'"))


def word_syllables(word: str) -> int:
    """Syllables of one word."""
    return len(split_word(word))


class SongLineWriter:
    """Writes single lines with an ending drawn from a given set of words."""

    def __init__(self, writer: LineWriter, book: RhymeBook, candidates: int = 8,
                 syllables: tuple[int, int] = (5, 10), max_bars: int = MAX_BARS,
                 clean: bool = True) -> None:
        self.writer = writer
        self.clean = clean
        self.book = book
        self.k = candidates
        self.syllables = syllables
        self.max_bars = max_bars
        vocab = writer.sampler.vocab
        self.newline = vocab.id_of("\n")
        self.alphabet = set(vocab.chars)

    def cuts(self) -> list[Cut]:
        """K lines sampled in one batch from the writer's state, each cut before its last word."""
        w = self.writer
        sampler, model, k = w.sampler, w.sampler.model, self.k
        stepper = Stepper(model, k)
        stepper.state[:] = w.state
        logits = np.repeat(w.logits, k, axis=0)
        steps = min(w.max_chars, MAX_CHARS)
        states = np.empty((steps + 1, model.layers, k, model.units), dtype=np.float32)
        hist = np.empty((steps + 1, k, model.vocab_size), dtype=np.float32)
        cum = np.zeros((steps + 1, k))
        chars = np.full((k, steps), self.newline, dtype=np.int64)
        states[0], hist[0] = stepper.state, logits
        rows = np.arange(k)
        open_rows = np.ones(k, dtype=bool)
        t = 0
        for t in range(steps):
            if t < MIN_CHARS:  # no empty or one-word lines: a newline is not allowed yet
                logits[:, self.newline] = -np.inf
            ids = sampler.sample(logits)
            cum[t + 1] = cum[t] + log_softmax(logits)[rows, ids]
            chars[:, t] = np.where(open_rows, ids, self.newline)
            open_rows &= ids != self.newline
            logits = stepper.step(ids)
            states[t + 1], hist[t + 1] = stepper.state, logits
            if not open_rows.any():
                break
        vocab = sampler.vocab
        out: list[Cut] = []
        for i in range(k):
            row = chars[i, : t + 1]
            end = int(np.argmax(row == self.newline)) if (row == self.newline).any() else t + 1
            sampled = vocab.decode(row[:end])
            text = w.prefix + sampled
            m = _LAST.search(text.rstrip())
            if m is None:
                continue
            cut_at = m.start(1) - len(w.prefix)
            prefix = text[: m.start(1)]
            if cut_at <= 0 or not re.search("[A-Za-z]", prefix):
                continue
            out.append(Cut(prefix, m.group(1), m.group(2).strip(), float(cum[cut_at, i]), cut_at,
                           states[cut_at, :, i].copy(), hist[cut_at, i].copy(),
                           len(syllabify_line(prefix)), real_words(prefix)))
        return out

    def score(self, pairs: list[tuple[Cut, str]]) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """Per-character log-probability of each whole line (cut + word + mark + newline),
        all pairs in one batch, with the state and logits after each line's newline."""
        vocab, model = self.writer.sampler.vocab, self.writer.sampler.model
        endings = [vocab.encode(word + cut.mark + "\n") for cut, word in pairs]
        n, width = len(pairs), max(len(e) for e in endings)
        ids = np.full((n, width), self.newline, dtype=np.int64)
        lengths = np.array([len(e) for e in endings])
        for i, e in enumerate(endings):
            ids[i, : len(e)] = e
        stepper = Stepper(model, n)
        stepper.state[:] = np.stack([cut.state for cut, _ in pairs], axis=1)
        logits = np.stack([cut.logits for cut, _ in pairs])
        rows = np.arange(n)
        total = np.array([cut.logp for cut, _ in pairs])
        out_state = np.empty((model.layers, n, model.units), dtype=np.float32)
        out_logits = np.empty((n, model.vocab_size), dtype=np.float32)
        for t in range(width):
            live = lengths > t
            total += np.where(live, log_softmax(logits)[rows, ids[:, t]], 0.0)
            logits = stepper.step(ids[:, t])
            done = lengths == t + 1
            if done.any():
                out_state[:, done] = stepper.state[:, done]
                out_logits[done] = logits[done]
        chars = np.array([cut.chars for cut, _ in pairs]) + lengths
        return [(float(total[i] / chars[i]), out_state[:, i : i + 1].copy(),
                 out_logits[i : i + 1].copy()) for i in range(n)]

    def _usable(self, word: str) -> bool:
        return bool(word) and not blocked_words(word) and set(word) <= self.alphabet

    def write(self, rhyme_with: str | None = None, start_rhyme: int = 0,
              used: frozenset[str] = frozenset(), attempts: int = 4) -> Written:
        """Write one line and make it the writer's latest line.

        ``rhyme_with``: the line must end in a word that rhymes with it. ``start_rhyme``: the
        line starts a rhyme that this many later lines must answer, so it ends on a word with
        at least that many partners. ``used``: endings already taken in this song.
        """
        best: tuple[int, Written] | None = None
        for _ in range(attempts):
            cuts = self._promising(self.cuts(), HEAD_CUTS if start_rhyme else self.k)
            pairs: list[tuple[Cut, str]] = []
            for cut in cuts:
                own = word_key(cut.word)
                for word in self._endings(own, rhyme_with, start_rhyme, used):
                    pairs.append((cut, word))
            if not pairs:
                continue
            chosen = self._choose(pairs)
            if chosen is not None and (best is None or chosen[0] < best[0]):
                best = chosen
                if best[0] == 0:  # every constraint met
                    break
        line = best[1] if best is not None else self._fallback()
        self.writer.state, self.writer.logits, self.writer.prefix = line.state, line.logits, ""
        return line

    def _promising(self, cuts: list[Cut], keep: int) -> list[Cut]:
        """Distinct clean cuts that can still make a line of the right length, the most
        fluent first, at most ``keep`` (all distinct clean ones if none can)."""
        low, high = self.syllables
        seen: dict[str, Cut] = {}
        for cut in cuts:
            if cut.prefix not in seen and not (self.clean and blocked_words(cut.prefix)):
                seen[cut.prefix] = cut
        clean = sorted(seen.values(), key=lambda c: -c.logp / c.chars)
        fitting = [c for c in clean if c.syllables + 1 <= high and c.syllables + 3 >= low]
        return (fitting or clean)[:keep]

    def _endings(self, own: str, rhyme_with: str | None, start_rhyme: int,
                 used: frozenset[str]) -> list[str]:
        if rhyme_with is not None:
            words = self.book.partners(rhyme_with, exclude=used)
            if own not in words and rhymes(own, rhyme_with) and own not in used \
                    and self._usable(own):
                words.append(own)
            return words
        if start_rhyme:
            words = self.book.heads(start_rhyme + 1, exclude=used)
            if own not in words and own not in used and self._usable(own) and \
                    len(self.book.partners(own, exclude=used)) >= start_rhyme:
                words.append(own)
            return words
        return [own] if self._usable(own) else []

    def _choose(self, pairs: list[tuple[Cut, str]]) -> tuple[int, Written] | None:
        """The best pair by score among those breaking the fewest constraint tiers
        (0: all met; 1: a word the dictionary lacks; 2: syllables or bars off)."""
        scored = sorted(zip(self.score(pairs), pairs, strict=True), key=lambda x: -x[0][0])
        low, high = self.syllables
        best: tuple[int, Written] | None = None
        for (score, state, logits), (cut, word) in scored:
            text = cut.prefix + word + cut.mark
            if self.clean and blocked_words(text):
                continue
            count = cut.syllables + word_syllables(word)
            tier = 0 if cut.real and rhyme_sound(word) is not None else 1
            if not low <= count <= high:
                tier = 2
            if best is not None and tier >= best[0]:
                continue
            if tier < 2 and place_line(text).bars > self.max_bars:
                tier = 2
                if best is not None:
                    continue
            best = (tier, Written(text, word, score, state, logits))
            if tier == 0:
                break
        return best

    def _fallback(self) -> Written:
        """A clean line however it ends (no candidate at all was usable)."""
        for _ in range(8):
            for text, state, logits in self.writer.candidates(self.k):
                if text.strip() and not (self.clean and blocked_words(text)):
                    return Written(text, word_key(text.split()[-1]), -99.0, state, logits)
        return Written("", "", -99.0, self.writer.state, self.writer.logits)
