"""What a check found: per-block arrays, the lectures' ratio and the numbers derived from them."""
