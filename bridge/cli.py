"""The ``lyricbridge`` command line: thin commands over the library; errors become one line."""

from __future__ import annotations

import os

# One BLAS thread keeps the sampler's small matrix-vector steps steady; set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import click  # noqa: E402

from bridge import __version__, protocol  # noqa: E402
from bridge.control import MAX_BPM, MIN_BPM  # noqa: E402
from bridge.errors import BridgeError  # noqa: E402
from bridge.train import TrainConfig  # noqa: E402  (no TensorFlow until a run starts)

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("lyricbridge")
#: The training defaults, defined once in TrainConfig.
TRAIN = TrainConfig()


class BridgeGroup(click.Group):
    """A click group that turns every BridgeError into ``Error: ...`` and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BridgeError as e:
            raise click.ClickException(str(e)) from None


def model_option(f: F) -> F:
    """--model DIR (default: $LYRICBRIDGE_MODEL or the shipped model)."""
    return click.option(
        "--model", "model_dir", type=click.Path(path_type=Path), default=None,
        help="Model directory (default: $LYRICBRIDGE_MODEL, else the shipped model).",
    )(f)


def target_options(f: F) -> F:
    """--host and --port: where Sonic Pi listens for OSC."""
    f = click.option("--port", type=click.IntRange(1, 65535), default=protocol.DEFAULT_PORT,
                     show_default=True, help="Sonic Pi's OSC cue port.")(f)
    return click.option("--host", default=protocol.DEFAULT_HOST, show_default=True,
                        help="Where Sonic Pi listens.")(f)


def sampling_options(f: F) -> F:
    """--temperature, --top-k, --seed-text, --seed, --clean/--no-clean."""
    for opt in reversed([
        click.option("--temperature", type=float, default=None,
                     help="Sampling temperature, 0.1-2.0 (default: the model's, 0.8)."),
        click.option("--top-k", type=click.IntRange(0), default=None,
                     help="Sample only from the K likeliest characters (0: off)."),
        click.option("--seed-text", default=None,
                     help="Start string; the first line continues it (max 200 characters)."),
        click.option("--seed", type=int, default=None,
                     help="Random seed: the same seed and model give the same lines."),
        click.option("--clean/--no-clean", default=True, show_default=True,
                     help="Rewrite any generated line that holds a blocklisted word."),
    ]):
        f = opt(f)
    return f


def _load_model(model_dir: Path | None) -> Any:
    from bridge.modelio import LyricModel, default_model_dir

    return LyricModel(model_dir or default_model_dir())


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose < 0 else logging.INFO if verbose == 0 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")


@click.group(cls=BridgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lyricbridge")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
def cli(verbose: int, quiet: bool) -> None:
    """Sing lyrics into Sonic Pi: lines become syllables with stress, streamed over OSC.

    \b
    Example:
      lyricbridge run --text song.txt --loop
    """
    _setup_logging(-1 if quiet else verbose)


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
@click.option("--control-port", type=click.IntRange(0, 65535),
              default=protocol.DEFAULT_CONTROL_PORT, show_default=True,
              help="UDP port for live control from Sonic Pi (0: none).")
@click.option("--control-host", default=protocol.DEFAULT_HOST, show_default=True,
              help="Address the control port binds (OSC has no authentication).")
def run(text_file: str | None, loop: bool, model_dir: Path | None, host: str, port: int,
        bpm: float, max_lines: int | None, temperature: float | None, top_k: int | None,
        seed_text: str | None, seed: int | None, clean: bool, control_port: int,
        control_host: str) -> None:
    """Stream lyric lines to Sonic Pi, one datagram per line, until Ctrl-C.

    Load sonicpi/lyrics_melody.rb in Sonic Pi first to hear them.

    \b
    Examples:
      lyricbridge run                          # sing generated lines
      lyricbridge run --text song.txt --loop   # sing your own words, forever
      echo "Twinkle twinkle" | lyricbridge run --text - --lines 1
    """
    import queue

    from bridge.control import Command, ControlListener
    from bridge.daemon import Daemon
    from bridge.lines import LineSource, ModelLines, TextLines
    from bridge.modelio import default_model_dir, has_model
    from bridge.sampling import check_seed_text
    from bridge.textfile import read_text
    from bridge.transport import OscSender

    source: LineSource
    check_seed: Callable[[str], str] | None = None
    if text_file is not None:
        source = TextLines(read_text(text_file, what="--text file"), loop=loop)
    else:
        path = model_dir or default_model_dir()
        if model_dir is None and not has_model(path):
            raise BridgeError(f"no model found at {path}; sing your own words with --text FILE, "
                              "or give --model DIR")
        lyric_model = _load_model(path)
        writer = lyric_model.writer(temperature, top_k, seed, seed_text)
        source = ModelLines(writer, clean=clean)
        check_seed = partial(check_seed_text, lyric_model.vocab)

    commands: queue.Queue[Command] = queue.Queue()
    listener = None
    if control_port:
        listener = ControlListener(control_host, control_port, commands, check_seed).start()
        log.info("listening for control on %s:%d", control_host, listener.port)
    try:
        with OscSender(host, port) as sender:
            daemon = Daemon(source, sender, bpm=bpm, max_lines=max_lines, out=sys.stdout,
                            commands=commands)
            previous = signal.signal(signal.SIGTERM, lambda *_: daemon.stop())
            log.info("streaming to %s:%d at %g bpm", host, port, bpm)
            try:
                stats = daemon.run()
            except KeyboardInterrupt:
                stats = daemon.stats
            finally:
                signal.signal(signal.SIGTERM, previous)
    finally:
        if listener is not None:
            listener.close()
    log.info("sent %d lines in %d datagrams", stats.lines, stats.datagrams)


@cli.command()
@click.argument("texts", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per TEXT, one per line.")
def syllables(texts: tuple[str, ...], as_json: bool) -> None:
    """Split lines into syllables with stress and place them on the beat.

    \b
    Example:
      lyricbridge syllables "Twinkle, twinkle, little star" --json
    """
    from bridge.daemon import format_phrase
    from bridge.rhythm import phrase_to_dict, place_line

    for text in texts:
        phrase = place_line(text)
        if as_json:
            click.echo(json.dumps(phrase_to_dict(phrase), ensure_ascii=False))
            continue
        click.echo(f"{format_phrase(phrase)}  [{phrase.bars} bar{'s' if phrase.bars != 1 else ''}]")
        for n in phrase.notes:
            s = n.syllable
            accent = {0: "", 1: "  stressed", 2: "  secondary"}[s.stress]
            mark = f"  {s.mark}" if s.mark != "_" else ""
            click.echo(f"  beat {n.beat:5.2f} for {n.beats:4.2f}  {s.text}{accent}{mark}")


def _written_lines(model_dir: Path | None, count: int, temperature: float | None,
                   top_k: int | None, seed: int | None, seed_text: str | None,
                   clean: bool) -> Iterator[str]:
    """The model's next ``count`` non-blank lines, one at a time."""
    from bridge.lines import ModelLines

    source = ModelLines(_load_model(model_dir).writer(temperature, top_k, seed, seed_text),
                        clean=clean)
    written = 0
    while written < count:
        line = source.next_line()
        if line and line.strip():
            written += 1
            yield line


@cli.command()
@click.option("-n", "count", type=click.IntRange(1), default=4, show_default=True,
              help="How many lines.")
@model_option
@sampling_options
@click.option("--json", "as_json", is_flag=True,
              help="One object per line with its syllables (the 'syllables --json' schema).")
def generate(count: int, model_dir: Path | None, temperature: float | None, top_k: int | None,
             seed_text: str | None, seed: int | None, clean: bool, as_json: bool) -> None:
    """Print N generated lyric lines on stdout.

    \b
    Example:
      lyricbridge generate -n 8 --temperature 1.0 --seed 7
    """
    for line in _written_lines(model_dir, count, temperature, top_k, seed, seed_text, clean):
        if as_json:
            from bridge.rhythm import phrase_to_dict, place_line

            click.echo(json.dumps(phrase_to_dict(place_line(line)), ensure_ascii=False))
        else:
            click.echo(line)


@cli.command()
@click.argument("file", type=str)
@model_option
@click.option("--json", "as_json", is_flag=True, help='Print {"bits_per_char": .., "chars": ..}.')
def evaluate(file: str, model_dir: Path | None, as_json: bool) -> None:
    """Bits per character of the model on FILE (100-character windows from a zero state).

    \b
    Example:
      lyricbridge evaluate my_lyrics.txt --json
    """
    from bridge.scoring import score_text
    from bridge.textfile import read_text

    model = _load_model(model_dir)
    text = read_text(file, what="file to evaluate")
    bpc, chars = score_text(model.network, model.vocab, text)
    if as_json:
        click.echo(json.dumps({"bits_per_char": round(bpc, 4), "chars": chars}))
    else:
        click.echo(f"{bpc:.4f} bits per character over {chars} characters")


@cli.command()
@click.argument("corpus", type=str)
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Model directory to write.")
@click.option("--epochs", type=click.IntRange(1), default=TRAIN.epochs, show_default=True)
@click.option("--units", type=click.IntRange(1), default=TRAIN.units, show_default=True,
              help="GRU units per layer.")
@click.option("--layers", type=click.IntRange(1), default=TRAIN.layers, show_default=True,
              help="Stacked GRU layers.")
@click.option("--embedding", type=click.IntRange(1), default=TRAIN.embedding, show_default=True,
              help="Character embedding size.")
@click.option("--seq-len", type=click.IntRange(2), default=TRAIN.seq_len, show_default=True,
              help="Characters per training window.")
@click.option("--batch", type=click.IntRange(1), default=TRAIN.batch, show_default=True)
@click.option("--val-split", type=float, default=TRAIN.val_split, show_default=True,
              help="Share of the corpus, whole stanzas from its end, held out for validation.")
@click.option("--dropout", type=float, default=TRAIN.dropout, show_default=True)
@click.option("--learning-rate", type=float, default=TRAIN.learning_rate, show_default=True)
@click.option("--patience", type=click.IntRange(1), default=TRAIN.patience, show_default=True,
              help="Epochs without validation gain before early stopping.")
@click.option("--seed", type=int, default=TRAIN.seed, show_default=True)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out.")
@click.option("--heldout", type=str, default=None,
              help="Also score this file (never trained on) in the summary and model card.")
@click.option("--budget-minutes", type=float, default=None,
              help="Stop after this many minutes of training (at the end of a batch).")
@click.option("--lr-schedule", type=click.Choice(["plateau", "cosine"]), default=None,
              help="plateau (default): halve the rate when validation stalls; cosine: decay "
                   "it to a tenth over the budget. May change on --resume.")
def train(corpus: str, out: Path, epochs: int, units: int, layers: int, embedding: int,
          seq_len: int, batch: int, val_split: float, dropout: float, learning_rate: float,
          patience: int, seed: int, resume: bool, force: bool, heldout: str | None,
          budget_minutes: float | None, lr_schedule: str | None) -> None:
    """Train the char-GRU lyric model on CORPUS and write a model directory.

    Needs the train extra: pip install 'lyricbridge[train]'.

    \b
    Example:
      lyricbridge train my_lyrics.txt --out models/mine --epochs 20 --budget-minutes 30
    """
    from bridge.modelcard import write_model_card
    from bridge.train import TrainConfig
    from bridge.train import train as run_training

    cfg = TrainConfig(units=units, layers=layers, embedding=embedding, seq_len=seq_len,
                      batch=batch, epochs=epochs, val_split=val_split, dropout=dropout,
                      learning_rate=learning_rate, patience=patience, seed=seed)
    result = run_training(corpus, out, cfg, resume=resume, force=force, heldout=heldout,
                          budget_minutes=budget_minutes, verbose=1 if sys.stderr.isatty() else 2,
                          lr_schedule=lr_schedule)
    write_model_card(out)
    held = f", held-out {result.heldout_bpc:.3f}" if result.heldout_bpc is not None else ""
    click.echo(
        f"trained {result.epochs} epochs in {result.seconds / 60:.1f} min "
        f"(stopped by {result.stopped_by}): train {result.train_bpc:.3f}, "
        f"val {result.val_bpc:.3f}{held} bits/char -> {out}"
    )


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--lines", "count", type=click.IntRange(1), default=4, show_default=True,
              help="How many lines to sing.")
@click.option("--bpm", type=click.FloatRange(MIN_BPM, MAX_BPM), default=120.0, show_default=True)
@click.option("--loop-file", "loop_files", type=click.Path(path_type=Path), multiple=True,
              help="Ruby file to run (repeatable; default: lyrics_melody.rb + tabla_groove.rb).")
@click.option("--text", "text_file", type=str, default=None, metavar="FILE",
              help="Sing the first lines of FILE ('-' for stdin) instead of generated ones.")
@model_option
@sampling_options
def render(out: Path, count: int, bpm: float, loop_files: tuple[Path, ...],
           text_file: str | None, model_dir: Path | None, temperature: float | None,
           top_k: int | None, seed_text: str | None, seed: int | None, clean: bool) -> None:
    """Sing N lines through a private headless Sonic Pi and record them to a WAV file.

    Needs Debian's sonic-pi-server, supercollider-server, jackd2 and sox. A Sonic Pi you
    already run is not touched: this one uses free ports and its own jack server.

    \b
    Example:
      lyricbridge render song.wav --lines 4 --bpm 100 --seed 1
    """
    from bridge.errors import InputError
    from bridge.render import render_wav

    if out.suffix.lower() != ".wav":
        raise InputError(f"the output must be a .wav file, got {out}; e.g. song.wav")
    if not out.resolve().parent.is_dir():
        raise InputError(f"no such directory for the output: {out.resolve().parent}")
    lines: list[str] = []
    if text_file is not None:
        from bridge.textfile import read_text

        sung = 0
        for line in read_text(text_file, what="--text file").splitlines():
            if sung == count:
                break
            lines.append(line)
            sung += bool(line.strip())
    else:
        lines = list(_written_lines(model_dir, count, temperature, top_k, seed, seed_text, clean))
    for line in lines:
        click.echo(line)
    result = render_wav(out, lines, bpm=bpm, loop_files=list(loop_files) or None)
    click.echo(f"wrote {result.path}: {result.seconds:.1f} s of audio ({result.lines} lines at "
               f"{bpm:g} bpm) in {result.render_seconds:.1f} s")


@cli.command()
@model_option
@target_options
def doctor(model_dir: Path | None, host: str, port: int) -> None:
    """Check the model and whether Sonic Pi listens, and say what to do next.

    \b
    Example:
      lyricbridge doctor
    """
    from bridge.doctor import run_checks

    ok = True
    for passed, message in run_checks(model_dir, host, port):
        click.echo(f"[{'ok' if passed else '!!'}] {message}")
        ok = ok and passed
    if not ok:
        sys.exit(1)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="lyricbridge")
