"""Profiles: mergeable summaries of a dataset or a window, per feature, fixed by a reference."""
