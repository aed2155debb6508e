"""Comparing files and frames with a reference: chunks, per-chunk drift, the drift report."""
