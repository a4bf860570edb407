"""The lectures' experiments: ε sweep, checks during training, sanity checks, bias and variance."""
