"""lyricbridge: lyrics as syllables with stress, streamed over OSC to Sonic Pi."""

__version__ = "0.1.0"
