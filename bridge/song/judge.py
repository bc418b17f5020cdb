"""Judge whole candidate lines: the char model's total log-probability of each line's forced
ending (word, mark and newline, in one batch) plus the word model's log-probability of the
whole line up to its end, normalised as SLOR over words.

SLOR (syntactic log-odds ratio) is (log p(line) - log p_unigram(line)) / words: a line is not
rewarded for being short or for using only common words. Here half the unigram term is taken
off (``UNIGRAM_WEIGHT``), and log p(line) is the mean of the two models' totals; the word
model also predicts the end of the line, so an ending that cannot close a line ("the storm
they warning") loses to one that can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.model.gru import GruModel, Stepper, log_softmax
from bridge.model.vocab import Vocabulary
from bridge.model.wordlm import WordModel, tokenize

#: How much of the unigram log-probability SLOR takes off (1: plain SLOR, which rewards rare
#: words; half keeps lines from leaning on common words without pulling in odd rare endings).
UNIGRAM_WEIGHT = 0.5
#: A line that opens on the same word as an earlier line of its song loses this much, per
#: earlier line (repeated openings, above all "And", are what a listener tires of).
REPEAT_OPENING = 0.6


#: A line whose tokens (with its start and end) run this long through n-grams all seen in
#: training is likely copied from it; each token beyond loses this much.
SEEN_RUN, BORROWED = 6, 0.25


@dataclass
class Ending:
    """A line's cut (prefix, its char log-prob and model state) and a word to end it with."""

    prefix: str
    logp: float
    state: np.ndarray  # (layers, units)
    logits: np.ndarray  # (vocab,)
    word: str
    mark: str

    @property
    def text(self) -> str:
        return self.prefix + self.word + self.mark


@dataclass
class Judged:
    score: float
    state: np.ndarray  # (layers, 1, units)
    logits: np.ndarray  # (1, vocab)


def word_scores(judge: WordModel | None, texts: list[str], openings: dict[str, int]
                ) -> np.ndarray:
    """(word log-prob - unigram log-prob) / words, less the repeated-opening term: the cheap
    first pass that picks which endings the char model scores."""
    toks = [tokenize(t) for t in texts]
    n = np.array([max(1, len(t)) for t in toks], dtype=float)
    if judge is None:
        return -n
    ids = [judge.ids_of(t) for t in toks]
    total = judge.score_ids(ids)
    uni = judge.logp[0]
    base = np.array([uni[i].sum() for i in ids])
    repeats = np.array([opening_penalty(t, openings) for t in toks])
    return (total - UNIGRAM_WEIGHT * base) / n - repeats


def opening_penalty(tokens: list[str], openings: dict[str, int]) -> float:
    return REPEAT_OPENING * openings.get(tokens[0], 0) if tokens else 0.0


def judge_lines(model: GruModel, vocab: Vocabulary, judge: WordModel | None,
                pairs: list[Ending], openings: dict[str, int]) -> list[Judged]:
    """Score whole lines: char log-prob of each ending (batched) with the word model, as SLOR
    over words; returns the state and logits after each line's newline too."""
    newline = vocab.id_of("\n")
    endings = [vocab.encode(p.word + p.mark + "\n") for p in pairs]
    n, width = len(pairs), max(len(e) for e in endings)
    ids = np.full((n, width), newline, dtype=np.int64)
    lengths = np.array([len(e) for e in endings])
    for i, e in enumerate(endings):
        ids[i, : len(e)] = e
    stepper = Stepper(model, n)
    stepper.state[:] = np.stack([p.state for p in pairs], axis=1)
    logits = np.stack([p.logits for p in pairs])
    rows = np.arange(n)
    char_total = np.array([p.logp for p in pairs])
    out_state = np.empty((model.layers, n, model.units), dtype=np.float32)
    out_logits = np.empty((n, model.vocab_size), dtype=np.float32)
    for t in range(width):
        live = lengths > t
        char_total += np.where(live, log_softmax(logits)[rows, ids[:, t]], 0.0)
        logits = stepper.step(ids[:, t])
        done = lengths == t + 1
        if done.any():
            out_state[:, done] = stepper.state[:, done]
            out_logits[done] = logits[done]
    texts = [p.text for p in pairs]
    toks = [tokenize(t) for t in texts]
    words = np.array([max(1, len(t)) for t in toks], dtype=float)
    if judge is not None:
        wids = [judge.ids_of(t) for t in toks]
        word_total = judge.score_ids(wids)
        base = np.array([judge.logp[0][i].sum() for i in wids])
        score = (0.5 * char_total + 0.5 * word_total - UNIGRAM_WEIGHT * base) / words
        score -= BORROWED * np.maximum(0, judge.seen_runs(wids) - SEEN_RUN + 1)
    else:
        score = char_total / words
    score -= np.array([opening_penalty(t, openings) for t in toks])
    return [Judged(float(score[i]), out_state[:, i : i + 1].copy(),
                   out_logits[i : i + 1].copy()) for i in range(n)]
