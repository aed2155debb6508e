"""Predictions and outcomes logged from outside: files, frames and HTTP bodies, one check.

This package's top is light (no Polars, no Arrow), so the command line can name its
defaults without importing them.
"""

DEFAULT_BATCH_ROWS = 250_000
"""Rows of a file read, checked and logged at a time: one Delta commit each."""

__all__ = ["DEFAULT_BATCH_ROWS"]
