"""What a soak (``bench/soak.py``) found, its verdict, and its table."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SoakResult:
    lines: int
    seconds: float
    sung_in_order: bool
    missing: list[int]
    repeated: list[int]
    sonic_pi_errors: int
    fuzz_datagrams: int
    rss_mb_min: float
    rss_mb_max: float
    inbox_left: int
    bridge_exit: int | None
    restarts: int = 0
    boot_seconds: list[float] = field(default_factory=list)
    #: Lines that were playing when Sonic Pi was killed (from the log's times), and the lines
    #: sung again right after a restart.
    cut: list[int] = field(default_factory=list)
    sung_again: list[int] = field(default_factory=list)
    viewers: int = 0
    viewer_events_min: int = 0
    viewer_reconnects: int = 0
    viewer_refused: int = 0
    knob_sent: int = 0
    knob_applied: int = 0
    knob_last_in_sonic_pi: str | None = None
    knob_last_expected: str | None = None
    #: Bytes in Sonic Pi's run folder (logs, settings, caches) at the end of each life, in MB.
    disk_mb: list[float] = field(default_factory=list)
    shm_left: int = 0
    rss_drift_mb: float = 0.0
    rss_samples: list[float] = field(default_factory=list)

    @property
    def rss_spread_mb(self) -> float:
        return self.rss_mb_max - self.rss_mb_min

    def ok(self) -> bool:
        return (self.sung_in_order and not self.missing and not self.repeated
                and self.sonic_pi_errors == 0 and self.rss_spread_mb <= 5.0
                and 0 <= self.inbox_left <= 3 and self.bridge_exit == 0
                and sorted(self.cut) == sorted(self.sung_again)
                and (self.viewers == 0 or self.viewer_events_min >= self.lines)
                and self.knob_last_in_sonic_pi == self.knob_last_expected
                and self.shm_left == 0)


def table(r: SoakResult) -> str:
    """The result as a Markdown table."""
    rows = [
        ("lines", f"{r.lines} in {r.seconds:.0f} s"),
        ("sung once each, in order", str(r.sung_in_order and not r.missing and not r.repeated)),
        ("missing / repeated", f"{len(r.missing)} / {len(r.repeated)}"),
        ("Sonic Pi kill -9 + boot", f"{r.restarts} (boots {r.boot_seconds} s)"),
        ("lines cut by a kill / sung again", f"{r.cut} / {r.sung_again}"),
        ("Sonic Pi errors", str(r.sonic_pi_errors)),
        ("control fuzz", f"{r.fuzz_datagrams} datagrams"),
        ("web viewers", f"{r.viewers}, each >= {r.viewer_events_min} events, "
                        f"{r.viewer_reconnects} reconnects, {r.viewer_refused} refused"),
        ("MIDI knob", f"{r.knob_sent} CC sent, {r.knob_applied} applied, last in Sonic Pi "
                      f"{r.knob_last_in_sonic_pi} (expected {r.knob_last_expected})"),
        ("bridge RSS after warm-up", f"{r.rss_mb_min:.1f}..{r.rss_mb_max:.1f} MB (spread "
                                     f"{r.rss_spread_mb:.2f}, drift {r.rss_drift_mb:+.2f}; "
                                     "target <= 5)"),
        ("Sonic Pi run folder per life", f"{r.disk_mb} MB"),
        ("scsynth shared memory left", str(r.shm_left)),
        ("inbox left at the end", str(r.inbox_left)),
        ("bridge exit", str(r.bridge_exit)),
        ("verdict", "PASS" if r.ok() else "FAIL"),
    ]
    return "\n".join(["| check | result |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])
