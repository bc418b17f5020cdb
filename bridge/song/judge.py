"""Judge whole candidate lines: the char model's total log-probability of each line's forced
ending (word, mark and newline, in one batch) plus the word model's log-probability of the
whole line up to its end, normalised as SLOR over words.

SLOR (syntactic log-odds ratio) is (log p(line) - log p_unigram(line)) / words: a line is not
rewarded for being short or for using only common words. Here only a fifth of the unigram
term is taken off (``UNIGRAM_WEIGHT``: plain, familiar wording is what makes sense to a
listener), and log p(line) mixes the two models' totals (``WORD_WEIGHT``); the word
model also predicts the end of the line, so an ending that cannot close a line ("the storm
they warning") loses to one that can. Word pairs training never held cost a line more (most
among its last two pairs), and so do long runs of n-grams all seen in training (borrowed text).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.model.gru import GruModel, Stepper, log_softmax
from bridge.model.vocab import Vocabulary
from bridge.model.wordlm import WordModel, tokenize

#: How much of the unigram log-probability SLOR takes off (1: plain SLOR, which rewards rare
#: words and pulls in odd rare endings; a little keeps lines from leaning on "the" and "of").
UNIGRAM_WEIGHT = 0.2
#: The word model's share of a line's log-probability (the char model has the rest).
WORD_WEIGHT = 0.6
#: A line that opens on the same word as an earlier line of its song loses this much, per
#: earlier line (repeated openings, above all "And", are what a listener tires of).
REPEAT_OPENING = 0.9


#: A line whose tokens (with its start and end) run this long through n-grams all seen in
#: training is likely copied from it; each token beyond loses this much.
SEEN_RUN, BORROWED = 5, 0.5
#: A line loses this much for each word pair training never held: among its last two pairs
#: (the ending after the word before it, and the ending closing the line: "to be flee",
#: "a hands"), and elsewhere.
UNSEEN_END, UNSEEN = 1.0, 0.5
#: And this much (before the mean over words) for each of its last two top-order n-grams
#: (the ending in its context: "the sad</s>", "a brass</s>") that training never held.
UNSEEN_END_TOP = 3.0


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


def word_scores(judge: WordModel | None, lines: list[list[str]], openings: dict[str, int]
                ) -> np.ndarray:
    """(word log-prob - unigram log-prob) / words, less the repeated-opening and unseen-pair
    terms: the cheap first pass over lines given as words, which picks the endings the char
    model scores."""
    n = np.array([max(1, len(t)) for t in lines], dtype=float)
    if judge is None:
        return -n
    ids = [judge.ids_of(t) for t in lines]
    total = judge.score_ids(ids) - UNSEEN_END_TOP * judge.unseen_top(len(ids), 2)
    base = judge.unigrams(ids)
    repeats = np.array([opening_penalty(t, openings) for t in lines])
    return (total - UNIGRAM_WEIGHT * base) / n - repeats - unseen_penalty(judge, ids)


def unseen_penalty(judge: WordModel, ids: list[list[int]]) -> np.ndarray:
    """What lines lose for word pairs training never held (most at the ending)."""
    end = judge.unseen_pairs(ids, tail=2)
    return UNSEEN_END * end + UNSEEN * (judge.unseen_pairs(ids) - end)


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
        word_total = judge.score_ids(wids) - UNSEEN_END_TOP * judge.unseen_top(len(wids), 2)
        base = judge.unigrams(wids)
        score = ((1 - WORD_WEIGHT) * char_total + WORD_WEIGHT * word_total
                 - UNIGRAM_WEIGHT * base) / words
        score -= BORROWED * np.maximum(0, judge.seen_runs(wids) - SEEN_RUN + 1)
        score -= unseen_penalty(judge, wids)
    else:
        score = char_total / words
    score -= np.array([opening_penalty(t, openings) for t in toks])
    return [Judged(float(score[i]), out_state[:, i : i + 1].copy(),
                   out_logits[i : i + 1].copy()) for i in range(n)]
