"""The live web page in a real headless Chromium against a real ``lyricbridge run --web``
streaming to an OSC listener the test owns."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import VERSES

from bridge.syllables.rhythm import place_line
from tests.udprx import assert_quiet, line_seconds
from tests.verses import write_random_model
from tests.webtools import (
    CHROMEDRIVER,
    CHROMIUM,
    Bridge,
    OscListener,
    chromium,
    js_errors,
    wait_until,
)

BPM = 240.0
SYLLABLES_JS = """return [...document.querySelectorAll(
  '[data-testid=current-line] [data-testid=syllable]')].map(
  e => [e.textContent, e.getAttribute('aria-current'), e.dataset.stress]);"""


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"the web tests need Debian's chromium and chromium-driver (missing: "
                    f"{', '.join(missing)}); install them with: sudo apt-get install -y "
                    "chromium chromium-driver", pytrace=False)
    d = chromium()
    yield d
    d.quit()


@pytest.fixture(scope="module")
def listener() -> Iterator[OscListener]:
    osc = OscListener()
    yield osc
    osc.close()


@pytest.fixture(scope="module")
def text_bridge(tmp_path_factory: pytest.TempPathFactory,
                listener: OscListener) -> Iterator[Bridge]:
    text = tmp_path_factory.mktemp("web") / "verses.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    bridge = Bridge(["--text", str(text), "--loop", "--bpm", str(BPM)], listener)
    yield bridge
    assert bridge.stop() == 0, bridge.log()


@pytest.fixture(scope="module")
def model_bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    model = write_random_model(tmp_path_factory.mktemp("model") / "m")
    osc = OscListener()
    bridge = Bridge(["--model", str(model), "--seed", "3", "--bpm", str(BPM)], osc)
    yield bridge
    assert bridge.stop() == 0, bridge.log()
    osc.close()


def by(driver: Any, testid: str) -> Any:
    return driver.find_element("css selector", f"[data-testid={testid}]")


def open_page(driver: Any, url: str) -> None:
    driver.get(url)
    wait_until(lambda: driver.execute_script(SYLLABLES_JS), 15, "the current line's syllables")


def set_number(driver: Any, testid: str, value: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = by(driver, testid)
    box.clear()
    box.send_keys(value + Keys.ENTER)


def error_text(driver: Any) -> str:
    return str(by(driver, "error").text)


def test_the_line_shows_and_its_syllables_light_up_in_order(driver: Any,
                                                             text_bridge: Bridge) -> None:
    open_page(driver, text_bridge.url)
    expected = {v: [(n.syllable.text, str(n.syllable.stress)) for n in place_line(v).notes]
                for v in VERSES}
    samples: list[tuple[str, list[Any]]] = []
    end = time.monotonic() + 4.0
    while time.monotonic() < end:
        samples.append(driver.execute_script(  # the line and its syllables in one look
            "return [document.querySelector('[data-testid=current-line]').textContent, "
            "(() => {" + SYLLABLES_JS + "})()];"))
        time.sleep(0.04)
    progress: dict[str, list[int]] = {}
    for line, syllables in samples:
        if not syllables:
            continue
        verse = next((v for v in VERSES if v == line), None)
        assert verse is not None, f"{line!r} is not one of the verses"
        assert [(t, s) for t, _, s in syllables] == expected[verse]
        current = [i for i, (_, c, _) in enumerate(syllables) if c == "true"]
        assert len(current) <= 1, syllables
        progress.setdefault(line, []).extend(current)
    moving = [seen for seen in progress.values() if len(set(seen)) >= 3]
    assert moving, f"the highlight did not move through a line: {progress}"
    for seen in moving:
        assert seen == sorted(seen), f"the highlight went backwards: {seen}"
    # The next line below is the verse that follows.
    line = by(driver, "current-line").text
    if line in VERSES:
        following = VERSES[(VERSES.index(line) + 1) % len(VERSES)]
        nxt = by(driver, "next-line").text
        assert nxt in (following, "~", ""), (line, nxt)
    assert not js_errors(driver)


def test_pause_stops_the_datagrams_and_resume_restarts_them(driver: Any, text_bridge: Bridge,
                                                            listener: OscListener) -> None:
    open_page(driver, text_bridge.url)
    wait_until(lambda: listener.count() >= 2, 10, "datagrams")
    by(driver, "pause").click()
    wait_until(lambda: "paused" in text_bridge.log(), 5, "the bridge to log 'paused'")
    wait_until(lambda: by(driver, "status").text == "paused", 5, "the page to say paused")
    paused_at = time.time()
    # Unpaused, the next line would leave within a line's length of the last one sent.
    last_sent = listener.got[-1][0]
    longest = max(line_seconds(v, BPM) for v in VERSES)
    assert_quiet(lambda: listener.after(paused_at), max(last_sent, paused_at) + longest + 0.4,
                 clock=time.time)
    by(driver, "resume").click()
    wait_until(lambda: listener.after(paused_at), 5, "a datagram after resume")
    wait_until(lambda: by(driver, "status").text == "live", 5, "the page to say live")
    assert "resumed" in text_bridge.log()
    assert not js_errors(driver)


def test_bpm_typed_in_the_page_reaches_the_next_datagrams(driver: Any, text_bridge: Bridge,
                                                          listener: OscListener) -> None:
    open_page(driver, text_bridge.url)
    set_number(driver, "bpm", "150")
    wait_until(lambda: "bpm 240 → 150" in text_bridge.log(), 5, "the bridge to log the bpm")
    changed_at = time.time()
    by(driver, "next").click()  # the next line now, instead of after this one
    later = wait_until(lambda: listener.after(changed_at), 8, "a datagram after the change")
    assert all(m.bpm == 150.0 for m in later), [m.bpm for m in later]
    wait_until(lambda: by(driver, "bpm-now").text == "150", 5, "the page to show bpm 150")
    set_number(driver, "bpm", "240")
    wait_until(lambda: "bpm 150 → 240" in text_bridge.log(), 5, "the bpm back to 240")
    assert not error_text(driver)
    assert not js_errors(driver)


def test_an_out_of_range_bpm_shows_an_error_and_changes_nothing(driver: Any,
                                                                text_bridge: Bridge,
                                                                listener: OscListener) -> None:
    open_page(driver, text_bridge.url)
    set_number(driver, "bpm", "999")
    wait_until(lambda: "bpm out of range" in error_text(driver), 5, "the error on the page")
    assert "30 to 300" in error_text(driver)
    sent_at = time.time()
    later = wait_until(lambda: listener.after(sent_at), 8, "the next datagram")
    assert all(m.bpm == BPM for m in later)
    assert text_bridge.log().count("bpm out of range: 999") == 1  # logged once, refused
    assert "→ 999" not in text_bridge.log()
    assert by(driver, "bpm-now").text == "240"
    assert not js_errors(driver)


def test_dark_theme_follows_the_browser_and_big_mode_shows_only_the_words(
        driver: Any, text_bridge: Bridge) -> None:
    def background() -> str:
        return str(driver.execute_script(
            "return getComputedStyle(document.body).backgroundColor"))

    open_page(driver, text_bridge.url)
    light = background()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        dark = background()
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert light != dark
    line_size = "return parseFloat(getComputedStyle(document.getElementById('current')).fontSize)"
    normal = driver.execute_script(line_size)
    by(driver, "big").click()
    try:
        assert by(driver, "big").get_attribute("aria-pressed") == "true"
        assert driver.execute_script(line_size) > normal
        assert not by(driver, "pause").is_displayed()  # the controls step aside
        assert by(driver, "current-line").is_displayed()
    finally:
        by(driver, "big").click()
    assert by(driver, "pause").is_displayed()
    assert not js_errors(driver)


def test_the_screenshot(driver: Any, text_bridge: Bridge, tmp_path: Path) -> None:
    """The page as the README shows it (kept when LYRICBRIDGE_SCREENSHOT names a file)."""
    open_page(driver, text_bridge.url)
    wait_until(lambda: any(c == "true" for _, c, _ in driver.execute_script(SYLLABLES_JS)), 5,
               "a syllable being sung")
    shot = tmp_path / "page.png"
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    target = os.environ.get("LYRICBRIDGE_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)


def test_the_generator_writes_n_lines_from_the_start_string(driver: Any,
                                                            model_bridge: Bridge) -> None:
    open_page(driver, model_bridge.url)
    start = by(driver, "generate-start")
    start.send_keys("The ri")
    set_number(driver, "generate-lines", "3")
    by(driver, "generate").click()
    text = wait_until(lambda: by(driver, "generated").get_attribute("textContent"), 20,
                      "generated lines")
    lines = text.split("\n")
    assert len(lines) == 3 and all(line.strip() for line in lines), lines
    assert lines[0].startswith("The ri")
    assert "web: generated 3 lines" in model_bridge.log()
    assert not js_errors(driver)


def test_an_out_of_range_temperature_shows_an_error_and_changes_nothing(
        driver: Any, model_bridge: Bridge) -> None:
    open_page(driver, model_bridge.url)
    wait_until(lambda: by(driver, "temperature-now").text == "0.8", 5, "temperature 0.8")
    # A slider cannot go past its ends; an older or edited page could send anything.
    driver.execute_script("""const s = document.querySelector('[data-testid=temperature]');
        s.max = '5'; s.value = '3'; s.dispatchEvent(new Event('change'));""")
    wait_until(lambda: "temperature out of range" in error_text(driver), 5, "the error")
    time.sleep(0.5)
    assert by(driver, "temperature-now").text == "0.8"
    assert "temperature 0.8 →" not in model_bridge.log()
    driver.execute_script("""const s = document.querySelector('[data-testid=temperature]');
        s.max = '2'; s.value = '1.2'; s.dispatchEvent(new Event('change'));""")
    wait_until(lambda: by(driver, "temperature-now").text == "1.2", 5, "temperature 1.2")
    assert "temperature 0.8 → 1.2" in model_bridge.log()
    assert not error_text(driver)
    assert not js_errors(driver)


def test_beyond_loopback_the_controls_need_the_token(driver: Any, tmp_path: Path) -> None:
    import httpx

    text = tmp_path / "verses.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    osc = OscListener()
    bridge = Bridge(["--text", str(text), "--loop", "--bpm", str(BPM)], osc, web="0.0.0.0:0")
    try:
        assert bridge.token, "bound beyond loopback, the bridge must print a URL with a token"
        open_page(driver, bridge.url)  # the live view is open to all
        assert by(driver, "token-hint").is_displayed()
        by(driver, "pause").click()
        wait_until(lambda: "token" in error_text(driver), 5, "the page to ask for the token")
        refused_at = time.time()
        wait_until(lambda: osc.after(refused_at), 8, "datagrams going on")
        wrong = httpx.post(bridge.url + "api/control", json={"command": "pause"},
                           headers={"X-Lyricbridge-Token": "guess"})
        assert wrong.status_code == 403 and "token" in wrong.json()["error"]
        assert "paused\n" not in bridge.err
        open_page(driver, f"{bridge.url}?token={bridge.token}")
        assert not by(driver, "token-hint").is_displayed()
        by(driver, "pause").click()
        wait_until(lambda: "paused\n" in bridge.err, 5, "the bridge to pause")
        wait_until(lambda: by(driver, "status").text == "paused", 5, "the page to say paused")
        assert not error_text(driver)
        assert not js_errors(driver)
    finally:
        assert bridge.stop() == 0, bridge.log()
        osc.close()


def test_bad_requests_get_a_clear_4xx_and_the_stream_goes_on(text_bridge: Bridge) -> None:
    import httpx

    url = text_bridge.url + "api/control"
    json_type = {"Content-Type": "application/json"}
    cases = [
        (dict(content=b"{not json", headers=json_type), 400, "not valid JSON"),
        (dict(content=b"[1, 2]", headers=json_type), 400, "JSON object"),
        (dict(json={"command": "bpm", "value": "fast"}), 400, "takes a number"),
        (dict(json={"command": "bpm", "value": True}), 400, "takes a number"),
        (dict(json={"command": "pause", "value": 3}), 400, "takes no value"),
        (dict(json={"command": "reboot"}), 400, "unknown command"),
        (dict(json={"command": "bpm", "value": 10}), 422, "30 to 300"),
        (dict(json={"command": "temperature", "value": 1.0}), 409, "text"),
        (dict(content=b'{"command": "pause"}', headers={"Content-Type": "text/plain"}), 415,
         "application/json"),
        (dict(content=b"{" + b" " * 5000 + b"}", headers=json_type), 413, "too large"),
        (dict(json={"command": "pause"}, headers={"Origin": "http://example.com"}), 403,
         "the page itself"),
        (dict(json={"command": "pause"}, headers={"Host": "evil.example:80"}), 403, "Host"),
    ]
    paused_before = text_bridge.err.count("paused\n")
    with httpx.Client(timeout=5) as client, client.stream(
            "GET", text_bridge.url + "events") as events:
        lines = events.iter_lines()
        first = []  # the hello event: its data and the browser's reconnect time, in any order
        while (line := next(lines)) != "":
            first.append(line)
        assert any(x.startswith("retry: ") for x in first), first
        assert any(x.startswith('data: {"now":') for x in first), first
        for kwargs, status, message in cases:
            r = client.post(url, **kwargs)  # type: ignore[arg-type]
            assert r.status_code == status, (kwargs, r.text)
            assert message in r.json()["error"], (kwargs, r.text)
        # The stream goes on: line events keep coming after all that.
        kinds = []
        deadline = time.monotonic() + 10
        for line in lines:
            if line.startswith("data:"):
                kinds.append(line)
            if len(kinds) >= 3 or time.monotonic() > deadline:
                break
        assert len(kinds) >= 3 and any('"kind": "line"' in k for k in kinds[1:]), kinds
    assert text_bridge.err.count("paused\n") == paused_before  # no refused pause got through
    assert text_bridge.proc.poll() is None


def test_no_javascript_error_in_the_browser_log(driver: Any) -> None:
    assert not js_errors(driver)


def test_the_voice_button_turns_the_voice_off_and_on(driver: Any, text_bridge: Bridge,
                                                     tmp_path: Path) -> None:
    open_page(driver, text_bridge.url)
    assert not by(driver, "voice").is_displayed()  # no --voice: nothing to switch
    text = tmp_path / "verses.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    osc = OscListener()
    bridge = Bridge(["--text", str(text), "--loop", "--bpm", str(BPM), "--voice"], osc)
    try:
        open_page(driver, bridge.url)
        button = by(driver, "voice")
        wait_until(lambda: button.is_displayed() and button.text == "voice on", 10,
                   "the voice button to show the voice on")
        button.click()
        wait_until(lambda: "voice on → off" in bridge.log(), 5, "the bridge to log voice off")
        wait_until(lambda: button.text == "voice off", 5, "the button to say voice off")
        assert button.get_attribute("aria-pressed") == "false"
        button.click()
        wait_until(lambda: "voice off → on" in bridge.log(), 5, "the bridge to log voice on")
        wait_until(lambda: button.text == "voice on", 5, "the button to say voice on")
        assert not js_errors(driver)
    finally:
        assert bridge.stop() == 0, bridge.log()
        osc.close()
