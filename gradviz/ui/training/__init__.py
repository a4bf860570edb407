"""Training: the panel, its worker thread, the live plots."""
