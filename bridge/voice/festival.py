"""One long-running Festival process: asks it how it splits words into syllables, and has it
sing a line (its singing mode) into a WAV file.

Festival reads Scheme on its standard input; every request ends with a marker line, so the
answer is what it prints before the marker. Starting Festival costs about half a second, so
one process serves every line.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from pathlib import Path

from bridge.errors import BridgeError

log = logging.getLogger(__name__)

VOICE_DIRS = (Path("/usr/share/festival/voices/english/kal_diphone"),)
_DONE = "#lyricbridge-done#"

#: Scheme loaded once. ``lb_words`` prints, for each token of a text, the words Festival makes
#: of it and how many syllables each has. ``lb_sing`` sings a singing-mode XML file into a WAV
#: and prints every syllable's vowel onset. Singing mode's own timing lets short syllables
#: drift by up to a tenth of a second, so its durations are warped afterwards: piecewise
#: linearly, so that each syllable's first vowel starts exactly at ``lb_onsets``' time, with
#: the consonants before it as long as Festival made them, up to 0.1 s (vowels and rests
#: stretch).
SETUP = r"""
(require 'singing-mode)
(define (lb_words text)
  (let ((u (eval (list 'Utterance 'Text text))) (tok nil))
    (Initialize u) (Text u) (Token_POS u) (Token u) (POS u) (Phrasify u) (Word u)
    (set! tok (utt.relation.first u 'Token))
    (while tok
      (format t "T")
      (mapcar (lambda (w)
                (format t " %s %d" (item.name w)
                        (length (item.daughters (item.relation w 'SylStructure)))))
              (item.daughters tok))
      (format t "\n")
      (set! tok (item.next tok)))))
(define (lb_vowel_start syl)
  (let ((segs (item.leafs (item.relation syl 'SylStructure))) (found nil))
    (mapcar (lambda (s) (if (and (not found) (equal? "+" (item.feat s "ph_vc"))) (set! found s)))
            segs)
    (if (not found) (set! found (car segs)))
    (item.feat (item.relation found 'Segment) "segment_start")))
(define (lb_warp_time x anchors)
  (let ((a (car anchors)) (rest (cdr anchors)) (done nil) (result x))
    (while (and rest (not done))
      (let ((b (car rest)))
        (if (<= x (car b))
            (begin
              (set! done t)
              (set! result
                    (if (<= (car b) (car a)) (cadr b)
                        (+ (cadr a) (* (- x (car a)) (/ (- (cadr b) (cadr a))
                                                         (- (car b) (car a)))))))))
        (set! a b)
        (set! rest (cdr rest))))
    (if done result (+ (cadr a) (- x (car a))))))
(define (lb_warp utt)
  (let ((anchors (list (list 0.0 0.0))) (onsets lb_onsets))
    (mapcar (lambda (syl)
              (if onsets
                  (let ((old (lb_vowel_start syl)) (new (car onsets))
                        (s (item.feat syl "syllable_start")) (top (car (last anchors))))
                    ;; the consonants before the vowel keep their length (at most 0.1 s),
                    ;; ending on the note
                    (let ((c (if (> (- old s) 0.1) 0.1 (- old s))))
                      (if (and (> s (car top)) (> (- new c) (+ (cadr top) 0.01)))
                          (set! anchors (append anchors (list (list s (- new c)))))))
                    (if (and (> old (car (car (last anchors))))
                             (> new (cadr (car (last anchors)))))
                        (set! anchors (append anchors (list (list old new)))))
                    (set! onsets (cdr onsets)))))
            (utt.relation.items utt 'Syllable))
    (mapcar (lambda (seg)
              (item.set_feat seg 'end (lb_warp_time (item.feat seg 'end) anchors)))
            (utt.relation.items utt 'Segment))
    utt))
(set! lb_singing_durations singing_duration_method)
(define (singing_duration_method utt) (lb_singing_durations utt) (lb_warp utt))
(define (lb_sing xml wav onsets)
  (set! lb_onsets onsets)
  (set! lb_utts nil)
  (set! tts_hooks (list utt.synth (lambda (utt) (set! lb_utts (cons utt lb_utts)) utt)))
  (tts_file xml 'singing)
  (let ((utt (car lb_utts)) (syl nil))
    (utt.save.wave utt wav 'riff)
    (set! syl (utt.relation.first utt 'Syllable))
    (while syl
      (format t "S %f\n" (lb_vowel_start syl))
      (set! syl (item.next syl)))))
(define (lb_say text wav)
  (utt.save.wave (utt.synth (eval (list 'Utterance 'Text text))) wav 'riff))
"""


def voice_installed() -> bool:
    """Whether Festival's English diphone voice is installed."""
    return any(d.is_dir() for d in VOICE_DIRS)


def scheme_string(text: str) -> str:
    """A Scheme string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Festival:
    """A Festival process that answers one request at a time (thread-safe)."""

    def __init__(self, program: str = "festival") -> None:
        try:
            # stdbuf: Festival's stdout is block-buffered on a pipe; answers must come per line.
            self._proc = subprocess.Popen(
                ["stdbuf", "-oL", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1)
        except FileNotFoundError as e:
            raise BridgeError(f"cannot start Festival ({e}); install festival") from None
        self._lock = threading.Lock()
        self.ask(SETUP)

    def ask(self, scheme: str) -> list[str]:
        """Evaluate Scheme; the lines Festival printed (prompts and blanks left out)."""
        with self._lock:
            stdin, stdout = self._proc.stdin, self._proc.stdout
            assert stdin is not None and stdout is not None
            try:
                stdin.write(f'{scheme}\n(format t "\\n{_DONE}\\n")\n')
                stdin.flush()
            except (BrokenPipeError, ValueError):
                raise BridgeError("Festival stopped; start the bridge again") from None
            lines: list[str] = []
            while True:
                line = stdout.readline()
                if not line:
                    code = self._proc.wait()
                    raise BridgeError(f"Festival stopped (exit status {code}) after: "
                                      + " ".join(lines[-3:]))
                if _DONE in line:
                    return lines
                line = line.replace("festival>", "").strip()
                if line:
                    lines.append(line)

    def words(self, words: list[str]) -> list[list[tuple[str, int]]]:
        """For each word, the words Festival makes of it and their syllable counts."""
        if not words:
            return []
        out = self.ask(f"(lb_words {scheme_string(' '.join(words))})")
        result = [[(parts[i], int(parts[i + 1])) for i in range(1, len(parts) - 1, 2)]
                  for parts in (line.split(" ") for line in out if line.startswith("T"))]
        if len(result) != len(words):
            raise BridgeError(f"Festival read {len(result)} words in {len(words)}: {words!r}")
        return result

    def sing(self, xml: Path, wav: Path, onsets: list[float]) -> list[float]:
        """Sing a singing-mode XML file into ``wav``; each syllable's vowel onset, seconds."""
        times = " ".join(f"{t:.4f}" for t in onsets)
        out = self.ask(f"(lb_sing {scheme_string(str(xml))} {scheme_string(str(wav))} "
                       f"'({times}))")
        errors = [line for line in out if "SIOD ERROR" in line or "rror" in line]
        if errors or not wav.is_file():
            raise BridgeError(f"Festival could not sing {xml.name}: {' '.join(errors or out)}")
        return [float(line.split()[1]) for line in out if line.startswith("S ")]

    def say(self, text: str, wav: Path) -> None:
        """Speak ``text`` (no singing) into ``wav``."""
        self.ask(f"(lb_say {scheme_string(text)} {scheme_string(str(wav))})")

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self._proc.poll() is None

    def close(self) -> None:
        """Stop the process."""
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                log.warning("Festival did not stop; killing it")
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> Festival:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
