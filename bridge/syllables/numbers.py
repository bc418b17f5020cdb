"""Numbers as words: "22" -> "twenty-two", "1999" -> "nineteen ninety-nine", 3rd -> third."""

from __future__ import annotations

import unicodedata

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))


def say_number(digits: str) -> str:
    """Spell a run of decimal digits as English words ("22" -> "twenty-two")."""
    values = [unicodedata.decimal(c, 0) for c in digits]
    if len(values) > 12 or (len(values) > 1 and values[0] == 0):
        return " ".join(_ONES[v] for v in values)
    number = 0
    for v in values:
        number = number * 10 + v
    if len(values) == 4 and 1100 <= number <= 1999 and number % 100:
        return f"{_say_below_thousand(number // 100)} {_say_below_thousand(number % 100)}"
    return _say_int(number)


def ordinal(word: str) -> str:
    """The ordinal of one number word (three -> third, twenty -> twentieth)."""
    irregular = {"one": "first", "two": "second", "three": "third", "five": "fifth"}
    irregular |= {"eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
    if word in irregular:
        return irregular[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def _say_int(number: int) -> str:
    if number == 0:
        return "zero"
    words: list[str] = []
    for scale, name in _SCALES:
        if number >= scale:
            words.append(f"{_say_int(number // scale)} {name}")
            number %= scale
    if number:
        words.append(_say_below_thousand(number))
    return " ".join(words)


def _say_below_thousand(number: int) -> str:
    words: list[str] = []
    if number >= 100:
        words.append(f"{_ONES[number // 100]} hundred")
        number %= 100
    if number >= 20:
        tens, ones = divmod(number, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif number or not words:
        words.append(_ONES[number])
    return " ".join(words)


