"""Measuring gradients: the model protocol and its targets, the reference loop, the fast engine,
the quick check, and the function that runs a whole check."""
