"""What a disagreement means: the kind of each block's error, and advice on the check's set-up."""
