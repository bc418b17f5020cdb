"""The voice beside the stream: it watches the lines sent, takes the notes Sonic Pi chose for
each, renders the sung line on its own thread and tells Sonic Pi the file.

Never in the music's way: a voice that is late is dropped for its line (Sonic Pi plays the
melody without it and logs it), the stream never waits for Festival, and the cache holds only
the last few files.
"""

from __future__ import annotations

import itertools
import logging
import queue
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.voice import score
from bridge.voice.festival import Festival

log = logging.getLogger(__name__)

#: Rendered files kept in the cache (Sonic Pi loads each as soon as it is told of it).
KEEP_FILES = 8
#: Sonic Pi plays this long after the bridge expects a line to start (its sched-ahead time).
SCHED_AHEAD_S = 0.5
#: Lines remembered while their notes are awaited.
KEEP_LINES = 32


class Sender(Protocol):
    def send(self, data: bytes) -> None: ...


class VoiceController:
    """Renders each line's voice once Sonic Pi has said its notes; on or off at any time."""

    def __init__(self, sender: Sender, cache: Path | None = None, octave: int = score.OCTAVE,
                 keep: int = KEEP_FILES, on: bool = True,
                 festival: Callable[[], Festival] = Festival,
                 observers: list[Callable[[str, dict[str, Any]], None]] | None = None,
                 stream_state: Callable[[], dict[str, Any]] | None = None) -> None:
        self.sender = sender
        self._own_cache = cache is None
        self.cache = Path(tempfile.mkdtemp(prefix="lyricbridge-voice-")) if cache is None \
            else Path(cache)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.octave = octave
        self.keep = keep
        self.on = on
        #: Told of each voice change (``state`` events with ``voice``), e.g. the web page's hub.
        self.observers = observers if observers is not None else []
        self._stream_state = stream_state or dict
        self._start_festival = festival
        self._festival = festival()
        self._lines: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._jobs: queue.Queue[tuple[int, int, tuple[float, ...]] | None] = queue.Queue()
        self._files: list[Path] = []
        self._count = itertools.count()
        #: Per line rendered (the last few): seq, render_s, music_s, wav, onsets, notes and
        #: onset_error_s (how far Festival put a vowel from its note).
        self.rendered: list[dict[str, Any]] = []
        self.late = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="lyricbridge-voice", daemon=True)
        self._thread.start()
        self._tell_switch()

    # -- what the stream tells it -------------------------------------------------------------
    def observe(self, kind: str, data: dict[str, Any]) -> None:
        """A stream observer: remember each line sent (its syllables, bpm, bars, start)."""
        if kind != "line":
            return
        with self._lock:
            self._lines[int(data["seq"])] = data
            while len(self._lines) > KEEP_LINES:
                self._lines.popitem(last=False)

    def command(self, cmd: Command) -> None:
        """``notes`` (seq, inbox number, notes...) from Sonic Pi, or ``voice`` on (1) / off (0)."""
        if cmd.name == "voice":
            on = bool(cmd.value)
            if on != self.on:
                log.info("voice %s → %s", "on" if self.on else "off", "on" if on else "off")
            self.on = on
            self._tell_switch()
            self.announce()
        elif cmd.name == "notes" and isinstance(cmd.value, tuple) and self.on:
            seq, number, *notes = cmd.value
            self._jobs.put((int(seq), int(number), tuple(notes)))

    def announce(self) -> None:
        """Tell the observers the stream's state with ``voice`` in it (the page's toggle)."""
        state = {**self._stream_state(), "voice": self.on}
        for observer in list(self.observers):
            if getattr(observer, "__self__", None) is self:
                continue
            try:
                observer("state", state)
            except Exception:  # an observer's bug must never stop the voice
                log.exception("observer failed on a voice state event")

    def state(self) -> dict[str, Any]:
        """Whether the voice is on."""
        return {"voice": self.on}

    def _tell_switch(self) -> None:
        self.sender.send(protocol.osc_message(protocol.KNOB_ADDRESS, "voice", int(self.on)))

    # -- the rendering thread ----------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            seq, number, notes = job
            with self._lock:
                line = self._lines.get(seq)
            if line is None:
                log.warning("voice: notes for line %d, which this bridge did not send; ignored",
                            seq)
                continue
            try:
                self._render(seq, number, notes, line)
            except Exception as e:  # one bad line must not silence the rest
                log.warning("voice: line %d not rendered (%s); it plays without a voice", seq, e)
                if not self._festival.alive():
                    log.warning("voice: Festival stopped; starting it again")
                    self._festival.close()
                    self._festival = self._start_festival()

    def _render(self, seq: int, number: int, notes: tuple[float, ...], line: dict[str, Any]
                ) -> None:
        t0 = time.monotonic()
        bpm = float(line["bpm"])
        syllables = line["syllables"]
        if len(notes) != len(syllables):
            log.warning("voice: line %d has %d syllables but Sonic Pi chose %d notes; the "
                        "missing ones keep the last note", seq, len(syllables), len(notes))
            notes = (notes + (notes[-1:] or (64.0,)) * len(syllables))[:len(syllables)]
        words = score.slots_by_word(syllables, notes, bpm)
        sung = score.sung_words(words, self._festival.words([w for w, _ in words]))
        if not sung:
            return
        name = f"line-{seq}-{next(self._count)}"
        xml, wav = self.cache / f"{name}.xml", self.cache / f"{name}.wav"
        xml.write_text(score.singing_xml(sung, bpm, self.octave), encoding="utf-8")
        want = score.onsets(sung)
        try:
            got = self._festival.sing(xml, wav, want)
        finally:
            xml.unlink(missing_ok=True)
        took = time.monotonic() - t0
        music = int(line["bars"]) * 4 * 60.0 / bpm
        self.rendered.append({
            "seq": seq, "render_s": took, "music_s": music, "wav": str(wav),
            "onsets": want, "notes": [s.notes[0] + 12 * self.octave
                                      for w in sung for s in w.syllables],
            "onset_error_s": max((abs(g - w) for g, w in zip(got, want, strict=False)),
                                 default=0.0)})
        del self.rendered[:-KEEP_LINES]
        # Sonic Pi starts a line sched-ahead time after the bridge's estimate, and waits up
        # to two beats for the voice of a line that comes when nothing is playing.
        late = time.time() - float(line.get("start", time.time())) - SCHED_AHEAD_S - 120 / bpm
        if late > 0:
            self.late += 1
            log.warning("voice: line %d rendered %.2f s too late; Sonic Pi sings "
                        "that line without it", seq, late)
        self.sender.send(protocol.osc_message(protocol.VOICE_ADDRESS, number, seq, str(wav),
                                              float(score.LEAD_S)))
        self._files.append(wav)
        while len(self._files) > self.keep:
            self._files.pop(0).unlink(missing_ok=True)

    def close(self) -> None:
        """Stop rendering, stop Festival, and remove the files (and the cache, if its own)."""
        self._jobs.put(None)
        self._thread.join(timeout=5)
        self._festival.close()
        for f in self._files:
            f.unlink(missing_ok=True)
        if self._own_cache:
            shutil.rmtree(self.cache, ignore_errors=True)

    def __enter__(self) -> VoiceController:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VoiceTap(queue.Queue[Command]):
    """The stream's command queue, with ``notes`` and ``voice`` taken out for the voice.

    Every input (control port, web page, MIDI) puts its commands here; the stream reads the
    rest as before. Without a voice, ``notes`` are dropped quietly and ``voice`` is refused
    with a log line.
    """

    def __init__(self, voice: VoiceController | None = None) -> None:
        super().__init__()
        self.voice = voice

    def put(self, item: Command, block: bool = True, timeout: float | None = None) -> None:
        if item.name in ("notes", "voice"):
            if self.voice is not None:
                self.voice.command(item)
            elif item.name == "voice":
                log.warning("voice ignored: start the bridge with --voice")
            return
        super().put(item, block, timeout)
