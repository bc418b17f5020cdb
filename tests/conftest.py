"""Shared fixtures: one headless Sonic Pi for the whole session, and small original verses."""

from __future__ import annotations

import os

# One BLAS thread, as the CLI uses: the sampler's small steps stall on shared cores otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import signal
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bridge.sonicpi import APT_INSTALL, HeadlessSonicPi, required_programs_missing
from bridge.stream.protocol import encode_line
from bridge.syllables.rhythm import place_line

REPO = Path(__file__).resolve().parent.parent
SONICPI_DIR = REPO / "sonicpi"

# Tests send SIGINT (Ctrl-C) to the commands they start. A suite started in the background of
# a script inherits SIGINT ignored, and so would every command it starts (an ignored signal
# stays ignored across exec): take it back here, in pytest and in each worker.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: Four short verses written for these tests (a comma, a period, a question, a period).
VERSES = (
    "The kite went up above the tree,",
    "it waved its tail and smiled at me.",
    "Where will you fly when winds are low?",
    "Home to the garden, soft and slow.",
)

#: Stop between tests only after the notes already scheduled (0.5 s ahead) have been logged.
SETTLE_S = 0.8


@pytest.fixture(scope="session")
def sonic_pi_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeadlessSonicPi]:
    """One private headless Sonic Pi for the whole session (booted once, stopped at the end).

    Fails (never skips) when the server is not installed: CI must run these tests.
    """
    missing = required_programs_missing()
    if missing:
        pytest.fail(
            f"headless Sonic Pi is not installed (missing: {', '.join(missing)}); "
            f"install it with: sudo {APT_INSTALL}",
            pytrace=False,
        )
    run_dir = tmp_path_factory.mktemp("sonic-pi")
    with HeadlessSonicPi(run_dir, log_file=run_dir / "gui_log.jsonl") as spi:
        yield spi


@pytest.fixture
def sonic_pi(sonic_pi_session: HeadlessSonicPi) -> Iterator[HeadlessSonicPi]:
    """The session's Sonic Pi with a clean slate: no jobs running, an empty log."""
    spi = sonic_pi_session
    spi.stop_all_jobs(settle=SETTLE_S)
    spi.clear_log()
    yield spi
    spi.stop_all_jobs(settle=0.1)


@pytest.fixture
def verses() -> tuple[str, ...]:
    """The test verses, one line each."""
    return VERSES


@pytest.fixture
def verses_file(tmp_path: Path) -> Path:
    """The test verses written to a text file (for ``lyricbridge run --text``)."""
    path = tmp_path / "verses.txt"
    path.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    return path


SendLines = Callable[..., list[float]]


@pytest.fixture
def send_lines(sonic_pi: HeadlessSonicPi) -> SendLines:
    """Send lines to the fixture's cue port; return the wall time each was sent.

    ``gaps`` gives the seconds to wait before each line after the first (default 5 ms).
    """

    def send(lines: Sequence[str], bpm: float = 120.0, gaps: Sequence[float] | None = None,
             first_seq: int = 0) -> list[float]:
        sent: list[float] = []
        for i, line in enumerate(lines):
            if i:
                time.sleep(gaps[i - 1] if gaps is not None else 0.005)
            sonic_pi.send(encode_line(first_seq + i, bpm, place_line(line)))
            sent.append(time.time())
        return sent

    return send


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private JACK server (dummy driver) for the MIDI tests, one per test process; its name.

    Fails (never skips) when jackd is not installed: CI must run these tests.
    """
    pytest.importorskip("mido", reason="the midi extra (mido, python-rtmidi) is missing")
    from tests.midikit import JackError
    from tests.midikit import jack_server as start_jack

    try:
        with start_jack(tmp_path_factory.mktemp("jack")) as name:
            yield name
    except JackError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def keyboard(jack_server: str) -> Iterator[Any]:
    """A virtual MIDI keyboard (a JACK MIDI output port) on the session's JACK server."""
    from tests.midikit import Keyboard

    kb = Keyboard()
    yield kb
    kb.close()


#: The tests that need JACK run in three groups, each on one worker. jackd allows eight servers
#: on a machine ("Too many servers already active"); this way a run holds at most five: the
#: session Sonic Pi of each group's worker, the MIDI tests' server (group 3) and one that a
#: test boots itself (group 1: a render's, a second performer's, a rebooted one).
JACK_GROUPS = {
    "test_render": "jack-1", "test_render_cli": "jack-1", "test_jam_sonicpi": "jack-1",
    "test_sonicpi_restart": "jack-1", "test_soak": "jack-1", "test_sonicpi_control": "jack-1",
    "test_jam_restart": "jack-1", "test_render_songs": "jack-1",
    "test_sonicpi_e2e": "jack-2", "test_sonicpi_song": "jack-2", "test_web_sung": "jack-2",
    "test_sonicpi_lessons": "jack-3", "test_midi_e2e": "jack-3", "test_jam_midi": "jack-3",
}


#: Modules whose tests take longest (real trainings, jams of several nodes): handed out first
#: after the JACK groups, so that none of them is left to run alone at the end.
SLOW_FIRST = ("test_jam_faults", "test_jam_nemesis", "test_model", "test_training", "test_jam",
              "test_jam_song", "test_jam_partition", "test_song_run", "test_web", "test_stream",
              "test_jam_web")


def _group(item: pytest.Item) -> str | None:
    info = getattr(item, "_fixtureinfo", None)
    module = getattr(item, "module", None)
    if info is None or module is None:
        return None
    name = module.__name__.rpartition(".")[2]
    if name in JACK_GROUPS:
        return JACK_GROUPS[name]
    if "jack_server" in info.names_closure:
        return "jack-3"
    if "sonic_pi_session" in info.names_closure:
        return "jack-2"
    if any(d.scope == "module" for defs in info.name2fixturedefs.values() for d in defs):
        return name
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist (``--dist loadgroup``); the other tests go one by one.

    - The JACK groups above, first, so that each starts at once on a worker of its own
      (``--no-loadscope-reorder`` keeps this order).
    - A module's tests that share a module-scoped fixture (a running bridge, a browser) stay on
      one worker, so it is made once.
    """
    groups = {id(item): _group(item) for item in items}
    for item in items:
        group = groups[id(item)]
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))

    def jack_first(item: pytest.Item) -> tuple[str, int]:
        group = groups[id(item)] or ""
        if group.startswith("jack-"):
            return group, 0
        module = getattr(item, "module", None)
        name = module.__name__.rpartition(".")[2] if module is not None else ""
        return "~", SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=jack_first)  # stable: the order within a group and of the rest is kept
