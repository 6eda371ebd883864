"""Our training loop against an independent NumPy transcription of the authors' loop.

The reference below is written from Krotov's public notebook ("Unsupervised learning
algorithm", the code of Krotov & Hopfield, PNAS 2019), in float64 NumPy, for this test
only: it imports nothing from hebbian. It shares with our loop only the inputs: the
data, the initial weights and the order of the samples in each epoch (drawn here by
``torch.randperm`` from a generator seeded as the one our loop is given).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hebbian.competing import CompetingParams, fit_competing, initial_weights
from hebbian.competing.training import competing_epoch_outcome


def notebook_loop(
    data: np.ndarray,
    synapses: np.ndarray,
    orders: list[np.ndarray],
    *,
    p: float,
    k: int,
    delta: float,
    eps0: float,
    batch: int,
    epochs: int,
    prec: float = 1e-30,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The notebook's loop: returns the weights and each epoch's win counts per unit."""
    synapses = synapses.copy()
    hid, n_in = synapses.shape
    ns = data.shape[0]
    wins = []
    for nep in range(epochs):
        eps = eps0 * (1 - nep / epochs)
        shuffled = data[orders[nep], :]
        won = np.zeros(hid, dtype=np.int64)
        for i in range(ns // batch):
            inputs = np.transpose(shuffled[i * batch : (i + 1) * batch, :])  # (N, B)
            sig = np.sign(synapses)
            tot_input = np.dot(sig * np.absolute(synapses) ** (p - 1), inputs)  # (H, B)
            y = np.argsort(tot_input, axis=0)  # ascending: the strongest last
            yl = np.zeros((hid, batch))
            yl[y[hid - 1, :], np.arange(batch)] = 1.0
            yl[y[hid - k], np.arange(batch)] = -delta
            xx = np.sum(np.multiply(yl, tot_input), 1)  # (H,)
            ds = np.dot(yl, np.transpose(inputs)) - np.multiply(
                np.tile(xx.reshape(xx.shape[0], 1), (1, n_in)), synapses
            )
            nc = np.amax(np.absolute(ds))
            if nc < prec:
                nc = prec
            synapses += eps * np.true_divide(ds, nc)
            np.add.at(won, y[hid - 1, :], 1)
        wins.append(won)
    return synapses, wins


CASES = [
    # the notebook's own settings, and the paper's p, k, Delta
    {"hidden_units": 16, "p": 2.0, "k": 2, "delta": 0.4, "learning_rate": 0.05},
    {"hidden_units": 24, "p": 3.0, "k": 7, "delta": 0.4, "learning_rate": 0.04},
    {"hidden_units": 12, "p": 4.5, "k": 3, "delta": 0.3, "learning_rate": 0.1},
]


@pytest.mark.parametrize("settings", CASES)
@pytest.mark.parametrize("dense", [False, True], ids=["row-sparse", "dense"])
def test_several_annealed_epochs_equal_the_published_loop(settings: dict, dense: bool) -> None:
    """4 epochs of 7 batches (the last incomplete batch dropped), rate annealed each epoch."""
    gen = torch.Generator().manual_seed(11)
    data = torch.rand(150, 20, generator=gen, dtype=torch.float64)  # pixel-like, >= 0
    params = CompetingParams(batch_size=20, epochs=4, **settings)
    start = initial_weights(params.hidden_units, 20, params, gen, dtype=torch.float64)
    shuffle_seed = 5
    orders_gen = torch.Generator().manual_seed(shuffle_seed)
    orders = [torch.randperm(150, generator=orders_gen).numpy() for _ in range(4)]
    expected, expected_wins = notebook_loop(
        data.numpy(), start.numpy(), orders,
        p=params.p, k=params.k, delta=params.delta, eps0=params.learning_rate,
        batch=20, epochs=4,
    )  # fmt: skip

    weight, loop_gen = start, torch.Generator().manual_seed(shuffle_seed)
    for epoch in range(4):
        weight, wins, _ = competing_epoch_outcome(
            weight, data, params, epoch, loop_gen, reduce=(lambda t: t) if dense else None
        )
        assert wins.tolist() == expected_wins[epoch].tolist()  # the ranking, exactly
    np.testing.assert_allclose(weight.numpy(), expected, rtol=0, atol=1e-13)
    assert np.abs(expected - start.numpy()).max() > 0.1  # it learned: the test has teeth
    assert sum(int(w.sum()) for w in expected_wins) == 4 * 7 * 20

    # fit_competing is the same loop over the epochs
    fitted = fit_competing(data, params, torch.Generator().manual_seed(shuffle_seed), weight=start)
    np.testing.assert_allclose(fitted.numpy(), expected, rtol=0, atol=1e-13)
