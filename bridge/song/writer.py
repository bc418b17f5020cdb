"""Write song lines that rhyme by construction, judged by the char model and a word model.

For every line, K candidate lines are sampled together (cooler than the writer's temperature),
spelling only familiar words (a prefix trie masks the characters that cannot continue one).
Each is cut before each of its last few words; the ending words allowed there (the word
sampled there, unless no line ends on it, or rhyme words from the book in random order) make
(cut, word) pairs. The word model ranks every pair cheaply (a word pair training never held
costs most at the ending: "to be flee"); the best few are scored whole (the char model's
log-probability of the forced ending and newline, in one batch, plus the word model's, as SLOR
over words: see ``bridge.song.judge``). The best line among those that meet the constraints
(syllables, bars, clean and real words) is kept, and writing carries on from the model state
*after* that line's ending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bridge.model.gru import Stepper, log_softmax
from bridge.model.sampling import LineWriter
from bridge.model.wordlm import WordModel, tokenize
from bridge.model.wordmask import WordMask
from bridge.song.clean import blocked_words
from bridge.song.judge import Ending, judge_lines, word_scores
from bridge.song.rhyme import NOT_ENDINGS, RhymeBook, rhyme_sound, rhymes, word_key
from bridge.syllables import load_dictionary, split_word, syllabify_line
from bridge.syllables.rhythm import place_line

#: Longest line, in bars, that counts as fitting.
MAX_BARS = 3
#: A line has at least this many characters, and is sampled for at most this many (a longer
#: one would have too many syllables to sing).
MIN_CHARS = 8
MAX_CHARS = 72
#: Candidate lines sampled together for each line.
CANDIDATES = 64
#: Candidates are sampled cooler than the writer's temperature (logits times this):
#: a cooler draw spells fewer odd turns, and the many candidates keep songs varied.
SHARPEN = 1.25
#: Cuts per candidate line: before its last word, and before each of the words before it
#: (a line may end earlier than sampled, on a word that fits better there).
CUTS = 3
#: Sampling stops once this share of the candidates has ended (the longest few are dropped).
ENDED = 0.85
#: Rhyme words offered to each cut: for the first line of a rhyme (several words per sound,
#: random sounds), and for a line that answers one.
HEAD_WORDS, PARTNER_WORDS = 150, 150
#: (cut, word) pairs the char model scores whole, chosen by the word model.
JUDGED = 40
#: Scale of the Gumbel noise added to the final scores: the line is drawn among the best
#: few rather than always the single best, so the same favourite endings do not return in
#: every song.
CHOICE_NOISE = 0.45
#: The last word of a line and what follows it (punctuation, closing quotes).
_LAST = re.compile(r"(?<![^\s\"(])([A-Za-z]+(?:'[A-Za-z]+)*)([^A-Za-z]*)$")
_WORD = re.compile(r"(?<![^\s\"(])[A-Za-z]+(?:'[A-Za-z]+)*")
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

    def __init__(self, writer: LineWriter, book: RhymeBook, candidates: int = CANDIDATES,
                 syllables: tuple[int, int] = (5, 10), max_bars: int = MAX_BARS,
                 clean: bool = True, judge: WordModel | None = None,
                 mask: WordMask | None = None) -> None:
        self.writer = writer
        self.clean = clean
        self.book = book
        self.k = candidates
        self.syllables = syllables
        self.max_bars = max_bars
        self.judge = judge
        self.mask = mask
        vocab = writer.sampler.vocab
        self.newline = vocab.id_of("\n")
        self.alphabet = set(vocab.chars)
        #: Opening words of this song's lines so far (repeats are judged down).
        self.openings: dict[str, int] = {}

    def new_song(self) -> None:
        """Forget the openings of the song before."""
        self.openings = {}

    def cuts(self, k: int | None = None) -> list[Cut]:
        """K lines (default ``self.k``) sampled in one batch from the writer's state, each cut
        before its last word."""
        w = self.writer
        sampler, model, k = w.sampler, w.sampler.model, k or self.k
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
        nodes = self.mask.start(k, w.prefix) if self.mask is not None else None
        t = 0
        for t in range(steps):
            logp = log_softmax(logits)
            masked = logits
            if nodes is not None and self.mask is not None:
                masked = np.where(self.mask.allowed(nodes), logits, -np.inf)
            if t < MIN_CHARS:  # no empty or one-word lines: a newline is not allowed yet
                masked = masked.copy() if masked is logits else masked
                masked[:, self.newline] = -np.inf
            ids = sampler.sample(masked * SHARPEN if SHARPEN != 1.0 else masked)
            cum[t + 1] = cum[t] + logp[rows, ids]
            chars[:, t] = np.where(open_rows, ids, self.newline)
            open_rows &= ids != self.newline
            if nodes is not None and self.mask is not None:
                nodes = self.mask.advance(nodes, ids)
            logits = stepper.step(ids)
            states[t + 1], hist[t + 1] = stepper.state, logits
            if open_rows.sum() <= k * (1 - ENDED):  # the rest would be too long to sing
                break
        vocab = sampler.vocab
        out: list[Cut] = []
        for i in range(k):
            row = chars[i, : t + 1]
            if not (row == self.newline).any():
                continue  # still open: too long to sing
            end = int(np.argmax(row == self.newline))
            sampled = vocab.decode(row[:end])
            text = w.prefix + sampled
            m = _LAST.search(text.rstrip())
            if m is None:
                continue
            ends = [(m.start(1), m.group(1), m.group(2).strip())]
            ends += [(e.start(), e.group(), "") for e in _WORD.finditer(text, 0, m.start(1))
                     ][-(CUTS - 1) :][::-1] if CUTS > 1 else []
            for start, word, mark in ends:
                cut_at = start - len(w.prefix)
                prefix = text[:start]
                if cut_at <= 0 or not re.search("[A-Za-z]", prefix):
                    break
                out.append(Cut(prefix, word, mark, float(cum[cut_at, i]), cut_at,
                               states[cut_at, :, i].copy(), hist[cut_at, i].copy(),
                               self._syllables(prefix),
                               self.mask is not None or real_words(prefix)))
        return out

    def _syllables(self, text: str) -> int:
        """Syllables of a text: from the trie's counts when it knows every word (no
        dictionary look-up), else from the syllable splitter."""
        if self.mask is not None:
            counts = [self.mask.trie.syllables(t) for t in tokenize(text)]
            if all(c is not None for c in counts):
                return sum(c for c in counts if c is not None)
        return len(syllabify_line(text))

    def _usable(self, word: str) -> bool:
        return bool(word) and not blocked_words(word) and set(word) <= self.alphabet

    def write(self, rhyme_with: str | None = None, start_rhyme: int = 0,
              used: frozenset[str] = frozenset(), attempts: int = 3,
              candidates: int | None = None) -> Written:
        """Write one line and make it the writer's latest line.

        ``rhyme_with``: the line must end in a word that rhymes with it. ``start_rhyme``: the
        line starts a rhyme that this many later lines must answer, so it ends on a word with
        at least that many partners. ``used``: endings already taken (never offered again).
        """
        best: tuple[int, Written] | None = None
        for _ in range(attempts):
            cuts = self._promising(self.cuts(candidates))
            offered = self._offered(rhyme_with, start_rhyme, used)
            pairs: list[tuple[Cut, str]] = []
            for cut in cuts:
                own = word_key(cut.word)
                words = list(offered)
                if own not in words and self._own_fits(own, rhyme_with, start_rhyme, used):
                    words.append(own)
                pairs += [(cut, word) for word in words]
            if not pairs:
                continue
            chosen = self._choose(pairs)
            if chosen is not None and (best is None or chosen[0] < best[0]):
                best = chosen
                if best[0] == 0:  # every constraint met
                    break
        line = best[1] if best is not None else self._fallback()
        self.writer.state, self.writer.logits, self.writer.prefix = line.state, line.logits, ""
        toks = tokenize(line.text)
        if toks:
            self.openings[toks[0]] = self.openings.get(toks[0], 0) + 1
        return line

    def _promising(self, cuts: list[Cut]) -> list[Cut]:
        """Distinct clean cuts that can still make a line of the right length (all distinct
        clean ones if none can)."""
        low, high = self.syllables
        seen: dict[str, Cut] = {}
        for cut in cuts:
            if cut.prefix not in seen and not (self.clean and blocked_words(cut.prefix)):
                seen[cut.prefix] = cut
        clean = list(seen.values())
        fitting = [c for c in clean if c.syllables + 1 <= high and c.syllables + 3 >= low]
        return fitting or clean

    def _offered(self, rhyme_with: str | None, start_rhyme: int,
                 used: frozenset[str]) -> list[str]:
        """Book words offered to every cut of this line, in random order."""
        if rhyme_with is not None:
            return self.book.partners(rhyme_with, exclude=used, limit=PARTNER_WORDS)
        if start_rhyme:
            return self.book.heads(start_rhyme, exclude=used, limit=HEAD_WORDS)
        return []

    def _own_fits(self, own: str, rhyme_with: str | None, start_rhyme: int,
                  used: frozenset[str]) -> bool:
        """Whether a cut's own word may end the line (where a rhyme is at stake, only a word
        of the book: its pronunciations are known without a dictionary look-up)."""
        if own in used or own in NOT_ENDINGS or not self._usable(own):
            return False
        if (rhyme_with is not None or start_rhyme) and own not in self.book.words:
            return False
        if rhyme_with is not None:
            return rhymes(own, rhyme_with)
        if start_rhyme:
            return len(self.book.partners(own, exclude=used)) >= start_rhyme
        return True

    def _choose(self, pairs: list[tuple[Cut, str]]) -> tuple[int, Written] | None:
        """The best pair by score among those breaking the fewest constraint tiers
        (0: all met; 1: a word the dictionary lacks; 2: syllables or bars off)."""
        low, high = self.syllables
        sylls = {word: self._syllables(word) for word in {word for _, word in pairs}}
        fits = [(cut, word) for cut, word in pairs
                if low <= cut.syllables + sylls[word] <= high]
        pool = fits or pairs
        heads: dict[int, list[str]] = {}
        for cut, _ in pool:
            if id(cut) not in heads:
                heads[id(cut)] = tokenize(cut.prefix)
        keys = {word: word_key(word) for word in sylls}
        first = word_scores(self.judge, [[*heads[id(cut)], keys[word]] for cut, word in pool],
                            self.openings)
        keep = [pool[i] for i in np.argsort(-first)[:JUDGED]]
        endings = [Ending(cut.prefix, cut.logp, cut.state, cut.logits, word, cut.mark)
                   for cut, word in keep]
        judged = judge_lines(self.writer.sampler.model, self.writer.sampler.vocab, self.judge,
                             endings, self.openings)
        noise = self.writer.sampler.rng.gumbel(size=len(judged)) * CHOICE_NOISE
        scored = [(j, p) for _, j, p in sorted(
            zip([j.score + g for j, g in zip(judged, noise, strict=True)], judged, keep,
                strict=True), key=lambda x: -x[0])]
        best: tuple[int, Written] | None = None
        for j, (cut, word) in scored:
            text = cut.prefix + word + cut.mark
            if self.clean and blocked_words(text):
                continue
            count = cut.syllables + self._syllables(word)
            tier = 0 if cut.real and rhyme_sound(word) is not None else 1
            if not low <= count <= high:
                tier = 2
            if best is not None and tier >= best[0]:
                continue
            if tier < 2:
                phrase = place_line(text)
                if phrase.bars > self.max_bars or not low <= len(phrase.notes) <= high:
                    tier = 2
                    if best is not None:
                        continue
            best = (tier, Written(text, word, j.score, j.state, j.logits))
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
