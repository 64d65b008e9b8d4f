"""netlib: neural networks for handwritten digits, written from scratch in NumPy.

The package itself imports nothing: import the modules you need (netlib.config, netlib.trainer,
netlib.presets, ...). The dashboard's pages run in several script threads at once, and a package
whose __init__ imports its own submodules makes concurrent first imports wait on each other's
module locks, which Python resolves by handing one thread a partially initialised module
("cannot import name 'PRESETS' from partially initialized module 'netlib.presets'", seen on a
freshly restarted server).
"""
