"""Jam mode: several performers' bridges sing one song, kept as a Raft-replicated log.

Needs the ``[jam]`` extra (pysyncobj, and ``cryptography`` for the secret every jam shares).
"""

#: Why a jam refuses to start without a secret.
NO_SECRET = ("a jam needs a shared secret: give every node the same --secret (or set "
             "$LYRICBRIDGE_JAM_SECRET); without one, anyone who can reach --node could run "
             "code on this machine")
