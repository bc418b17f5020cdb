"""``run --text ... --web``: the page sings the text, and its generator still writes, with the
shipped model loaded when it is first asked (real ``lyricbridge run`` and real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from conftest import VERSES

from tests.webtools import Bridge, OscListener


def hello(url: str) -> dict[str, object]:
    with httpx.Client(timeout=10) as client, client.stream("GET", url + "events") as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                event: dict[str, object] = json.loads(line[5:])["event"]
                return event
    raise AssertionError("no hello event")


def test_the_generator_writes_beside_a_text(tmp_path: Path) -> None:
    text = tmp_path / "verses.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    osc = OscListener()
    bridge = Bridge(["--text", str(text), "--loop", "--bpm", "240"], osc)
    try:
        assert hello(bridge.url)["model"] is True  # the page enables "Let it write"
        assert "loaded a model" not in bridge.log()  # not before it is asked
        r = httpx.post(bridge.url + "api/generate", json={"lines": 3, "start": "the river",
                                                          "temperature": 0.7}, timeout=60)
        assert r.status_code == 200, r.text
        lines = r.json()["lines"]
        assert len(lines) == 3 and all(line.strip() for line in lines)
        assert "web: loaded a model for the generator" in bridge.log()
        again = httpx.post(bridge.url + "api/generate", json={"lines": 1}, timeout=60)
        assert again.status_code == 200 and len(again.json()["lines"]) == 1
        assert bridge.log().count("loaded a model") == 1  # once
        # The stream still sings the text: the stream's own knobs stay refused.
        knob = httpx.post(bridge.url + "api/control",
                          json={"command": "temperature", "value": 1.0}, timeout=10)
        assert knob.status_code == 409
        bad = httpx.post(bridge.url + "api/generate", json={"lines": 1, "start": "\u2603"},
                         timeout=60)
        assert bad.status_code == 422, bad.text
    finally:
        assert bridge.stop() == 0, bridge.log()
        osc.close()


def test_a_missing_model_is_a_clear_refusal(tmp_path: Path) -> None:
    text = tmp_path / "verses.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    osc = OscListener()
    bridge = Bridge(["--text", str(text), "--loop", "--model", str(tmp_path / "none")], osc)
    try:
        r = httpx.post(bridge.url + "api/generate", json={"lines": 1}, timeout=30)
        assert r.status_code == 409, r.text
        assert "the generator has no model" in r.json()["error"]
        assert bridge.proc.poll() is None
    finally:
        assert bridge.stop() == 0, bridge.log()
        osc.close()
