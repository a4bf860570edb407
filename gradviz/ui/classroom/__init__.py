"""The classroom: lessons, sealed-bug quiz, formula panel, ε sweep, checkpoint timeline, presenter view."""
