"""Benchmarks: figures printed side by side with a baseline from the same run; no pass/fail."""
