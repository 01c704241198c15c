"""Autograd Live: watch a neural network learn, step by step, in the browser."""

__version__ = "0.1.0"
