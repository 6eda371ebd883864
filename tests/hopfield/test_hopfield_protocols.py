"""Recall protocols of hopfield.protocols against the estimators they compose."""

from __future__ import annotations

import torch

from hebbian.data import random_binary_patterns
from hebbian.hopfield import HopfieldNetwork, StorageRule, angle_decode, angle_encode, flip_bits
from hebbian.hopfield.protocols import (
    angle_code_retrieve,
    dense_exact_recalls,
    recall_at_nested_loads,
    recall_exactly,
)


def test_nested_loads_match_networks_fitted_from_scratch_for_the_hebb_rule():
    g = torch.Generator().manual_seed(0)
    patterns = random_binary_patterns(30, 100, generator=g)
    cues = [patterns, flip_bits(patterns, 0.1, g)]
    counts = [5, 15, 30]
    exact, overlap = recall_at_nested_loads(
        StorageRule.HEBB, patterns, counts, cues, generator=torch.Generator().manual_seed(1)
    )
    assert exact.shape == overlap.shape == (2, 3) and exact.dtype == torch.float64
    assert exact[0, 0] == 5  # 5 patterns of 100 bits: every one a fixed point
    # exact recall from a noisy cue ends at a fixed point, so never beats the clean cue
    assert bool((exact[1] <= exact[0]).all())
    assert bool((overlap <= torch.tensor(counts, dtype=torch.float64) + 1e-6).all())


def test_recall_exactly_flags_the_cues_that_end_at_their_truth():
    xi = torch.tensor([[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]])
    net = HopfieldNetwork().fit(xi)
    result, exact = recall_exactly(net, torch.cat([xi, -xi]), torch.cat([xi, xi]))
    assert exact.tolist() == [True, False]  # -xi is a fixed point too
    assert result.states.shape == (2, 6)


def test_dense_exact_recalls_counts_every_probe_of_every_memory():
    exact, cues = dense_exact_recalls(
        3, 4, 32, probes=10, max_sweeps=1, generator=torch.Generator().manual_seed(0)
    )
    assert cues == 12  # ceil(10 / 4) = 3 memories of 4 probes
    assert 0 <= exact <= cues


def test_angle_code_retrieve_recovers_a_half_masked_stored_image():
    grey = torch.rand(5, 40, generator=torch.Generator().manual_seed(2))
    unknown = torch.zeros(5, 40, dtype=torch.bool)
    unknown[:, 20:] = True
    cues = torch.where(unknown, 0.5, grey)
    retrieved = angle_code_retrieve(cues, unknown, angle_encode(grey), beta=10.0)
    torch.testing.assert_close(angle_decode(retrieved), grey, atol=0.02, rtol=0)
