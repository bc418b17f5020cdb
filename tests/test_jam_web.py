"""A jam node's web page in a real headless Chromium: the agreed song with its sections, and a
tempo typed in one performer's page reaches every node at the same line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jamkit import BPM, assert_one_song, wait_until
from test_jam import Jam, make_jam  # noqa: F401  (the fixture)
from test_jam_song import FORM

from tests.webtools import CHROMEDRIVER, CHROMIUM, chromium, js_errors

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way
pytest.importorskip("selenium")
pytest.importorskip("uvicorn")

PAGE_JS = """return [document.getElementById('section').textContent,
  document.getElementById('title').textContent,
  document.querySelector('[data-testid=current-line]').textContent,
  [...document.querySelectorAll('[data-testid=current-line] [data-testid=syllable]')]
    .map(e => e.textContent)];"""


@pytest.fixture
def driver() -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"the web tests need Debian's chromium and chromium-driver (missing: "
                    f"{', '.join(missing)})", pytrace=False)
    d = chromium()
    yield d
    d.quit()


def test_the_jam_page_shows_the_song_and_shares_its_controls(
        driver: Any, make_jam: type[Jam]) -> None:  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    jam = make_jam(3, model=True, extra=FORM, web=True)
    jam.wait_lines(2, timeout=60)
    driver.get(f"http://127.0.0.1:{jam.web_port}/")
    seen: list[list[Any]] = []

    def looked() -> bool:
        seen.append(driver.execute_script(PAGE_JS))
        return len({s[0] for s in seen if s[3]}) >= 2  # a verse and a chorus shown

    wait_until(looked, 30, "the page to show a verse and a chorus", step=0.1)
    shown = [s for s in seen if s[3]]
    assert {s[0] for s in shown} == {"verse", "chorus"}
    for section, title, _, syllables in shown:
        # Each line shown is one this node sent, with its section and the song's title.
        sent = [h.line for h in jam.listeners[0].heard
                if [g[0] for g in h.line.groups] == syllables]
        assert sent, syllables
        assert section in {line.section for line in sent} and title
    # A tempo typed in this performer's page: every node changes at the same line.
    box = driver.find_element("css selector", "[data-testid=bpm]")
    box.clear()
    box.send_keys("200" + Keys.ENTER)
    wait_until(lambda: all(any(h.line.bpm == 200.0 for h in lis.heard)
                           for lis in jam.listeners), 20, "lines at 200 bpm on every node")
    assert len({next(h.line.seq for h in lis.heard if h.line.bpm == 200.0)
                for lis in jam.listeners}) == 1
    wait_until(lambda: driver.find_element("css selector", "[data-testid=bpm-now]").text
               == "200", 10, "the page to show the agreed tempo")
    assert all(h.line.bpm in (BPM, 200.0) for h in jam.listeners[0].heard)
    assert_one_song(jam.listeners)
    assert not js_errors(driver)
