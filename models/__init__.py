"""The shipped default lyric model (``default/``): weights, vocabulary, config and card."""
