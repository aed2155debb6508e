"""Predictions and outcomes logged from outside: files, frames and HTTP bodies, one check."""
