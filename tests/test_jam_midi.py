"""Jam mode played from a MIDI keyboard (a virtual port on a private JACK server): a knob on
one performer's keyboard changes the tempo of every node at the same line."""

from __future__ import annotations

from pathlib import Path

import pytest
from jamkit import BPM, JAM_VERSES, Listener, NodeProc, assert_one_song, free_tcp_ports, wait_until

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way
pytest.importorskip("mido", reason="the midi extra (mido, python-rtmidi) is missing")

from tests.midikit import Keyboard, midi_env  # noqa: E402


def test_a_knob_on_one_keyboard_sets_the_tempo_of_every_node(
        keyboard: Keyboard, jack_server: str, tmp_path: Path) -> None:
    text = tmp_path / "song.txt"
    text.write_text("\n".join(JAM_VERSES) + "\n", encoding="utf-8")
    addresses = [f"127.0.0.1:{p}" for p in free_tcp_ports(3)]
    listeners = [Listener() for _ in addresses]
    nodes: list[NodeProc] = []
    try:
        for i, (addr, lis) in enumerate(zip(addresses, listeners, strict=True)):
            args = ["--text", str(text), "--loop", "--bpm", str(BPM), "--port", str(lis.port),
                    "--control-port", "0"]
            if i == 0:
                args += ["--midi", keyboard.name]
            nodes.append(NodeProc(f"n{i}", addr, [a for a in addresses if a != addr], tmp_path,
                                  args, env=midi_env(jack_server)))
        wait_until(lambda: all(len(lis.heard) >= 2 for lis in listeners), 30,
                   "two lines on every node")
        assert "MIDI: playing from" in nodes[0].stderr()
        keyboard.cc(21, 127)  # the tempo knob, all the way up
        wait_until(lambda: all(any(h.line.bpm != BPM for h in lis.heard) for lis in listeners),
                   20, "lines at the knob's tempo on every node")
        changed = {next((h.line.seq, h.line.bpm) for h in lis.heard if h.line.bpm != BPM)
                   for lis in listeners}
        assert len(changed) == 1, changed
        assert [bpm for _, bpm in changed] == [pytest.approx(200.0)]
        assert all("jam: bpm 200 from line" in n.stderr() for n in nodes)
        assert_one_song(listeners)
    finally:
        for n in nodes:
            n.stop()
        for lis in listeners:
            lis.close()
