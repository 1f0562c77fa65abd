"""Migration scripts, named NNNN_what.py with revision ids like "0001_initial"."""
