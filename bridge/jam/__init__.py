"""Jam mode: several performers' bridges sing one song, kept as a Raft-replicated log.

Needs the ``[jam]`` extra (pysyncobj; ``cryptography`` for a shared secret).
"""
