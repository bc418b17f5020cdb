"""Benchmark the voice (``--voice``): how well the sung words can be understood, how well they
are in tune and in time, and whether rendering keeps ahead of the music.

Part 1 renders N lines of a text (default 8 held-out corpus lines) at 100 bpm with
``--voice --parts voice`` through a private headless Sonic Pi, and measures:
- words recovered by a recognizer that never saw the text (pocketsphinx's own English model),
  from each sung line, and from the same voice speaking the lines (the ceiling);
- voiced 40 ms frames within 50 cents of E minor pentatonic (any octave), and within 50 cents of
  the note Sonic Pi chose for the syllable sung then;
- each syllable's onset against its melody note: where Festival put each vowel against the
  note's time, plus where Sonic Pi played the file against the line's start (its log);
- render time per line against the line's playing time.
Part 2 streams M lines with ``lyricbridge run --voice`` at 120 bpm into the same Sonic Pi and
counts the lines whose voice missed its start.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/bench_voice.py /work/shared/corpus/lyrics_heldout.txt [--lines 8]
        [--run-lines 50]
"""

from __future__ import annotations

import argparse
import difflib
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder

from bridge.cli.voice import RenderParts
from bridge.sonicpi import HeadlessSonicPi
from bridge.sonicpi.render import render_wav
from bridge.voice import pitch
from bridge.voice.festival import Festival
from bridge.voice.score import LEAD_S, LONGEST_S

REPO = Path(__file__).resolve().parent.parent
MELODY = REPO / "sonicpi" / "lyrics_melody.rb"
SINGER = "live_loop_lyricbridge_sing"
SCALE = {4, 7, 9, 11, 2}


def pick_lines(path: Path, count: int, skip: int = 0) -> list[str]:
    """Lines of 4 to 10 words, in order, after the first ``skip`` such lines."""
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    good = [ln for ln in lines if 4 <= len(ln.split()) <= 10]
    return good[skip:skip + count]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("’", "'"))


def recovered(reference: str, heard: str) -> tuple[int, int]:
    """Reference words found, in order, in what was heard; and how many there were."""
    ref, hyp = words(reference), words(heard)
    matcher = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()), len(ref)


def mono16k(path: Path, out: Path) -> np.ndarray:
    subprocess.run(["sox", str(path), "-r", "16000", "-c", "1", "-b", "16", str(out)],
                   check=True)
    with wave.open(str(out)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def recognize(samples: np.ndarray) -> str:
    decoder = Decoder(samprate=16000)
    decoder.start_utt()
    decoder.process_raw(samples.tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def singer_events(spi: HeadlessSonicPi) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for r in spi.records():
        if r.address != "/log/multi_message" or r.thread() != SINGER:
            continue
        runtime = r.runtime() or 0.0
        for text in r.texts():
            if text.startswith('"sing: '):
                out.append(("sing", runtime))
            elif text.startswith("sample ") and ".wav" in text:
                out.append(("voice", runtime))
            elif "not ready" in text:
                out.append(("missed", runtime))
    return out


def start_offsets(events: list[tuple[str, float]]) -> list[float]:
    """For each line, when its voice file played against the line's start, less the lead."""
    out = []
    for i, (kind, at) in enumerate(events):
        if kind == "voice":
            line_at = next((a for k, a in events[i:i + 3] if k == "sing"), None)
            if line_at is not None:
                out.append(at - (line_at - LEAD_S))
    return out


def part_one(spi: HeadlessSonicPi, lines: list[str], bpm: float, work: Path) -> None:
    parts = RenderParts(frozenset({"voice"}))
    spi.clear_log()
    try:
        result = render_wav(work / "voice.wav", lines, bpm=bpm, loop_files=[MELODY], spi=spi,
                            prepare=parts)
        assert parts.voice is not None
        rendered = list(parts.voice.rendered)
        per_line = []
        for r in rendered:
            samples = mono16k(Path(r["wav"]), work / f"line{r['seq']}.wav")
            per_line.append((r, samples))
    finally:
        parts.close()
    print(f"rendered {len(rendered)} of {len(lines)} lines; recording "
          f"{result.seconds:.1f} s")
    # Words: the sung lines, and the same voice speaking them.
    sung_hits = sung_total = said_hits = said_total = 0
    with Festival() as festival:
        for (r, samples), text in zip(per_line, lines, strict=False):
            heard = recognize(samples)
            got, total = recovered(text, heard)
            sung_hits, sung_total = sung_hits + got, sung_total + total
            said = work / f"said{r['seq']}.wav"
            festival.say(text, said)
            heard_said = recognize(mono16k(said, work / f"said16k{r['seq']}.wav"))
            got2, total2 = recovered(text, heard_said)
            said_hits, said_total = said_hits + got2, said_total + total2
            print(f"  {text!r}\n    sung heard:   {heard!r} ({got}/{total})"
                  f"\n    spoken heard: {heard_said!r} ({got2}/{total2})")
    whole = recognize(mono16k(result.path, work / "voice16k.wav"))
    got_w = sum(recovered(" ".join(lines), whole)[:1])
    # Pitch: every voiced frame against the scale, and against the note chosen for it.
    on_scale = on_note = matched = voiced = 0
    for r, samples in per_line:
        onsets = r["onsets"]
        for at, f0 in pitch.track(samples, 16000):
            if f0 is None:
                continue
            voiced += 1
            on_scale += pitch.cents_from_scale(f0, SCALE) <= 50
            # A frame matches a syllable when it lies wholly between its vowel's onset and the
            # next one's (a frame across two syllables is a glide between their notes).
            ends = [*onsets[1:], onsets[-1] + LONGEST_S]
            k = next((i for i, o in enumerate(onsets)
                      if o <= at and at + pitch.FRAME_S <= ends[i]), None)
            if k is not None:
                matched += 1
                on_note += pitch.cents_from(f0, r["notes"][k]) <= 50
    rec = mono16k(result.path, work / "rec16k.wav")
    rec_voiced = [f for _, f in pitch.track(rec, 16000) if f is not None]
    rec_scale = sum(pitch.cents_from_scale(f, SCALE) <= 50 for f in rec_voiced)
    # Time: Festival's vowels against the notes, Sonic Pi's file start against the line's.
    festival_err = [r["onset_error_s"] for r in rendered]
    offsets = start_offsets(singer_events(spi))
    worst = max(festival_err, default=0.0) + max((abs(o) for o in offsets), default=0.0)
    ratios = [r["render_s"] / r["music_s"] for r in rendered]
    print(f"words recovered, sung:   {sung_hits}/{sung_total} = {sung_hits / sung_total:.2f} "
          f"(whole recording: {got_w}/{sung_total} = {got_w / sung_total:.2f})")
    print(f"words recovered, spoken: {said_hits}/{said_total} = {said_hits / said_total:.2f} "
          "(ceiling: the same voice speaking)")
    print(f"voiced frames on the scale (±50 cents): {on_scale}/{voiced} = "
          f"{on_scale / voiced:.2f} (recording: {rec_scale}/{len(rec_voiced)} = "
          f"{rec_scale / max(1, len(rec_voiced)):.2f})")
    print(f"voiced frames on the chosen note (in the voice's octave, ±50 cents; frames "
          f"wholly inside one syllable): {on_note}/{matched} = "
          f"{on_note / max(1, matched):.2f}")
    print(f"syllable onset vs its note: Festival max {max(festival_err) * 1000:.1f} ms, "
          f"file start vs line start max {max(abs(o) for o in offsets) * 1000:.1f} ms "
          f"({len(offsets)} lines); worst sum {worst * 1000:.1f} ms")
    print(f"render time / playing time per line: median {statistics.median(ratios):.3f}, "
          f"max {max(ratios):.3f}")


def part_two(spi: HeadlessSonicPi, lines: list[str], work: Path) -> None:
    spi.stop_all_jobs(settle=0.8)
    spi.clear_log()
    spi.run_file(MELODY)
    control = free_udp_port()
    spi.run_code(f'set :lyricbridge_bridge, ["127.0.0.1", {control}]')
    text = work / "run.txt"
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "bridge", "run", "--text", str(text), "--lines",
           str(len(lines)), "--port", str(spi.cue_port), "--bpm", "120", "--control-port",
           str(control), "--voice"]
    t0 = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    time.sleep(3.0)  # the last line's notes
    events = singer_events(spi)
    sung = sum(k == "sing" for k, _ in events)
    voiced = sum(k == "voice" for k, _ in events)
    missed = sum(k == "missed" for k, _ in events)
    late = run.stderr.count("too late")
    print(f"run --voice, {len(lines)} lines at 120 bpm ({time.monotonic() - t0:.0f} s, exit "
          f"{run.returncode}): {sung} lines sung, {voiced} with their voice, {missed} missed "
          f"their start (bridge: {late} rendered late)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("text", type=Path, help="a text of lines not written for this code")
    ap.add_argument("--lines", type=int, default=8)
    ap.add_argument("--bpm", type=float, default=100.0)
    ap.add_argument("--run-lines", type=int, default=50, help="0: leave out part 2")
    args = ap.parse_args()
    lines = pick_lines(args.text, args.lines)
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        work = Path(tmp)
        with HeadlessSonicPi(work / "spi") as spi:
            part_one(spi, lines, args.bpm, work)
            if args.run_lines:
                part_two(spi, pick_lines(args.text, args.run_lines, skip=args.lines), work)


if __name__ == "__main__":
    main()
