"""The clean-words filter: whole-word, case-insensitive matching against a small blocklist."""

from __future__ import annotations

import re

# Strong profanity, slurs and sexual words a children's lyric generator must never sing.
# Kept short on purpose: the training corpus was already filtered; this is the last guard.
BLOCKLIST = frozenset(
    """
    arse arsehole ass asshole bastard bitch bitches bollocks boner boob boobs bugger
    bullshit butthole clit cock cocks crap cum cunt cunts damn damned dick dicks dildo dyke
    fag faggot fags fanny fuck fucked fucker fucking fucks goddamn hell homo horny jizz
    kike knob nigga nigger niggers nonce orgasm paki penis piss pissed poof porn prick
    pussy queer rape raped rapist retard sex sexy shag shit shits shitty slag slut sluts
    spastic spic tit tits titty tosser twat vagina wank wanker whore whores
    """.split()
)

_WORD = re.compile(r"[a-z]+")


def blocked_words(line: str) -> list[str]:
    """The blocklisted words in a line, lower-cased, in order."""
    return [w for w in _WORD.findall(line.lower()) if w in BLOCKLIST]

