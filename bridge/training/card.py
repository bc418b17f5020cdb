"""Write a model directory's MODEL_CARD.md from its config and five sample lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.model.store import CARD_FILE, LyricModel, write_text_atomic

SAMPLE_TEMPERATURE = 0.8


def sample_lines(model: LyricModel, n: int = 5, seed: int = 0) -> list[str]:
    """N non-blank clean lines at the card's temperature."""
    from bridge.song.sources import ModelLines

    source = ModelLines(model.writer(temperature=SAMPLE_TEMPERATURE, seed=seed), clean=True)
    lines: list[str] = []
    while len(lines) < n:
        line = source.next_line()
        if line and line.strip():
            lines.append(line)
    return lines


def render_card(config: dict[str, Any], params: int, samples: list[str]) -> str:
    """The card's Markdown."""
    m, t, s = config["model"], config["training"], config["sampling"]
    corpus = t.get("corpus", {})
    held = t.get("heldout") or {}
    held_line = (
        f"| held-out bits/char | {held['bits_per_char']} on `{held['name']}` "
        f"(SHA-256 `{held['sha256']}`) |" if held else "| held-out bits/char | not measured |"
    )
    sample_block = "\n".join(f"    {line}" for line in samples)
    return f"""# Model card: lyricbridge char-GRU

A character-level GRU that writes song lyrics one line at a time for lyricbridge to sing.

| | |
|---|---|
| architecture | Embedding({m['vocab_size']}, {m['embedding']}) -> {m['layers']} x GRU({m['units']}, reset_after) with dropout {t.get('dropout')} -> Dense({m['vocab_size']}) |
| parameters | {params:,} |
| training corpus | `{corpus.get('name')}`, SHA-256 `{corpus.get('sha256')}` |
| validation | the last {t.get('val_split')} of the corpus, whole stanzas |
| sequence length / batch | {t.get('seq_len')} / {t.get('batch')} |
| optimizer | Adam, learning rate {t.get('learning_rate')}, clipnorm 5; {_schedules(t)} |
| epochs run | {t.get('epochs_run')} (stopped by {t.get('stopped_by')}) |
| training time | {t.get('seconds', 0) / 60:.1f} min on {t.get('machine')} |
| train bits/char (last epoch) | {t.get('train_bits_per_char')} |
| validation bits/char (best epoch) | {t.get('val_bits_per_char')} |
{held_line}
| default sampling | temperature {s.get('temperature')}, top-k {s.get('top_k') or 'off'}, lines of at most {s.get('max_line_chars')} characters |

Bits per character are scored the standard way: the text is cut into consecutive
100-character windows, each predicted from a zero state (`lyricbridge evaluate FILE`).

## Five sample lines (temperature {SAMPLE_TEMPERATURE}, seed 0, clean filter on)

{sample_block}

## Intended use

Words for live-coded music in Sonic Pi, for performers, live coders and children learning
to code: lines to be sung one syllable per note, not text to be read as meaning anything.

## Limits

{_corpus_limits(corpus.get("sha256"))}- It invents words and rhymes by sound, and loses the thread after a line or two.
- {m['vocab_size']} characters, those of its corpus; a seed text with other characters is refused.

## Content filter

{_corpus_filter(corpus.get("sha256"))}`--clean` (on by default) rewrites any generated line holding a word from lyricbridge's own
blocklist (`bridge/song/clean.py`) before it is printed or sung.
"""


#: SHA-256 of ``lyrics_train.txt``, the public-domain corpus the shipped model learned from.
SHIPPED_CORPUS_SHA256 = "e838c0f90b866a33384e6939dae52020d720713e122008737c4ca75f74ee3797"


def _corpus_limits(sha: str | None) -> str:
    if sha != SHIPPED_CORPUS_SHA256:
        return "- It knows only its own corpus: its words, spellings and views.\n"
    return ("- It learned from public-domain ballads, nursery rhymes, carols and children's verse "
            "published\n  before 1929: old spellings (\"o'er\", \"ye\"), Scots dialect, and the "
            "values of their time.\n")


def _corpus_filter(sha: str | None) -> str:
    if sha != SHIPPED_CORPUS_SHA256:
        return "The corpus is the trainer's own; lyricbridge did not filter it. "
    return ("The corpus was filtered before training (stanzas and songs matching a blocklist of "
            "profanity,\nslurs and sexual words were dropped; see the corpus's provenance notes). "
            "On top of that,\n")


def _schedules(t: dict[str, Any]) -> str:
    names = {"plateau": "halved whenever validation loss stalled",
             "cosine": "decayed along a cosine to a tenth over the time budget"}
    runs = t.get("runs") or [{"from_epoch": 0, "lr_schedule": t.get("lr_schedule", "plateau"),
                              "budget_minutes": None}]
    parts = []
    for r in runs:
        budget = f" ({r['budget_minutes']:g} min budget)" if r.get("budget_minutes") else ""
        parts.append(f"from epoch {r['from_epoch'] + 1}: {names[r['lr_schedule']]}{budget}")
    return "; ".join(parts)


def write_model_card(out: Path) -> Path:
    """Write ``out/MODEL_CARD.md`` (atomically) for a trained model directory."""
    model = LyricModel(out)
    text = render_card(model.config, model.network.parameters, sample_lines(model))
    write_text_atomic(out / CARD_FILE, text)
    return out / CARD_FILE

