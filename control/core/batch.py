"""Helpers for the few bulk operations (census import, metrics import, zombie scan)."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_gc_pauses() -> Iterator[None]:
    """A bulk operation allocates hundreds of thousands of long-lived objects (cells, rows, verdicts,
    audit entries), and the cycle collector walks them all again at every generation-2 collection: a
    third to a half of the run. They form no cycles that need collecting before the operation returns."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
