"""netlib: neural networks for handwritten digits, written from scratch in NumPy.

The package itself imports nothing (netlib/lazy.py says why): import the modules you need
(netlib.config, netlib.trainer, netlib.presets, ...).
"""
