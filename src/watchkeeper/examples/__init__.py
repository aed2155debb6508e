"""Example workspace files bundled with watchkeeper (``watchkeeper init --example NAME``)."""
