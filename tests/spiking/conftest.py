"""Shared settings of the spiking tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_intra_op_thread() -> Iterator[None]:
    """Run each test with one intra-op thread, then restore the previous setting.

    The simulations are thousands of steps on small tensors. On a busy two-core machine a
    multithreaded op can wait a whole scheduler tick for its second thread, which makes
    such loops several times slower without changing a single number.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
