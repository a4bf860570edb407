"""The check: its settings panel, the worker that runs it, the heatmap, verdict and inspector."""
