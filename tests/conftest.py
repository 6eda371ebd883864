"""Test-wide settings: one intra-op thread, a ``threads`` fixture and the ``cuda`` marker.

The tests' tensors are small: one intra-op thread avoids thread-pool hand-offs that
cost more than the work, and stalls when the two cores of a CI machine are busy. Each
test starts with one thread and gets back whatever it changed.

Tests that need a CUDA device carry ``@pytest.mark.cuda``; they are skipped where
``torch.cuda.is_available()`` is false.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Run each test with one intra-op thread, then restore the previous setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _threads(count: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def threads() -> Callable[[int], contextlib.AbstractContextManager[None]]:
    """``with threads(2): ...`` runs a block with that many intra-op threads."""
    return _threads


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``cuda`` where no CUDA device is available."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
