"""Every live_loop in every shipped Ruby file sets its tempo (``use_bpm``) or real time
(``use_real_time``) before it first sleeps or syncs.

Sonic Pi 4 runs a thread on the Link session's tempo until ``use_bpm`` is called, so a loop that
sleeps first would follow whatever tempo a Link session has. Ruby's own parser (Ripper) reads
the files, so comments and strings cannot fool the check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SONICPI_DIR

RUBY_FILES = sorted(SONICPI_DIR.rglob("*.rb"))
CLOCK = ("use_bpm", "use_real_time")
WAITS = ("sleep", "sync")

#: For each file in ARGV: one JSON object per live_loop with the first of the words below that
#: its block calls, in source order (nested blocks included).
FIRST_WORD_RB = r"""
require "ripper"
require "json"
WORDS = %w[use_bpm use_real_time sleep sync]

def idents(node, out)
  return unless node.is_a?(Array)
  if node[0] == :@ident && WORDS.include?(node[1])
    out << [node[2], node[1]]
  else
    node.each { |child| idents(child, out) }
  end
end

def loops(node, file, out)
  return unless node.is_a?(Array)
  if node[0] == :method_add_block && node[1].is_a?(Array) &&
     [:command, :method_add_arg, :fcall].include?(node[1][0])
    call = node[1]
    call = call[1] while call[0] == :method_add_arg
    name_node = call[1]
    if name_node.is_a?(Array) && name_node[0] == :@ident && name_node[1] == "live_loop"
      found = []
      idents(node[2], found)
      first = found.min_by { |pos, _| pos }
      out << { file: file, line: name_node[2][0], first: first && first[1],
               at: first && first[0][0] }
    end
  end
  node.each { |child| loops(child, file, out) }
end

out = []
ARGV.each do |file|
  tree = Ripper.sexp(File.read(file))
  if tree.nil?
    out << { file: file, error: "Ruby cannot parse it" }
  else
    loops(tree, file, out)
  end
end
puts JSON.generate(out)
"""


def first_words(files: list[Path]) -> list[dict[str, object]]:
    """Each live_loop in ``files``, with the first tempo, sleep or sync word it calls."""
    ruby = shutil.which("ruby")
    if ruby is None:
        pytest.fail("ruby is not installed (Debian: apt-get install ruby)", pytrace=False)
    done = subprocess.run([ruby, "-e", FIRST_WORD_RB, *map(str, files)], capture_output=True,
                          text=True, timeout=60, check=True)
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def late_clocks(files: list[Path]) -> list[str]:
    """Where a live_loop sleeps or syncs before it sets its tempo (or never sets it)."""
    out = []
    for loop in first_words(files):
        if loop.get("error") or loop["first"] not in CLOCK:
            out.append(f"{Path(str(loop['file'])).name}:{loop.get('line')}: live_loop starts "
                       f"with {loop.get('first') or loop.get('error')!r} at line {loop.get('at')}")
    return out


def test_every_ruby_file_is_checked() -> None:
    names = {p.relative_to(SONICPI_DIR).as_posix() for p in RUBY_FILES}
    assert {"lyrics_melody.rb", "tabla_groove.rb", "jam.rb", "kids/04_lyrics_melody.rb"} <= names
    loops = first_words(RUBY_FILES)
    assert {Path(str(x["file"])) for x in loops} == set(RUBY_FILES)  # each file has a loop
    assert len(loops) >= 15


@pytest.mark.parametrize("rb", RUBY_FILES, ids=lambda p: p.relative_to(SONICPI_DIR).as_posix())
def test_live_loops_set_their_clock_before_they_wait(rb: Path) -> None:
    assert late_clocks([rb]) == []


def test_the_check_catches_a_loop_that_sleeps_first(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rb"
    bad.write_text('# use_bpm 60 in a comment does not count\n'
                   'live_loop :poll do\n  sleep 0.25 until get(:x)   # "use_bpm"\n'
                   '  use_bpm 90\nend\n'
                   'live_loop :ears do\n  x = sync "/osc*/a"\n  use_real_time\nend\n'
                   'live_loop :fine do\n  use_real_time\n  sync "/osc*/b"\nend\n'
                   'live_loop(:never) { play 60 }\n', encoding="utf-8")
    assert late_clocks([bad]) == [
        "bad.rb:2: live_loop starts with 'sleep' at line 3",
        "bad.rb:6: live_loop starts with 'sync' at line 7",
        "bad.rb:14: live_loop starts with None at line None",
    ]
