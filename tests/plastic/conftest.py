"""One intra-op thread for the plastic tests.

These tests run thousands of tiny tensor operations. On a machine whose cores are busy
with other work, two OpenMP threads wait on each other at every operation and the
learning test slows from under a second to half a minute; one thread is as fast as two
when the machine is idle. The setting is restored after each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
