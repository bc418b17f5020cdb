"""The character-level GRU: vocabulary, numpy network, sampling, model files and their checks."""
