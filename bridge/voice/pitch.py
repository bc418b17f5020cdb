"""How a sung recording sounds, measured: the pitch of each short frame (the YIN method:
cumulative mean normalised difference) and how far it lies from a scale or a note.
Pure numpy; used to check the voice (tests, bench), never on the way to the music."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

#: A frame: 40 ms.
FRAME_S = 0.04
#: Below this YIN dip a frame counts as voiced.
THRESHOLD = 0.15


def frame_f0(frame: np.ndarray, rate: int, low: float = 70.0, high: float = 1000.0
             ) -> float | None:
    """The fundamental frequency of one frame in Hz, or None when it is not voiced."""
    x = frame.astype(np.float64) - float(np.mean(frame))
    lo, hi = int(rate / high), int(rate / low)
    n = len(x) - hi
    if n <= 0:
        return None
    d = np.array([np.sum((x[:n] - x[tau:tau + n]) ** 2) for tau in range(hi + 1)])
    cum = np.cumsum(d[1:])
    cmnd = np.ones_like(d)
    cmnd[1:] = d[1:] * np.arange(1, hi + 1) / np.where(cum > 0, cum, 1.0)
    below = np.nonzero(cmnd[lo:hi] < THRESHOLD)[0]
    if not len(below):
        return None
    tau = lo + int(below[0])
    while tau + 1 < hi and cmnd[tau + 1] < cmnd[tau]:
        tau += 1
    a, b, c = cmnd[tau - 1], cmnd[tau], cmnd[min(tau + 1, hi)]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) else 0.0
    return rate / (tau + shift)


def track(samples: np.ndarray, rate: int, frame_s: float = FRAME_S,
          quiet: float = 0.05) -> list[tuple[float, float | None]]:
    """(start seconds, f0 or None) for each frame; frames quieter than ``quiet`` times the
    loudest frame count as unvoiced."""
    size = int(rate * frame_s)
    frames = [samples[i:i + size] for i in range(0, len(samples) - size + 1, size)]
    if not frames:
        return []
    loud = max(float(np.sqrt(np.mean(f.astype(np.float64) ** 2))) for f in frames) or 1.0
    out: list[tuple[float, float | None]] = []
    for i, f in enumerate(frames):
        rms = float(np.sqrt(np.mean(f.astype(np.float64) ** 2)))
        out.append((i * frame_s, frame_f0(f, rate) if rms >= quiet * loud else None))
    return out


def midi(hz: float) -> float:
    """A frequency as a (fractional) MIDI note."""
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def cents_from_scale(hz: float, pitch_classes: Iterable[int]) -> float:
    """Cents from the nearest note of the scale (any octave)."""
    m = midi(hz)
    return min(abs(((m - pc) + 6.0) % 12.0 - 6.0) for pc in pitch_classes) * 100.0


def cents_from(hz: float, note: float) -> float:
    """Cents from one MIDI note."""
    return abs(midi(hz) - note) * 100.0
