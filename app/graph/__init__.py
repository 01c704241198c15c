"""The autograd graph of a training step and the gradients that flowed back through it (no web imports)."""
