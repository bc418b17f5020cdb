"""``lyricbridge jam``: sing one song with other performers' bridges (a Raft group)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import click

from bridge.cli.base import (
    cli,
    control_options,
    load_model_to_write,
    log,
    midi_options,
    model_option,
    refuse_text_with_model_options,
    sampling_options,
    target_options,
)
from bridge.cli.song import make_plan, song_options
from bridge.cli.voice import voice_beside, voice_options
from bridge.errors import BridgeError, InputError
from bridge.stream.commands import MAX_BPM, MIN_BPM
from bridge.web import WebAddress, start_web, web_option

#: A hidden test hook: this process's wall clock runs this many seconds off, as on a machine
#: whose clock is wrong (set before anything of the jam is imported).
CLOCK_OFFSET_ENV = "LYRICBRIDGE_JAM_CLOCK_OFFSET_S"


def _offset_clock() -> None:
    offset = float(os.environ.get(CLOCK_OFFSET_ENV) or 0.0)
    if offset:
        real = time.time
        setattr(time, "time", lambda: real() + offset)  # noqa: B010 (mypy: a module function)


def _check_extra(secret: str | None) -> None:
    if not secret:  # a usage mistake: refused before anything is loaded or bound
        from bridge.jam import NO_SECRET

        raise click.UsageError(NO_SECRET)
    try:
        import bridge.jam.raft  # noqa: F401  (pysyncobj)
    except ImportError:
        raise InputError("jam needs pysyncobj; install it with: pip install 'lyricbridge[jam]'"
                         ) from None
    if secret:
        try:
            import cryptography  # noqa: F401
        except ImportError:
            raise InputError("--secret needs the cryptography package; install it with: "
                             "pip install 'lyricbridge[jam]'") from None


@cli.command()
@click.option("--node", required=True, metavar="HOST:PORT",
              help="This node's address in the jam (the others list it as a --peer).")
@click.option("--peer", "peers", multiple=True, metavar="HOST:PORT",
              help="Another node of the jam (repeat for each; every node lists the same set).")
@click.option("--witness", is_flag=True,
              help="Only vote (no Sonic Pi, no model): the third vote two performers need.")
@click.option("--secret", envvar="LYRICBRIDGE_JAM_SECRET", default=None,
              help="Shared passphrase, required: it encrypts and authenticates every message "
                   "between nodes; nodes without it are refused (default: "
                   "$LYRICBRIDGE_JAM_SECRET).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="LYRICBRIDGE_JAM_STATE_DIR", default=None, metavar="DIR",
              help="Keep this node's Raft state (term, vote, log) in DIR, so a node killed "
                   "and restarted remembers what it agreed to (default: "
                   "$LYRICBRIDGE_JAM_STATE_DIR; none: a restarted node starts empty).")
@click.option("--text", "text_file", type=str, default=None, metavar="FILE",
              help="Sing the lines of FILE instead of generated ones (every performer gives "
                   "the same file).")
@click.option("--loop", is_flag=True, help="Repeat the text forever.")
@model_option
@target_options
@click.option("--bpm", type=click.FloatRange(MIN_BPM, MAX_BPM), default=120.0, show_default=True,
              help="Tempo of the song until a shared bpm command changes it.")
@click.option("--lines", "max_lines", type=click.IntRange(1), default=None,
              help="The song has N lines (stanza rests count); stop once they are sung.")
@sampling_options
@control_options
@click.option("--song/--no-song", "songs", default=None,
              help="The leader writes songs (the default without --text); --no-song: free "
                   "lines.")
@song_options
@web_option
@midi_options
@voice_options
def jam(node: str, peers: tuple[str, ...], witness: bool, secret: str | None,
        state_dir: Path | None, text_file: str | None, loop: bool, model_dir: Path | None,
        host: str, port: int, bpm: float, max_lines: int | None, temperature: float | None,
        top_k: int | None, seed_text: str | None, seed: int | None, clean: bool, control_port: int,
        control_host: str, control_token: str | None, songs: bool | None, form: str,
        schemes: tuple[str, ...], lines_per_stanza: int, syllable_range: str,
        web: WebAddress | None, midi_port: str | None, midi_map: Path | None, voice: bool,
        voice_high: bool) -> None:
    """Sing one song together: every performer's bridge sings the same lines at the same time.

    The nodes elect a leader (Raft) that writes the song; every node sings only what a
    majority has stored, so a crashed or cut-off leader is replaced without a line lost,
    doubled or out of order.

    \b
    Examples (three performers, one command each, all with the same secret):
      export LYRICBRIDGE_JAM_SECRET='three blue kites'
      lyricbridge jam --node 10.0.0.1:7000 --peer 10.0.0.2:7000 --peer 10.0.0.3:7000 --text song.txt
      lyricbridge jam --node 10.0.0.2:7000 --peer 10.0.0.1:7000 --peer 10.0.0.3:7000 --text song.txt
    Two performers and a witness:
      lyricbridge jam --witness --node 10.0.0.9:7000 --peer 10.0.0.1:7000 --peer 10.0.0.2:7000
    """
    import queue

    _check_extra(secret)
    _offset_clock()
    from bridge.jam.session import Jam
    from bridge.stream import protocol
    from bridge.stream.commands import Command
    from bridge.stream.control import ControlListener, check_token_needed
    from bridge.stream.transport import OscSender, probe_listener

    if control_port and not witness:
        check_token_needed(control_host, control_token)
    source: Any = None
    lyric_model = None
    check_seed = None
    if witness:  # only the Raft node: no lyric modules, no numpy
        if (text_file, model_dir, web, midi_port, midi_map) != (None,) * 5:
            raise InputError("a --witness only votes; leave out --text, --model, --web and "
                             "--midi")
    elif text_file is not None:
        refuse_text_with_model_options(click.get_current_context(), songs)
        from bridge.jam.leader import TextSource
        from bridge.song.sources import TextLines
        from bridge.song.textfile import read_text

        source = TextSource(TextLines(read_text(text_file, what="--text file")).lines, loop)
    else:
        from bridge.jam.leader import ModelSource
        from bridge.model.limits import check_seed_text
        from bridge.song.sources import ModelLines

        lyric_model = load_model_to_write(model_dir)
        check_seed = partial(check_seed_text, lyric_model.vocab)
        if songs is False:
            writer = lyric_model.writer(temperature, top_k, seed, seed_text)
            source = ModelSource(ModelLines(writer, clean=clean))
        else:
            source = _song_source(lyric_model, make_plan(form, schemes, lines_per_stanza,
                                                         syllable_range),
                                  temperature, top_k, seed, seed_text, clean)

    from bridge.voice.controller import VoiceTap

    if voice:
        if witness:
            raise InputError("a --witness only votes; leave out --voice")
        from bridge.voice import check_voice

        check_voice()
    commands: queue.Queue[Command] = VoiceTap()
    midi = None
    if midi_port is not None or midi_map is not None:
        from bridge.midi.controller import MidiController
        from bridge.midi.mapfile import load_map

        midi = MidiController(midi_port, load_map(midi_map), commands, check_seed)
    sender = None if witness else OscSender(host, port)
    try:
        session = Jam(node, list(peers), source,
                      midi.share(sender) if midi is not None and sender else sender,
                      bpm=bpm, secret=secret, state_dir=state_dir,
                      max_lines=max_lines, out=sys.stdout, commands=commands,
                      probe=partial(probe_listener, host, port,
                                    protocol.osc_message(protocol.PING_ADDRESS, 1)))
    except Exception as e:
        if sender is not None:
            sender.close()
        if midi is not None:
            midi.close()
        if isinstance(e, BridgeError):
            raise
        raise BridgeError(f"cannot join the jam as {node}: {e or type(e).__name__}; check --node"
                          ) from None
    listener = None
    page = None
    try:
        if control_port and not witness:
            listener = ControlListener(control_host, control_port, commands, check_seed,
                                       token=control_token).start()
            log.info("listening for control on %s:%d", control_host, listener.port)
        if web is not None:
            page = start_web(web, session, lyric_model, check_seed, clean)
        if midi is not None:
            session.observers.append(midi.observe)
            midi.start()
        previous = signal.signal(signal.SIGTERM, lambda *_: session.stop())
        if witness:
            log.info("jam: witness %s with %d peers", node, len(peers))
        else:
            log.info("jam: node %s with %d peers; singing to %s:%d", node, len(peers), host,
                     port)
        singer = (voice_beside(session, host, port, voice_high) if voice
                  else contextlib.nullcontext())
        try:
            with singer as voice_controller:
                if voice_controller is not None:
                    voice_controller.announce()
                session.run()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        if page is not None:
            page.stop()
        if midi is not None:
            midi.close()
        if listener is not None:
            listener.close()
        if sender is not None:
            sender.close()
    if session.stage is not None:
        stats = session.stage.stats
        log.info("jam: sang %d lines, skipped %d, sent %d again after a restart", stats.lines,
                 stats.skipped, stats.resent)


def _song_source(lyric_model: Any, plan: Any, temperature: float | None, top_k: int | None,
                 seed: int | None, seed_text: str | None, clean: bool) -> Any:
    """Songs for the leader to write, line by line from the song's place in the log."""
    from bridge.jam.leader import SongSource
    from bridge.song.cursor import CursorSongs
    from bridge.song.songlines import SongComposer

    writer = lyric_model.writer(temperature, top_k, seed, seed_text)
    return SongSource(CursorSongs(SongComposer(writer, plan, clean=clean)))
