"""The epoch's win counts, its host reads, exact ties, and the two named variants of the rule."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch

from hebbian.competing import (
    AntiHebbian,
    CompetingParams,
    Homeostasis,
    annealed_rate,
    competing_epoch,
    competing_update,
    competition,
    fit_competing,
    hidden_currents,
    initial_weights,
    normalised_increment,
)
from hebbian.competing.rule import rank_first_and_kth
from hebbian.competing.training import competing_epoch_outcome

F64 = torch.float64


def test_the_defaults_are_the_published_rule() -> None:
    params = CompetingParams()
    assert params.anti_hebbian is AntiHebbian.ALWAYS
    assert params.homeostasis is Homeostasis.NONE


# --------------------------------------------------------------------------- ties
def test_constructed_ties_go_to_the_lower_index_at_both_ranks() -> None:
    """Rows built so that the winner's and the k-th value are each held by several units."""
    currents = torch.tensor(
        [
            [2.0, 7.0, 7.0, 1.0, 7.0, 3.0, 3.0, 3.0],  # winner tie 1,2,4; k=5: 3s at 5,6,7
            [0.0, -0.0, 0.0, -1.0, -1.0, -1.0, -1.0, -1.0],  # 0.0 == -0.0: one tie
            [5.0] * 8,  # all equal
            [-3.0, -2.0, -2.0, -2.0, -2.0, -9.0, -2.0, -2.0],
        ],
        dtype=F64,
    )
    first, kth, first_value, kth_value = rank_first_and_kth(currents, 5)
    assert first.tolist() == [1, 0, 0, 1]
    # stable descending order: row 0: 1 2 4 | 5 6 7 ... -> 5th is 6; row 1: 0 1 2 3 4 -> 4;
    # row 2: 4; row 3: 1 2 3 4 6 -> 6
    assert kth.tolist() == [6, 4, 4, 6]
    assert first_value.tolist() == [7.0, 0.0, 5.0, -2.0]
    assert kth_value.tolist() == [3.0, -1.0, 5.0, -2.0]
    order = torch.sort(currents, dim=1, descending=True, stable=True).indices
    assert torch.equal(first, order[:, 0]) and torch.equal(kth, order[:, 4])


def test_ties_rank_by_index_on_rows_wider_than_the_top_k_kernels_block() -> None:
    """Long rows of two values (where top-k kernels pick among equals as they like)."""
    gen = torch.Generator().manual_seed(0)
    currents = torch.randint(0, 2, (64, 3000), generator=gen).to(torch.float32)
    for k in (2, 7, 40):
        first, kth, _, _ = rank_first_and_kth(currents, k)
        order = torch.sort(currents, dim=1, descending=True, stable=True).indices
        assert torch.equal(first, order[:, 0]) and torch.equal(kth, order[:, k - 1])


# --------------------------------------------------------------------------- win counts
def test_wins_count_the_samples_each_unit_won_during_the_epoch() -> None:
    gen = torch.Generator().manual_seed(1)
    data = torch.rand(95, 6, generator=gen, dtype=F64)
    params = CompetingParams(hidden_units=10, p=3.0, k=3, batch_size=15, epochs=2)
    start = initial_weights(10, 6, params, gen, dtype=F64)
    order = torch.randperm(95, generator=torch.Generator().manual_seed(2))
    weight, expected = start.clone(), torch.zeros(10, dtype=torch.int64)
    for i in range(6):  # 6 full batches of 15; the 5 samples left over are dropped
        batch = data[order[15 * i : 15 * (i + 1)]]
        expected += torch.bincount(hidden_currents(batch, weight, 3.0).argmax(dim=1), minlength=10)
        weight = weight + normalised_increment(
            competing_update(batch, weight, p=3.0, k=3, delta=0.4), annealed_rate(0.02, 0, 2)
        )
    outcome = competing_epoch_outcome(start, data, params, 0, torch.Generator().manual_seed(2))
    assert outcome.wins.dtype == torch.int64 and outcome.wins.tolist() == expected.tolist()
    assert int(outcome.wins.sum()) == 90
    assert outcome.thresholds is None
    torch.testing.assert_close(outcome.weight, weight, rtol=0, atol=1e-13)
    again = competing_epoch(start, data, params, 0, torch.Generator().manual_seed(2))
    assert torch.equal(again, outcome.weight)


def test_the_epoch_reads_nothing_back_to_the_host_per_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Host reads (item, float, bool, int, tolist, nonzero) do not grow with the batches.

    The ranking takes its host-read-free path, the default off the CPU (on the CPU it
    reads back the rows with ties, which costs nothing there).
    """
    import functools

    import hebbian.competing.training

    sync_free = functools.partial(rank_first_and_kth, sync_free=True)
    monkeypatch.setattr(hebbian.competing.training, "rank_first_and_kth", sync_free)
    reads = {"count": 0}
    for name in ("item", "tolist", "nonzero", "__bool__", "__float__", "__int__", "__index__"):
        original = getattr(torch.Tensor, name)

        def counting(self, *args, __original=original, **kwargs):  # type: ignore[no-untyped-def]
            reads["count"] += 1
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counting)
    monkeypatch.setattr(torch, "nonzero", lambda *a, **k: pytest.fail("torch.nonzero called"))
    gen = torch.Generator().manual_seed(3)
    data = torch.rand(400, 8, generator=gen)
    counts = []
    cases = [(b, h) for h in (Homeostasis.NONE, Homeostasis.THRESHOLD) for b in (200, 10)]
    for batch_size, homeostasis in cases:
        params = CompetingParams(
            hidden_units=12, p=3.0, k=7, batch_size=batch_size, epochs=2, homeostasis=homeostasis
        )
        weight = initial_weights(12, 8, params, torch.Generator().manual_seed(0))
        for dense in (False, True):
            before = reads["count"]
            competing_epoch_outcome(
                weight, data, params, 0, torch.Generator().manual_seed(4),
                reduce=(lambda t: t) if dense else None,
            )  # fmt: skip
            counts.append(reads["count"] - before)
    # 2 batches or 40 batches: the same reads (the one finiteness check after the loop)
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert counts[4] == counts[6] and counts[5] == counts[7], counts
    assert max(counts) <= 3, counts


@pytest.mark.cuda
def test_an_epoch_on_the_gpu_synchronises_a_fixed_number_of_times() -> None:
    """CUDA's sync debug mode warns at each synchronising call: 2 batches or 20, the same."""
    device = torch.device("cuda")
    data = torch.rand(2000, 64, generator=torch.Generator().manual_seed(5)).to(device)
    for homeostasis in Homeostasis:
        syncs = []
        for batch_size in (1000, 100):
            params = CompetingParams(
                hidden_units=300, p=3.0, k=7, batch_size=batch_size, epochs=2,
                homeostasis=homeostasis,
            )  # fmt: skip
            weight = initial_weights(300, 64, params, torch.Generator().manual_seed(0))
            weight = weight.to(device)
            torch.cuda.synchronize()
            torch.cuda.set_sync_debug_mode("warn")
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    outcome = competing_epoch_outcome(
                        weight, data, params, 0, torch.Generator().manual_seed(1)
                    )
            finally:
                torch.cuda.set_sync_debug_mode("default")
            syncs.append(sum("synchroniz" in str(w.message) for w in caught))
            assert int(outcome.wins.sum()) == 2000
        assert syncs[0] == syncs[1], syncs


def test_non_finite_weights_are_reported_with_the_first_bad_step() -> None:
    data = torch.rand(60, 4, generator=torch.Generator().manual_seed(6), dtype=F64)
    data[torch.randperm(60, generator=torch.Generator().manual_seed(7))[25]] = float("nan")
    params = CompetingParams(hidden_units=5, p=2.0, k=2, batch_size=10, epochs=3)
    weight = initial_weights(5, 4, params, torch.Generator().manual_seed(0), dtype=F64)
    from hebbian._checks import NonFiniteWeightsError

    # the shuffled sample 25 lies in batch 3 of epoch 2: step 6 + 3 = 9
    with pytest.raises(NonFiniteWeightsError, match="at step 9 "):
        competing_epoch(weight, data, params, 1, torch.Generator().manual_seed(7))


# --------------------------------------------------------------------------- AntiHebbian.POSITIVE
def test_positive_anti_hebbian_spares_a_kth_unit_with_negative_current() -> None:
    # k = 3: row 0 ranks 1, 3, 0 (current -0.5), row 1 ranks 1, 3, 0 (current +0.5)
    currents = torch.tensor([[-0.5, 0.9, -0.7, 0.7], [0.5, 0.9, 0.2, 0.7]])
    published = competition(currents, 3, 0.4)
    positive = competition(currents, 3, 0.4, AntiHebbian.POSITIVE)
    torch.testing.assert_close(published, torch.tensor([[-0.4, 1, 0, 0], [-0.4, 1, 0, 0]]))
    torch.testing.assert_close(positive, torch.tensor([[0.0, 1, 0, 0], [-0.4, 1, 0, 0]]))


@pytest.mark.parametrize("dense", [False, True], ids=["row-sparse", "dense"])
def test_positive_anti_hebbian_epoch_equals_the_pure_rule(dense: bool) -> None:
    gen = torch.Generator().manual_seed(8)
    data = torch.randn(80, 6, generator=gen, dtype=F64)  # signed: many negative k-th currents
    params = CompetingParams(
        hidden_units=9, p=3.0, k=4, batch_size=16, epochs=2, anti_hebbian=AntiHebbian.POSITIVE
    )
    start = initial_weights(9, 6, params, gen, dtype=F64)
    order = torch.randperm(80, generator=torch.Generator().manual_seed(9))
    expected, spared = start.clone(), 0
    for i in range(5):
        batch = data[order[16 * i : 16 * (i + 1)]]
        currents = hidden_currents(batch, expected, 3.0)
        spared += int((competition(currents, 4, 0.4, AntiHebbian.POSITIVE) < 0).sum() < 16)
        dw = competing_update(
            batch, expected, p=3.0, k=4, delta=0.4, anti_hebbian=AntiHebbian.POSITIVE
        )
        expected = expected + normalised_increment(dw, annealed_rate(0.02, 1, 2))
    assert spared > 0  # some batch had a k-th unit with a negative current
    got = competing_epoch(
        start, data, params, 1, torch.Generator().manual_seed(9),
        reduce=(lambda t: t) if dense else None,
    )  # fmt: skip
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-13)
    published = competing_epoch(
        start, data, dataclasses.replace(params, anti_hebbian=AntiHebbian.ALWAYS), 1,
        torch.Generator().manual_seed(9),
    )  # fmt: skip
    assert (published - got).abs().max() > 1e-3


# --------------------------------------------------------------------------- Homeostasis.THRESHOLD
def test_thresholds_follow_each_units_share_of_wins() -> None:
    """One batch, by hand: theta += eta (H n / B - 1); the ranking uses I - theta."""
    weight = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6], [-1.0, -1.0]], dtype=F64)
    data = torch.tensor([[1.0, 0.1], [0.9, 0.0], [0.2, 1.0], [1.0, 0.9]], dtype=F64)
    params = CompetingParams(
        hidden_units=4, p=2.0, k=2, batch_size=4, epochs=1,
        homeostasis=Homeostasis.THRESHOLD, threshold_rate=0.1,
    )  # fmt: skip
    # currents (p = 2): sample 0: 1, 0.1, 0.66, -1.1 -> unit 0; sample 1: 0.9, 0, .54 -> 0;
    # sample 2: 0.2, 1, 0.72 -> 1; sample 3: 1, 0.9, 1.14 -> 2. wins n = 2, 1, 1, 0
    outcome = competing_epoch_outcome(weight, data, params, 0, torch.Generator().manual_seed(0))
    assert outcome.wins.tolist() == [2, 1, 1, 0]
    assert outcome.thresholds is not None
    torch.testing.assert_close(
        outcome.thresholds, torch.tensor([0.1, 0.0, 0.0, -0.1], dtype=F64), rtol=0, atol=1e-15
    )
    # thresholds that favour unit 3 by 2.05: it takes sample 1 (I - theta = -0.9 + 2.05 >
    # 0.9) but not sample 0 (-1.1 + 2.05 < 1), 2 (-1.2 + 2.05 < 1) or 3 (-1.9 + 2.05 < 1.14)
    start = torch.tensor([0.0, 0.0, 0.0, -2.05], dtype=F64)
    again = competing_epoch_outcome(
        weight, data, params, 0, torch.Generator().manual_seed(0), thresholds=start
    )
    assert again.wins.tolist() == [1, 1, 1, 1]
    assert again.thresholds is not None  # every unit had its share: unchanged
    torch.testing.assert_close(again.thresholds, start, rtol=0, atol=1e-15)
    assert start.tolist() == [0.0, 0.0, 0.0, -2.05]  # not modified


def test_thresholds_keep_a_unit_that_never_wins_in_the_competition() -> None:
    """A unit pointing against every input never wins under the published rule; with the
    thresholds it wins again within an epoch, and the thresholds keep summing to 0."""
    gen = torch.Generator().manual_seed(10)
    data = 0.5 + 0.5 * torch.rand(600, 10, generator=gen, dtype=F64)  # strongly overlapping
    params = CompetingParams(hidden_units=8, p=3.0, k=3, batch_size=20, epochs=3)
    start = initial_weights(8, 10, params, gen, dtype=F64).abs()
    start[5] = -start[5]  # negative current for every input
    published = competing_epoch_outcome(start, data, params, 0, torch.Generator().manual_seed(1))
    assert published.wins[5] == 0
    homeostatic = dataclasses.replace(params, homeostasis=Homeostasis.THRESHOLD, threshold_rate=0.5)
    outcome = competing_epoch_outcome(start, data, homeostatic, 0, torch.Generator().manual_seed(1))
    assert outcome.wins[5] > 0 and (outcome.wins > 0).all()
    assert outcome.thresholds is not None
    assert abs(outcome.thresholds.sum().item()) < 1e-12
    assert outcome.thresholds[5] < 0  # lowered while it did not win


def test_thresholds_carry_over_epochs_in_fit_competing() -> None:
    gen = torch.Generator().manual_seed(12)
    data = torch.rand(100, 5, generator=gen, dtype=F64)
    params = CompetingParams(
        hidden_units=6, p=3.0, k=2, batch_size=20, epochs=3, homeostasis=Homeostasis.THRESHOLD
    )
    start = initial_weights(6, 5, params, gen, dtype=F64)
    weight, thresholds, loop = start, None, torch.Generator().manual_seed(3)
    for epoch in range(3):
        weight, _, thresholds = competing_epoch_outcome(
            weight, data, params, epoch, loop, thresholds=thresholds
        )
    fitted = fit_competing(data, params, torch.Generator().manual_seed(3), weight=start)
    assert torch.equal(fitted, weight)


def test_thresholds_are_refused_without_homeostasis_and_checked_with_it() -> None:
    params = CompetingParams(hidden_units=3, k=2, batch_size=2)
    weight, data = torch.zeros(3, 2), torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"thresholds must be None when params\.homeostasis"):
        competing_epoch_outcome(
            weight, data, params, 0, torch.Generator(), thresholds=torch.zeros(3)
        )
    homeostatic = dataclasses.replace(params, homeostasis=Homeostasis.THRESHOLD)
    with pytest.raises(ValueError, match="thresholds must have shape"):
        competing_epoch_outcome(
            weight, data, homeostatic, 0, torch.Generator(), thresholds=torch.zeros(4)
        )
    with pytest.raises(TypeError, match="homeostasis must be one of"):
        CompetingParams(homeostasis="threshold")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold_rate"):
        CompetingParams(threshold_rate=0.0)


@pytest.mark.parametrize("k", [2, 3, 7, 30])
def test_both_ranking_paths_give_the_same_ranks_ties_included(k: int) -> None:
    """The CPU path (topk indices, exact ranking in tied rows) equals the sync-free one."""
    for trial in range(50):
        generator = torch.Generator().manual_seed(trial)
        currents = torch.randint(0, 5, (40, 30), generator=generator).float()  # many ties
        fast = rank_first_and_kth(currents, k, sync_free=False)
        free = rank_first_and_kth(currents, k, sync_free=True)
        assert all(torch.equal(a, b) for a, b in zip(fast, free, strict=True))
