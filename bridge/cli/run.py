"""``lyricbridge run``: stream lines to Sonic Pi until Ctrl-C."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

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
from bridge.cli.song import make_plan, song_options, song_switch
from bridge.cli.voice import voice_beside, voice_options
from bridge.stream import protocol
from bridge.stream.commands import MAX_BPM, MIN_BPM
from bridge.web import WebAddress, start_web, web_option


@cli.command()
@click.option("--text", "text_file", type=str, default=None, metavar="FILE",
              help="Sing the lines of FILE ('-' for stdin) instead of generated ones.")
@click.option("--loop", is_flag=True, help="Repeat the text forever.")
@model_option
@target_options
@click.option("--bpm", type=click.FloatRange(MIN_BPM, MAX_BPM), default=120.0, show_default=True,
              help="Tempo sent with every line.")
@click.option("--lines", "max_lines", type=click.IntRange(1), default=None,
              help="Stop after N lines (default: run until Ctrl-C).")
@sampling_options
@control_options
@midi_options
@song_switch
@song_options
@web_option
@voice_options
def run(text_file: str | None, loop: bool, model_dir: Path | None, host: str, port: int,
        bpm: float, max_lines: int | None, temperature: float | None, top_k: int | None,
        seed_text: str | None, seed: int | None, clean: bool, control_port: int,
        control_host: str, control_token: str | None, midi_port: str | None,
        midi_map: Path | None, songs: bool | None, form: str, schemes: tuple[str, ...],
        lines_per_stanza: int, syllable_range: str, web: WebAddress | None, voice: bool,
        voice_high: bool) -> None:
    """Stream lyric lines to Sonic Pi, one datagram per line, until Ctrl-C.

    Load sonicpi/lyrics_melody.rb in Sonic Pi first to hear them.

    \b
    Examples:
      lyricbridge run                          # sing generated songs
      lyricbridge run --no-song                # sing free generated lines
      lyricbridge run --text song.txt --loop   # sing your own words, forever
      echo "Twinkle twinkle" | lyricbridge run --text - --lines 1
      lyricbridge run --midi V49               # knobs, pads and keys steer it
      lyricbridge run --web 8000               # and open http://127.0.0.1:8000/
      lyricbridge run --voice                  # Sonic Pi sings the words too
    """
    import contextlib

    from bridge.model.limits import check_seed_text
    from bridge.song.sources import LineSource, ModelLines, TextLines
    from bridge.song.textfile import read_text
    from bridge.stream.control import ControlListener, check_token_needed
    from bridge.stream.daemon import Daemon
    from bridge.stream.transport import OscSender, probe_listener
    from bridge.voice.controller import VoiceTap

    if voice:
        from bridge.voice import check_voice

        check_voice()
    if control_port:
        check_token_needed(control_host, control_token)
    source: LineSource
    check_seed: Callable[[str], str] | None = None
    lyric_model = None
    if text_file is not None:
        refuse_text_with_model_options(click.get_current_context(), songs)
        source = TextLines(read_text(text_file, what="--text file"), loop=loop)
    else:
        lyric_model = load_model_to_write(model_dir)
        writer = lyric_model.writer(temperature, top_k, seed, seed_text)
        if songs is False:
            source = ModelLines(writer, clean=clean)
        else:
            from bridge.song.songlines import SongComposer, SongLines

            plan = make_plan(form, schemes, lines_per_stanza, syllable_range)
            source = SongLines(SongComposer(writer, plan, clean=clean))
        check_seed = partial(check_seed_text, lyric_model.vocab)

    commands = VoiceTap()
    midi = None
    if midi_port is not None or midi_map is not None:
        from bridge.midi.controller import MidiController
        from bridge.midi.mapfile import load_map

        midi = MidiController(midi_port, load_map(midi_map), commands, check_seed)
    listener = None
    if control_port:
        listener = ControlListener(control_host, control_port, commands, check_seed,
                                   control_token).start()
        log.info("listening for control on %s:%d", control_host, listener.port)
    try:
        with OscSender(host, port) as osc:
            sender = midi.share(osc) if midi is not None else osc
            ping = protocol.osc_message(protocol.PING_ADDRESS, 1)
            daemon = Daemon(source, sender, bpm=bpm, max_lines=max_lines, out=sys.stdout,
                            commands=commands, probe=partial(probe_listener, host, port, ping))
            if midi is not None:
                daemon.observers.append(midi.observe)
                midi.start()
            singer = (voice_beside(daemon, host, port, voice_high) if voice
                      else contextlib.nullcontext())
            with singer as voice_controller:
                # With --text, the page's generator loads the model when it is first asked.
                page = start_web(web, daemon, lyric_model, check_seed, clean,
                                 load_model=partial(load_model_to_write, model_dir)
                                 ) if web else None
                if voice_controller is not None:
                    voice_controller.announce()
                previous = signal.signal(signal.SIGTERM, lambda *_: daemon.stop())
                log.info("streaming to %s:%d at %g bpm", host, port, bpm)
                try:
                    stats = daemon.run()
                except KeyboardInterrupt:
                    stats = daemon.stats
                finally:
                    signal.signal(signal.SIGTERM, previous)
                    if page is not None:
                        page.stop()
    finally:
        if listener is not None:
            listener.close()
        if midi is not None:
            midi.close()
    log.info("sent %d lines in %d datagrams", stats.lines, stats.datagrams)

