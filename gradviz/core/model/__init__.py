"""The built-in network: specs, layers (forward beside backward), losses, planted bugs, θ, training."""
