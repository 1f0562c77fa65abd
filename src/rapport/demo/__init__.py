"""The demo store and showcase."""
