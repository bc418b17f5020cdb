"""Streaming to Sonic Pi: the run loop, the OSC protocol, transport, controls, confirmations."""
