"""Errors the run layer raises: each message says what went wrong and what to do about it."""

from __future__ import annotations


class RunError(Exception):
    """Base class: anything the run layer refuses or fails to do."""


class RunNotFoundError(RunError, LookupError):
    """The run id is unknown: never created, deleted, or not a valid id at all."""


class NoWeightsError(RunError):
    """The run exists but has no saved weights of the kind asked for."""


class StoreError(RunError):
    """The run data directory or database cannot be written (permissions, disk full, ...)."""


class DamagedStoreError(StoreError):
    """The database file is not a database any more: set it aside, rebuild from the folders."""
