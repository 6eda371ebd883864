"""Tests for hebbian.rules: hand computations, theory (convergence) and argument checks.

Most hand computations share one small example, worked out in the comments:

    pre  x = [[1, 2],      post y = [[1,  0],      weight W = [[1, 1],
              [3, 0]]                [2, -1]]                  [0, 2]]

(batch B = 2, N_pre = 2, N_post = 2). Every rule averages over the batch.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable

import numpy as np
import pytest
import torch

from hebbian.rules import (
    BCM,
    BCMState,
    Covariance,
    CovarianceState,
    Hebb,
    Instar,
    LocalRule,
    NoState,
    Oja,
    Sanger,
    anti_hebbian,
    bcm,
    bcm_threshold,
    covariance,
    hebb,
    instar,
    oja,
    sanger,
    update_running_mean,
    winner_take_all,
)

F64 = torch.float64


def example() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    pre = torch.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=F64)
    post = torch.tensor([[1.0, 0.0], [2.0, -1.0]], dtype=F64)
    weight = torch.tensor([[1.0, 1.0], [0.0, 2.0]], dtype=F64)
    return pre, post, weight


def expect(actual: torch.Tensor, expected: list) -> None:
    torch.testing.assert_close(actual, torch.tensor(expected, dtype=actual.dtype))


# ---------------------------------------------------------------------------------------
# one step against a hand computation
# ---------------------------------------------------------------------------------------


def test_hebb_by_hand() -> None:
    pre, post, _ = example()
    # y1 x1^T = [[1, 2], [0, 0]];  y2 x2^T = [[6, 0], [-3, 0]];  mean = [[3.5, 1], [-1.5, 0]]
    expect(hebb(pre, post), [[3.5, 1.0], [-1.5, 0.0]])


def test_covariance_by_hand() -> None:
    pre, post, _ = example()
    pre_mean = torch.tensor([2.0, 1.0], dtype=F64)
    post_mean = torch.tensor([1.0, 0.0], dtype=F64)
    # x - x_bar = [[-1, 1], [1, -1]];  y - y_bar = [[0, 0], [1, -1]]
    # sample 1 gives 0; sample 2 gives [[1, -1], [-1, 1]]; mean over B = 2 -> halves
    dw = covariance(pre, post, pre_mean, post_mean)
    expect(dw, [[0.5, -0.5], [-0.5, 0.5]])
    # same signs of the deviations strengthen, opposite signs weaken
    assert dw[0, 0] > 0 and dw[0, 1] < 0


def test_covariance_with_batch_means_is_the_sample_cross_covariance() -> None:
    g = torch.Generator().manual_seed(3)
    pre = torch.randn(50, 4, generator=g, dtype=F64)
    post = torch.randn(50, 3, generator=g, dtype=F64)
    dw = covariance(pre, post, pre.mean(0), post.mean(0))
    both = np.cov(np.hstack([post.numpy(), pre.numpy()]).T, bias=True)  # population cov
    np.testing.assert_allclose(dw.numpy(), both[:3, 3:], atol=1e-12)


def test_update_running_mean_by_hand() -> None:
    pre, _, _ = example()
    mean = torch.tensor([0.0, 4.0], dtype=F64)
    # batch mean = [2, 1];  0.75 * [0, 4] + 0.25 * [2, 1] = [0.5, 3.25]
    expect(update_running_mean(mean, pre, 0.25), [0.5, 3.25])
    expect(update_running_mean(mean, pre, 1.0), [2.0, 1.0])
    expect(update_running_mean(mean, pre, 0.0), [0.0, 4.0])


def test_winner_take_all_by_hand() -> None:
    currents = torch.tensor([[3.0, 4.0], [3.0, 0.0], [1.0, 1.0]])
    # argmax per row: 1, 0, tie -> lowest index 0
    expect(winner_take_all(currents), [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    assert winner_take_all(currents.double()).dtype == F64


def test_instar_by_hand() -> None:
    pre, post, weight = example()
    # unit 0: 1 * ([1, 2] - [1, 1]) = [0, 1];  2 * ([3, 0] - [1, 1]) = [4, -2];  mean [2, -0.5]
    # unit 1: 0;  -1 * ([3, 0] - [0, 2]) = [-3, 2];  mean [-1.5, 1]
    expect(instar(pre, post, weight), [[2.0, -0.5], [-1.5, 1.0]])


def test_instar_with_winner_take_all_moves_winners_to_their_inputs() -> None:
    pre, _, weight = example()
    # currents x @ W.T = [[3, 4], [3, 0]] -> sample 1 won by unit 1, sample 2 by unit 0
    post = winner_take_all(pre @ weight.T)
    expect(post, [[0.0, 1.0], [1.0, 0.0]])
    dw = instar(pre, post, weight)
    # unit 0: ([3, 0] - [1, 1]) / 2 = [1, -0.5];  unit 1: ([1, 2] - [0, 2]) / 2 = [0.5, 0]
    expect(dw, [[1.0, -0.5], [0.5, 0.0]])
    # each unit wins 1 of 2 samples, so a learning rate of 2 lands exactly on its input
    expect(weight + 2.0 * dw, [[3.0, 0.0], [1.0, 2.0]])


def test_oja_by_hand() -> None:
    pre, post, weight = example()
    # unit 0: y = 1: 1 * ([1, 2] - 1 * [1, 1]) = [0, 1];  y = 2: 2 * ([3, 0] - 2 * [1, 1]) = [2, -4]
    #         mean [1, -1.5]
    # unit 1: y = 0: 0;  y = -1: -1 * ([3, 0] + 1 * [0, 2]) = [-3, -2];  mean [-1.5, -1]
    expect(oja(pre, post, weight), [[1.0, -1.5], [-1.5, -1.0]])


def test_sanger_by_hand() -> None:
    pre, post, weight = example()
    # <y y^T> = ([[1, 0], [0, 0]] + [[4, -2], [-2, 1]]) / 2 = [[2.5, -1], [-1, 0.5]]
    # LT(.) = [[2.5, 0], [-1, 0.5]];  LT @ W = [[2.5, 2.5], [-1, 0]]
    # <y x^T> - LT @ W = [[3.5, 1], [-1.5, 0]] - [[2.5, 2.5], [-1, 0]] = [[1, -1.5], [-0.5, 0]]
    dw = sanger(pre, post, weight)
    expect(dw, [[1.0, -1.5], [-0.5, 0.0]])
    # row 0 is Oja's rule; row 1 sees the input minus unit 0's reconstruction
    torch.testing.assert_close(dw[0], oja(pre, post, weight)[0])


def test_bcm_by_hand() -> None:
    pre, post, _ = example()
    theta = torch.tensor([1.0, 2.0], dtype=F64)
    # y (y - theta): sample 1 [1 * 0, 0 * -2] = [0, 0];  sample 2 [2 * 1, -1 * -3] = [2, 3]
    # dw = [2, 3]^T [3, 0] / 2 = [[3, 0], [4.5, 0]]
    expect(bcm(pre, post, theta), [[3.0, 0.0], [4.5, 0.0]])
    # below threshold (0 < y < theta) depresses
    below = bcm(pre[:1], torch.tensor([[0.5, 0.0]], dtype=F64), theta)
    assert bool((below[0] < 0).all())


def test_bcm_threshold_by_hand() -> None:
    _, post, _ = example()
    theta = torch.tensor([1.0, 2.0], dtype=F64)
    # <y^2> = [(1 + 4) / 2, (0 + 1) / 2] = [2.5, 0.5];  0.5 * [1, 2] + 0.5 * [2.5, 0.5]
    expect(bcm_threshold(theta, post, 0.5), [1.75, 1.25])


def test_anti_hebbian_by_hand() -> None:
    _, post, _ = example()
    # <y y^T> = [[2.5, -1], [-1, 0.5]];  off-diagonal of -(.) is [[0, 1], [1, 0]]
    expect(anti_hebbian(post), [[0.0, 1.0], [1.0, 0.0]])
    # with p = 0.5: -(-1 - 0.25) = 1.25
    expect(anti_hebbian(post, target_rate=0.5), [[0.0, 1.25], [1.25, 0.0]])
    # co-active units grow more inhibitory
    dq = anti_hebbian(torch.tensor([[1.0, 1.0, 0.0]]))
    assert dq[0, 1] < 0 and dq[0, 2] == 0 and dq[1, 2] == 0


PURE_CALLS: dict[str, Callable[..., torch.Tensor]] = {
    "hebb": lambda x, y, w: hebb(x, y),
    "covariance": lambda x, y, w: covariance(x, y, x.mean(0) + 0.1, y.mean(0) - 0.1),
    "instar": instar,
    "oja": oja,
    "sanger": sanger,
    "bcm": lambda x, y, w: bcm(x, y, torch.ones(y.shape[1], dtype=y.dtype)),
    "anti_hebbian": lambda x, y, w: anti_hebbian(y, 0.3),
}


@pytest.mark.parametrize("name", sorted(PURE_CALLS))
def test_rules_do_not_mutate_inputs_and_keep_dtype(name: str) -> None:
    pre, post, weight = example()
    copies = (pre.clone(), post.clone(), weight.clone())
    dw = PURE_CALLS[name](pre, post, weight)
    for original, copy in zip((pre, post, weight), copies, strict=True):
        assert torch.equal(original, copy)
    assert dw.dtype == F64
    assert dw.shape == (2, 2)  # (N_post, N_pre), or (N_post, N_post) for anti_hebbian


def test_running_means_do_not_mutate_inputs() -> None:
    pre, post, _ = example()
    mean, theta = torch.zeros(2, dtype=F64), torch.ones(2, dtype=F64)
    update_running_mean(mean, pre, 0.5)
    bcm_threshold(theta, post, 0.5)
    assert torch.equal(mean, torch.zeros(2, dtype=F64))
    assert torch.equal(theta, torch.ones(2, dtype=F64))


@pytest.mark.parametrize("name", ["covariance", "instar", "oja", "sanger", "bcm"])
def test_rules_are_differentiable(name: str) -> None:
    g = torch.Generator().manual_seed(0)
    pre = torch.randn(3, 2, generator=g, dtype=F64, requires_grad=True)
    weight = torch.randn(2, 2, generator=g, dtype=F64, requires_grad=True)

    def through(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return PURE_CALLS[name](x, x @ w.T, w)

    assert torch.autograd.gradcheck(through, (pre, weight))


# ---------------------------------------------------------------------------------------
# rule objects
# ---------------------------------------------------------------------------------------


def test_rule_objects_match_the_pure_functions() -> None:
    pre, post, weight = example()
    for rule, expected in [
        (Hebb(), hebb(pre, post)),
        (Instar(), instar(pre, post, weight)),
        (Oja(), oja(pre, post, weight)),
        (Sanger(), sanger(pre, post, weight)),
    ]:
        assert isinstance(rule, LocalRule)
        state = rule.init_state(weight)
        assert state == NoState()
        dw, new_state = rule.delta(pre, post, weight, state)
        torch.testing.assert_close(dw, expected)
        assert new_state == NoState()


def test_covariance_object_by_hand() -> None:
    pre, post, weight = example()
    rule = Covariance(mean_decay=0.5)
    state = rule.init_state(weight)
    assert isinstance(state, CovarianceState)
    # means start at zero; updated first: x_bar = 0.5 * [2, 1] = [1, 0.5],
    # y_bar = 0.5 * [1.5, -0.5] = [0.75, -0.25]
    # x - x_bar = [[0, 1.5], [2, -0.5]];  y - y_bar = [[0.25, 0.25], [1.25, -0.75]]
    # sample 1: [[0, 0.375], [0, 0.375]];  sample 2: [[2.5, -0.625], [-1.5, 0.375]]
    # mean: [[1.25, -0.125], [-0.75, 0.375]]
    dw, new_state = rule.delta(pre, post, weight, state)
    expect(dw, [[1.25, -0.125], [-0.75, 0.375]])
    expect(new_state.pre_mean, [1.0, 0.5])
    expect(new_state.post_mean, [0.75, -0.25])
    assert torch.equal(state.pre_mean, torch.zeros(2, dtype=F64))  # old state untouched


def test_bcm_object_by_hand() -> None:
    pre, post, weight = example()
    rule = BCM(threshold_decay=0.5, initial_threshold=1.0)
    state = rule.init_state(weight)
    assert isinstance(state, BCMState)
    expect(state.theta, [1.0, 1.0])
    # theta first slides: 0.5 * [1, 1] + 0.5 * [2.5, 0.5] = [1.75, 0.75]
    # y (y - theta): sample 1 [1 * -0.75, 0] ; sample 2 [2 * 0.25, -1 * -1.75] = [0.5, 1.75]
    # dw = ([[-0.75, -1.5], [0, 0]] + [[1.5, 0], [5.25, 0]]) / 2
    dw, new_state = rule.delta(pre, post, weight, state)
    expect(new_state.theta, [1.75, 0.75])
    expect(dw, [[0.375, -0.75], [2.625, 0.0]])


@pytest.mark.parametrize(
    "rule", [Hebb(), Covariance(0.2), Instar(), Oja(), Sanger(), BCM(0.3, initial_threshold=2.0)]
)
def test_rule_objects_pickle_and_compare(rule: LocalRule) -> None:
    again = pickle.loads(pickle.dumps(rule))
    assert again == rule
    assert again.name == rule.name
    with pytest.raises(AttributeError):
        rule.name = "other"  # type: ignore[misc]


def test_rule_objects_refuse_bad_hyperparameters() -> None:
    with pytest.raises(ValueError, match="mean_decay"):
        Covariance(mean_decay=0.0)
    with pytest.raises(ValueError, match="mean_decay"):
        Covariance(mean_decay=1.5)
    with pytest.raises(TypeError, match="mean_decay"):
        Covariance(mean_decay="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold_decay"):
        BCM(threshold_decay=-0.1)
    with pytest.raises(ValueError, match="initial_threshold"):
        BCM(initial_threshold=-1.0)


def test_rule_objects_refuse_the_wrong_state() -> None:
    pre, post, weight = example()
    with pytest.raises(TypeError, match="BCMState"):
        BCM().delta(pre, post, weight, NoState())
    with pytest.raises(TypeError, match="NoState"):
        Oja().delta(pre, post, weight, BCM().init_state(weight))


# ---------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------


def test_shape_and_type_errors_name_the_argument() -> None:
    pre, post, weight = example()
    with pytest.raises(ValueError, match="pre must be 2-D"):
        hebb(pre[0], post)
    with pytest.raises(ValueError, match="same batch size"):
        hebb(pre, post[:1])
    with pytest.raises(ValueError, match="at least one sample"):
        hebb(pre[:0], post[:0])
    with pytest.raises(TypeError, match="post must have a floating-point dtype"):
        hebb(pre, post.long())
    with pytest.raises(TypeError, match="share one dtype"):
        hebb(pre, post.float())
    with pytest.raises(TypeError, match=r"pre must be a torch\.Tensor"):
        hebb(pre.numpy(), post)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"weight must have shape \(2, 2\)"):
        oja(pre, post, weight.T[:1])
    with pytest.raises(TypeError, match="share one dtype"):
        sanger(pre, post, weight.float())
    with pytest.raises(ValueError, match=r"theta must have shape \(2\)"):
        bcm(pre, post, torch.ones(3, dtype=F64))
    with pytest.raises(ValueError, match=r"pre_mean must have shape \(2\)"):
        covariance(pre, post, torch.ones(3, dtype=F64), torch.ones(2, dtype=F64))
    with pytest.raises(ValueError, match="decay"):
        update_running_mean(torch.zeros(2, dtype=F64), pre, 1.5)
    with pytest.raises(ValueError, match="decay"):
        bcm_threshold(torch.zeros(2, dtype=F64), post, -0.5)
    with pytest.raises(ValueError, match="target_rate"):
        anti_hebbian(post, target_rate=2.0)
    with pytest.raises(ValueError, match="currents must be 2-D"):
        winner_take_all(torch.ones(3))


# ---------------------------------------------------------------------------------------
# behaviour against theory
# ---------------------------------------------------------------------------------------


def correlated_gaussian(
    n: int, seed: int, spectrum: tuple[float, ...] = (5.0, 3.0, 2.0, 1.0, 0.5)
) -> tuple[torch.Tensor, np.ndarray]:
    """Centred samples with covariance Q diag(spectrum) Q^T, Q a random rotation.

    Returns the data (n, d) and the principal components of the sample, from numpy's
    SVD, as rows ordered by variance.
    """
    g = torch.Generator().manual_seed(seed)
    d = len(spectrum)
    rotation, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=F64))
    scale = torch.tensor(spectrum, dtype=F64).sqrt()
    x = (torch.randn(n, d, generator=g, dtype=F64) * scale) @ rotation.T  # (n, d)
    x = x - x.mean(dim=0)
    _, _, vt = np.linalg.svd(x.numpy(), full_matrices=False)
    return x, vt


def abs_cosine(a: torch.Tensor, b: np.ndarray) -> float:
    a_np = a.detach().numpy()
    return abs(float(a_np @ b)) / float(np.linalg.norm(a_np) * np.linalg.norm(b))


def test_oja_finds_the_unit_first_principal_component() -> None:
    x, components = correlated_gaussian(4000, seed=0)
    g = torch.Generator().manual_seed(1)
    w = 0.3 * torch.randn(1, 5, generator=g, dtype=F64)
    assert abs_cosine(w[0], components[0]) < 0.9  # the start is far from the answer
    for epoch in range(10):
        rate = 0.02 / (1 + 0.5 * epoch)
        order = torch.randperm(len(x), generator=g)
        for start in range(0, len(x), 50):
            pre = x[order[start : start + 50]]
            w = w + rate * oja(pre, pre @ w.T, w)
    assert abs_cosine(w[0], components[0]) >= 0.999
    assert abs(float(w.norm()) - 1.0) <= 1e-2


def test_sanger_finds_the_top_four_components_in_order() -> None:
    x, components = correlated_gaussian(4000, seed=2)
    g = torch.Generator().manual_seed(3)
    w = 0.3 * torch.randn(4, 5, generator=g, dtype=F64)
    for epoch in range(25):
        rate = 0.05 / (1 + 0.2 * epoch)  # lr * lambda_1 = 0.25 < 1: stable
        order = torch.randperm(len(x), generator=g)
        for start in range(0, len(x), 50):
            pre = x[order[start : start + 50]]
            w = w + rate * sanger(pre, pre @ w.T, w)
    cosines = [abs_cosine(w[k], components[k]) for k in range(4)]
    assert min(cosines) >= 0.99, cosines
    torch.testing.assert_close(w.norm(dim=1), torch.ones(4, dtype=F64), atol=2e-2, rtol=0)


def selectivity(responses: torch.Tensor) -> torch.Tensor:
    """1 - mean / max of each unit's rectified responses to the patterns (K, U) -> (U,).

    0 for a unit that responds equally to all K patterns, 1 - 1/K for one that responds
    to a single pattern only.
    """
    rectified = responses.clamp(min=0)
    return 1.0 - rectified.mean(dim=0) / rectified.max(dim=0).values


def test_bcm_units_become_selective_to_one_of_four_patterns() -> None:
    g = torch.Generator().manual_seed(0)
    n_patterns, n_inputs, n_units = 4, 8, 6
    # overlapping non-negative patterns (pairwise cosines 0.4 - 0.7), unit length
    patterns = torch.rand(n_patterns, n_inputs, generator=g, dtype=F64) ** 3
    patterns = patterns / patterns.norm(dim=1, keepdim=True)
    w = 0.2 * torch.rand(n_units, n_inputs, generator=g, dtype=F64)
    theta = torch.zeros(n_units, dtype=F64)
    before = selectivity(patterns @ w.T)
    assert float(before.max()) < 0.5
    for _ in range(3000):
        pre = patterns[torch.randint(n_patterns, (16,), generator=g)]  # (16, N_pre)
        post = pre @ w.T
        theta = bcm_threshold(theta, post, 0.2)  # the threshold is faster than the weights
        w = w + 0.1 * bcm(pre, post, theta)
    responses = patterns @ w.T  # (K, U)
    after = selectivity(responses)
    # Perfect selectivity is 1 - 1/K = 0.75; >= 0.7 means the rectified responses to
    # the three other patterns add up to at most 20% of the preferred response.
    assert bool((after >= 0.7).all()), after
    # Theory (theta = E[y^2], patterns equally likely): the selective fixed point has
    # y = 1 / p = K for the preferred pattern and 0 for the others.
    preferred = responses.max(dim=0).values
    assert bool(((preferred > 3.0) & (preferred < 5.0)).all()), preferred


def test_plain_hebb_grows_without_bound() -> None:
    x, _ = correlated_gaussian(200, seed=4)
    w = 0.1 * torch.randn(1, 5, generator=torch.Generator().manual_seed(5), dtype=F64)
    norms = [float(w.norm())]
    for _ in range(60):
        w = w + 0.1 * hebb(x, x @ w.T)
        norms.append(float(w.norm()))
    assert all(b > a for a, b in itertools.pairwise(norms))
    assert norms[-1] / norms[0] > 1e6
    # the growth rate tends to 1 + lr * lambda_1 (about 1.5): exponential growth
    assert norms[-1] / norms[-2] == pytest.approx(1 + 0.1 * 5.0, rel=0.1)


def test_instar_with_winner_take_all_converges_to_the_cluster_means() -> None:
    g = torch.Generator().manual_seed(6)
    means = torch.tensor([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]], dtype=F64)
    labels = torch.randint(3, (900,), generator=g)
    x = means[labels] + 0.5 * torch.randn(900, 3, generator=g, dtype=F64)
    # Start each unit at one sample (far from its cluster mean, in a shuffled order), a
    # common initialisation that avoids dead units; the rule must do the rest.
    w = x[torch.tensor([int((labels == k).nonzero()[0]) for k in (2, 0, 1)])].clone()
    for epoch in range(10):
        rate = 0.5 / (1 + epoch)
        order = torch.randperm(len(x), generator=g)
        for start in range(0, len(x), 30):
            pre = x[order[start : start + 30]]
            w = w + rate * instar(pre, winner_take_all(pre @ w.T), w)
    empirical = torch.stack([x[labels == k].mean(dim=0) for k in range(3)])
    distance = torch.cdist(empirical, w)  # (cluster, unit)
    matched = distance.argmin(dim=1)
    assert sorted(matched.tolist()) == [0, 1, 2]  # one unit per cluster
    assert float(distance.min(dim=1).values.max()) < 0.1
    assert float(torch.cdist(means, w).min(dim=1).values.max()) < 0.15
