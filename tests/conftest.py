"""Test-wide settings.

The tests' tensors are small: one intra-op thread avoids thread-pool hand-offs that
cost more than the work, and stalls when the two cores of a CI machine are busy.
"""

from __future__ import annotations

import torch

torch.set_num_threads(1)
