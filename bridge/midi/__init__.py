"""Play the bridge from a MIDI keyboard: knobs, pads and keys mapped by a small TOML file.

``mapfile`` reads and writes maps, ``mapping`` turns messages into actions (both pure),
``ports`` talks to mido, ``controller`` runs beside the daemon, ``learn`` writes a map by
asking for each control in turn. mido is imported only by ``ports``.
"""
