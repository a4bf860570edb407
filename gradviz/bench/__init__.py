"""Benchmarks: the fast engine against the reference loop, and the window's responsiveness."""
