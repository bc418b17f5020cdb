"""The character vocabulary of a lyric model: characters to ids and back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from bridge.errors import InputError


class Vocabulary:
    """An ordered set of characters; a character's id is its index."""

    def __init__(self, chars: Sequence[str]) -> None:
        if len(set(chars)) != len(chars) or any(len(c) != 1 for c in chars):
            raise InputError(f"a vocabulary needs distinct single characters, got {list(chars)!r}")
        self.chars: tuple[str, ...] = tuple(chars)
        self._ids = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """The sorted set of characters in a text."""
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: object) -> bool:
        return char in self._ids

    def unknown(self, text: Iterable[str]) -> list[str]:
        """The distinct characters of a text outside the vocabulary, in order of first use."""
        seen: dict[str, None] = {}
        for c in text:
            if c not in self._ids:
                seen[c] = None
        return list(seen)

    def encode(self, text: str, what: str = "text") -> np.ndarray:
        """Ids of a text's characters; characters outside the vocabulary are an InputError."""
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing[:10])
            raise InputError(
                f"{what} has characters the model does not know: {shown}; "
                f"use only these: {''.join(self.chars)!r}"
            )
        return np.fromiter((self._ids[c] for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids: Iterable[int]) -> str:
        """The text of a sequence of ids."""
        return "".join(self.chars[i] for i in ids)

    def id_of(self, char: str) -> int:
        """The id of one character (KeyError if unknown)."""
        return self._ids[char]
