"""Songs from the model: one song at a time (``lyricbridge song``) or one after another as a
line source for the daemon (``lyricbridge run``), written a few lines ahead on a thread of
their own."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from bridge.model.limits import check_seed_text
from bridge.model.sampling import LineWriter
from bridge.model.store import word_files
from bridge.model.wordmask import WordMask
from bridge.song.plan import Plan, Song, write_song
from bridge.song.rhyme import RhymeBook
from bridge.song.sources import Lyric
from bridge.song.writer import CANDIDATES, SongLineWriter

log = logging.getLogger(__name__)


#: Songs whose line endings the next song avoids.
REMEMBERED_SONGS = 3
#: The very first line is drawn from fewer candidates: it is out sooner (the music starts
#: with it), and the songs after it get the full number.
FIRST_CANDIDATES = 24


class SongComposer:
    """Writes songs to a plan with a LineWriter, one continuous stream of model state; the
    endings of the last few songs are not used again."""

    def __init__(self, writer: LineWriter, plan: Plan, candidates: int = CANDIDATES,
                 clean: bool = True) -> None:
        self.writer = writer
        self.plan = plan
        judge, trie = word_files(writer.model_dir)
        vocab = writer.sampler.vocab
        self.lines = SongLineWriter(
            writer, RhymeBook(vocab.chars, rng=writer.sampler.rng), candidates, plan.syllables,
            clean=clean, judge=judge, mask=WordMask(trie, vocab) if trie is not None else None)
        self.recent: deque[frozenset[str]] = deque(maxlen=REMEMBERED_SONGS)
        self._seed_text: str | None = None
        self._first = True
        self._lock = threading.Lock()

    @property
    def temperature(self) -> float:
        """The sampling temperature in use."""
        return self.writer.sampler.temperature

    def set_temperature(self, value: float) -> None:
        """Change the temperature of lines not yet written."""
        self.writer.sampler.temperature = value

    def reseed(self, text: str) -> None:
        """The next line written starts from this start string."""
        check_seed_text(self.writer.sampler.vocab, text)
        with self._lock:
            self._seed_text = text

    def line(self, rhyme_with: str | None, start_rhyme: int,
              used: frozenset[str]) -> tuple[str, str]:
        """Write one line (text, last word): see ``SongLineWriter.write``."""
        with self._lock:
            seed, self._seed_text = self._seed_text, None
        if seed is not None:
            self.writer.prime(seed)
        first, self._first = self._first, False
        line = self.lines.write(rhyme_with, start_rhyme, used,
                                candidates=min(FIRST_CANDIDATES, self.lines.k) if first else None)
        return line.text, line.word

    def write(self, on_line: Callable[[int, int, str], None] | None = None) -> Song:
        """Write the next song."""
        self.lines.new_song()
        avoid = frozenset().union(*self.recent)
        song = write_song(self.plan, self.line, on_line, avoid)
        self.recent.append(frozenset(song.endings()) - avoid)
        return song


class _Closed(Exception):
    """Raised inside the writer when the song lines were closed mid-song."""


class ComposerControls:
    """The live controls of songs a composer writes: temperature, start text, chorus next
    (the chorus request is kept here; each line source says when it takes effect)."""

    def __init__(self, composer: SongComposer) -> None:
        self.composer = composer
        self.plan = composer.plan
        self._cond = threading.Condition()
        self._chorus = False

    @property
    def temperature(self) -> float:
        return self.composer.temperature

    def set_temperature(self, value: float) -> None:
        self.composer.set_temperature(value)

    def reseed(self, text: str) -> None:
        self.composer.reseed(text)

    def chorus_next(self) -> bool:
        """Sing the chorus next (after what is already written or sent); False if the form
        has none."""
        if "chorus" not in self.plan.form:
            return False
        with self._cond:
            self._chorus = True
        return True


#: ``run``'s writer stays at most this many lines (in writing order) beyond the last line the
#: daemon took: each line is ready when it is wanted, and a new temperature or start text
#: reaches the song a few lines later.
AHEAD_LINES = 2


class SongLines(ComposerControls):
    """A line source of songs one after another (a stanza break between songs).

    A thread writes ahead, line by line in writing order (a song's chorus early, during its
    first stanza), at most ``AHEAD_LINES`` beyond the last line taken, so the daemon finds
    each line ready and the controls reach the lines soon. ``chorus_next`` makes the current
    song's chorus the next stanza sung. Only the song being sung and the one written ahead are
    kept: a song is forgotten once the next one starts.
    """

    def __init__(self, composer: SongComposer, songs: int | None = None) -> None:
        super().__init__(composer)
        self.songs = songs
        # Per song number: (stanza, i) -> (text, the title as known when the line was
        # written: a song's first line is written before its title, so it is sung with none,
        # the line's number in writing order across songs), and its title.
        self._written: dict[int, dict[tuple[int, int], tuple[str, str, int]]] = {}
        self._titles: dict[int, str] = {}
        self._failed = False
        self._stop = False
        self._song = -1  # the song being sung
        self._todo: list[tuple[int, int]] = []  # (stanza, line) still to sing; (-1, -1): break
        # Lines written so far, and the highest number taken (or waited for) so far.
        # ``waiting``: the writer waits for the daemon to take more.
        self._count = 0
        self._need = -1
        self.waiting = False
        self._thread = threading.Thread(target=self._work, name="lyricbridge-songs",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop writing: the thread ends after the line it is writing."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _work(self) -> None:
        n = 0
        try:
            while self.songs is None or n < self.songs:
                with self._cond:
                    while not self._stop and n > self._song + 1:
                        self._cond.wait()
                    if self._stop:
                        return
                    self._written[n] = {}
                    self._titles[n] = ""

                def heard(stanza: int, index: int, text: str, song: int = n) -> None:
                    with self._cond:
                        if self._stop:
                            raise _Closed
                        if song not in self._written:  # sung already (a chorus jump)
                            return
                        if not self._titles[song] and self.plan.is_title(stanza, index):
                            self._titles[song] = text.strip().rstrip(",.;:!?-'\" ")
                        self._written[song][(stanza, index)] = (text, self._titles[song],
                                                                self._count)
                        self._count += 1
                        self._cond.notify_all()
                        while not self._stop and self._count > self._need + AHEAD_LINES:
                            self.waiting = True
                            self._cond.wait()
                        self.waiting = False
                        if self._stop:
                            raise _Closed

                song = self.composer.write(heard)
                with self._cond:
                    if n in self._titles:
                        self._titles[n] = song.title
                    self._cond.notify_all()
                n += 1
        except _Closed:
            return
        except Exception:  # a writing bug ends the songs; the daemon then stops cleanly
            log.exception("song writing failed")
            with self._cond:
                self._failed = True
                self._cond.notify_all()

    def _start_song(self) -> bool:
        if self.songs is not None and self._song + 1 >= self.songs:
            return False
        self._written.pop(self._song, None)  # the song just sung is done with
        self._titles.pop(self._song, None)
        self._song += 1
        self._todo = []
        for k, stanza in enumerate(self.plan.stanzas()):
            if k:
                self._todo.append((-1, -1))
            self._todo.extend((stanza, i) for i in range(self.plan.lines))
        self._cond.notify_all()
        return True

    def _jump_to_chorus(self) -> None:
        chorus = self.plan.stanzas()[self.plan.form.index("chorus")]
        rest = self._todo
        # Skip what is left of the current stanza, and a chorus that would follow anyway.
        while rest and rest[0] != (-1, -1):
            rest = rest[1:]
        if rest[1:2] == [(chorus, 0)]:
            rest = rest[1 + self.plan.lines :]
        self._todo = [(-1, -1)] + [(chorus, i) for i in range(self.plan.lines)] + rest

    def next_line(self) -> Lyric | None:
        with self._cond:
            if self._chorus:
                self._chorus = False
                if self._song >= 0:
                    self._jump_to_chorus()
            if not self._todo:
                first = self._song < 0
                if not self._start_song():
                    return None
                if not first:
                    return Lyric("")  # a stanza break between songs
            stanza, index = self._todo.pop(0)
            song = self._song
            if stanza < 0:
                return Lyric("", "", -1, self._titles.get(song, ""))
            while (stanza, index) not in self._written.get(song, {}) and not self._failed:
                self._need = max(self._need, self._count)  # write on up to this line
                self._cond.notify_all()
                self._cond.wait()
            if self._failed:
                return None
            text, title, number = self._written[song][(stanza, index)]
            if number > self._need:
                self._need = number
                self._cond.notify_all()
            return Lyric(text, self.plan.form[stanza], index, title)
