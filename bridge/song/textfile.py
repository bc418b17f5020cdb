"""Read user text files (lyrics, corpora) with one clear error for each way they can be bad."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from bridge.errors import InputError


def read_text(path: str | Path, what: str = "text file", min_bytes: int = 1) -> str:
    """Read a UTF-8 text file, or stdin for ``-``; missing, empty, binary, non-UTF-8: errors."""
    return read_text_digest(path, what, min_bytes)[0]


def read_text_digest(path: str | Path, what: str = "text file",
                     min_bytes: int = 1) -> tuple[str, str]:
    """``read_text``, and the SHA-256 (hex) of the bytes read: stdin can be read only once."""
    if str(path) == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{what} not found: {p}; give the path of an existing file")
        if not p.is_file():
            raise InputError(f"{what} is not a regular file: {p}; give a text file")
        data = p.read_bytes()
        name = str(p)
    if not data.strip():
        raise InputError(f"{what} is empty: {name}; give a file with lyric lines in it")
    if b"\x00" in data:
        raise InputError(f"{what} looks binary (it has NUL bytes): {name}; give a plain text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{what} is not UTF-8 (bad byte at offset {e.start}): {name}; save it as UTF-8"
        ) from None
    if len(data) < min_bytes:
        raise InputError(
            f"{what} is too small: {name} has {len(data)} bytes, at least {min_bytes} are needed; "
            "give a larger text"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return text, hashlib.sha256(data).hexdigest()
