"""Entrypoints: the `rapport` command line."""
