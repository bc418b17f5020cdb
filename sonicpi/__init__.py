"""The Ruby live loops for Sonic Pi, installed with the package so ``render`` and ``doctor`` find them."""
