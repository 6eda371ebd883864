r"""
Competing hidden units
======================

Krotov & Hopfield ("Unsupervised learning by competing hidden units", PNAS 116 (16),
7723-7731, 2019, arXiv:1806.10181) train a layer of hidden units without labels, with
a rule that is local in both senses: a synapse changes using only the activities of
the two neurons it connects, and a unit's weights change using only its own current
and its rank among the other units. A supervised top layer is then trained on the
frozen hidden layer, and on MNIST the pair comes close to the same network trained end
to end by backpropagation.

This tutorial uses :mod:`hebbian.competing` to

1. write down the rule and see why each unit's weights end on the unit sphere of the
   p-norm;
2. train 100 hidden units on scikit-learn's 8x8 digits and watch the norms converge
   and the units become prototypes;
3. train the paper's top layer on the learned units and compare its accuracy with the
   same top layer on random units and with a network trained end to end.
"""  # noqa: D205, D400 (a sphinx-gallery title, not a summary line)

# %%
# The rule
# --------
#
# The ``H`` hidden units have weights :math:`W` of shape ``(H, N)``. Inputs :math:`v`
# (``N`` values) are compared with each unit in the metric of the p-norm: unit
# :math:`\mu` receives the current
#
# .. math::
#
#     I_\mu = \sum_i \operatorname{sign}(W_{\mu i})\, |W_{\mu i}|^{p-1} v_i ,
#
# the inner product :math:`\langle W_\mu, v\rangle_p` that is maximal, for a unit of
# p-norm 1, when :math:`W_\mu` points along :math:`v` (for :math:`p = 2` it is the
# usual dot product; :func:`~hebbian.competing.hidden_currents`). The units are ranked
# by their currents, sample by sample. The strongest gets :math:`g = 1`, the
# :math:`k`-th strongest :math:`g = -\Delta`, all others :math:`g = 0`
# (:func:`~hebbian.competing.competition`), and each unit changes by
#
# .. math::
#
#     \Delta W_{\mu i} = \sum_b g_{b\mu} \left(v_{bi} - I_{b\mu} W_{\mu i}\right)
#
# over a batch (:func:`~hebbian.competing.competing_update`). The winner moves towards
# the sample, the :math:`k`-th is pushed away from it (the anti-Hebbian part, which
# stops two units from learning the same thing), and the term :math:`-I W` keeps the
# weights bounded. Each batch's change is divided by its largest magnitude and applied
# with a rate that falls linearly to zero over the :math:`E` epochs,
# :math:`W \leftarrow W + \varepsilon_0 (1 - e/E)\, \Delta W / \max|\Delta W|`
# (:func:`~hebbian.competing.normalised_increment`,
# :func:`~hebbian.competing.annealed_rate`).
#
# **Why the norms go to 1.** Write :math:`\lVert W_\mu \rVert_p^p = \sum_i
# |W_{\mu i}|^p` and take the rule as a flow, :math:`\dot W_{\mu i} = g\,(v_i - I_\mu
# W_{\mu i})`. The chain rule gives :math:`\frac{d}{dt} \lVert W_\mu \rVert_p^p = p
# \sum_i \operatorname{sign}(W_{\mu i}) |W_{\mu i}|^{p-1} \dot W_{\mu i}`, and the two
# terms of :math:`\dot W` give :math:`p\, g\, I_\mu` and :math:`-p\, g\, I_\mu \lVert
# W_\mu \rVert_p^p`:
#
# .. math::
#
#     \frac{d}{dt} \lVert W_\mu \rVert_p^p = p\, g\, I_\mu \left(1 - \lVert W_\mu
#     \rVert_p^p\right).
#
# with :math:`g I` summed over the samples of a batch. A unit that wins
# (:math:`g = 1`) samples it responds to (:math:`I_\mu > 0`) is pulled to the sphere
# :math:`\lVert W_\mu \rVert_p = 1` from either side, whatever the data. The sphere is
# a fixed point of the rule, not a normalisation imposed on it. Being ranked
# :math:`k`-th (:math:`g = -\Delta`) with a positive current pushes the norm *away*
# from 1, so a unit settles on the sphere only where its wins outweigh its
# :math:`k`-th places, and a unit that never wins keeps the norm it was drawn with.
#
# The paper's MNIST network has 2000 units, :math:`p = 3`, :math:`k = 7` and
# :math:`\Delta = 0.4` (the defaults of :class:`~hebbian.competing.CompetingParams`).
# The 1437 training digits here call for fewer units and, as the recipe
# ``krotov-digits`` explains, for :math:`k = 2`.

import matplotlib.pyplot as plt
import numpy as np
import torch

from hebbian.competing import (
    BackpropBaseline,
    CompetingClassifier,
    CompetingParams,
    TopLayer,
    accuracy,
    annealed_rate,
    competing_epoch_outcome,
    competing_update,
    competition,
    hidden_currents,
    initial_weights,
    p_norms,
    power_weights,
    supervised_epoch,
    top_layer_epoch,
)
from hebbian.data import load_dataset

torch.manual_seed(0)
train = load_dataset("digits", "train")
test = load_dataset("digits", "test")
x_train = train.images.reshape(len(train.images), 64).double()  # (1437, 64) in [0, 1]
x_test = test.images.reshape(len(test.images), 64).double()  # (360, 64)
y_train, y_test = train.labels, test.labels
classes = len(train.classes)

params = CompetingParams(
    hidden_units=100, p=3.0, k=2, delta=0.4, learning_rate=0.04, batch_size=20, epochs=40
)
g = torch.Generator().manual_seed(0)
weight = initial_weights(100, 64, params, g, dtype=torch.float64)  # N(0, 1), (100, 64)
initial = weight.clone()
print(params)

# %%
# Training
# --------
#
# :func:`~hebbian.competing.competing_epoch_outcome` makes one shuffled pass over the
# data and also returns how many samples each unit won;
# :func:`~hebbian.competing.fit_competing` is the same loop without the counts. We
# record the p-norms and the number of distinct winners after every epoch.

norms, winners = [p_norms(weight, params.p)], []
for epoch in range(params.epochs):
    outcome = competing_epoch_outcome(weight, x_train, params, epoch, g)
    weight = outcome.weight
    norms.append(p_norms(weight, params.p))
    winners.append(int((outcome.wins > 0).sum()))
norms_by_epoch = torch.stack(norms)  # (epochs + 1, H)
won_last = outcome.wins > 0  # the units that won a training digit in the last epoch
print(f"units that won a digit in the last epoch: {int(won_last.sum())} of 100")
print(f"median p-norm: {norms_by_epoch[0].median():.3f} before, {norms[-1].median():.4f} after")

# %%
# The flow, checked on one batch: the change of each unit's :math:`\lVert W_\mu
# \rVert_p^p` to first order, :math:`p \sum_i \operatorname{sign}(W_{\mu i})
# |W_{\mu i}|^{p-1} \Delta W_{\mu i}`, equals :math:`p \sum_b g_{b\mu} I_{b\mu}
# (1 - \lVert W_\mu \rVert_p^p)` for every unit, with :math:`\Delta W` from
# :func:`~hebbian.competing.competing_update`.

batch = x_train[:20]
change = competing_update(batch, initial, p=params.p, k=params.k, delta=params.delta)
drive = power_weights(initial, params.p)  # sign(W) |W|^(p - 1), (H, N)
first_order = params.p * (drive * change).sum(dim=1)  # (H,)
currents = hidden_currents(batch, initial, params.p)  # (20, H)
gains = competition(currents, params.k, params.delta)  # (20, H): 1, -delta or 0
theory = params.p * (gains * currents).sum(dim=0) * (1 - p_norms(initial, params.p) ** params.p)
print(f"largest difference from the flow: {(first_order - theory).abs().max():.2e}")
assert torch.allclose(first_order, theory, rtol=1e-9, atol=1e-9)

# %%
# Over the training the norms contract towards 1: the median falls from the
# :math:`(64 \cdot \mathbb E|z|^3)^{1/3} \approx 4.7` of the
# :math:`\mathcal N(0, 1)` draw to close to 1, and most of the units that won often
# end within a few percent of it. The units that stay above 1 are those that were
# often ranked :math:`k`-th as well, and the rate is annealed to zero before they get
# there (the recipe, with 60 epochs, ends with a larger share on the sphere).

final = norms_by_epoch[-1]
expected_initial = (64 * 2 * np.sqrt(2 / np.pi)) ** (1 / 3)  # E|z|^3 = 2 sqrt(2/pi)
on_sphere = (final - 1).abs() < 0.05
print(f"expected initial p-norm {expected_initial:.2f}")
print(f"units within 5% of the unit sphere: {int(on_sphere.sum())} of 100")
assert abs(norms_by_epoch[0].median().item() - expected_initial) < 0.3
assert abs(final.median().item() - 1) < 0.15
assert on_sphere.sum() >= 35
assert won_last.sum() >= 50  # the layer has not collapsed onto a few units

fig, (ax_n, ax_w) = plt.subplots(1, 2, figsize=(6.4, 3.0))
quartiles = norms_by_epoch.quantile(torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64), dim=1)
epochs = np.arange(params.epochs + 1)
ax_n.fill_between(epochs, quartiles[0], quartiles[2], color="C0", alpha=0.3, label="10-90%")
ax_n.plot(epochs, quartiles[1], color="C0", label="median")
ax_n.axhline(1.0, color="k", linestyle="--", linewidth=1)
ax_n.set(xlabel="epoch", ylabel=r"$\|W_\mu\|_3$", title="p-norms of the 100 units")
ax_n.legend(fontsize=8)
ax_w.plot(np.arange(1, params.epochs + 1), winners, color="C1")
ax_w.set(xlabel="epoch", ylabel="units", ylim=(0, 105), title="units winning some digit")
fig.tight_layout()

# %%
# The learned units
# -----------------
#
# Each unit's 64 weights drawn as an 8x8 image, red positive and blue negative, each
# unit on its own symmetric scale (the units still far from the sphere, which look like
# noise, would otherwise wash out the others). Like the paper's figure for MNIST, many
# units look like whole digits or parts of them, with negative weights where other
# digits have ink: the winner's pull towards its samples and the k-th unit's push away
# from them.

fig, axes = plt.subplots(10, 10, figsize=(5.2, 5.2))
for unit, ax in enumerate(axes.flat):
    limit = weight[unit].abs().max().item()
    ax.imshow(weight[unit].reshape(8, 8), cmap="bwr", vmin=-limit, vmax=limit)
    ax.set(xticks=[], yticks=[])
fig.suptitle("learned weights of the 100 hidden units (p = 3, k = 2)", fontsize=10)
fig.tight_layout()

# %%
# A prototype responds to its own class. For each unit we take the training digits
# for which it has the largest current, and count how many share their most frequent
# class: that unit's purity. The units of the initial random weights serve as the
# reference.


def purity(w: torch.Tensor) -> float:
    """Mean over the winning units of the share of their digits in their majority class."""
    best = hidden_currents(x_train, w, params.p).argmax(dim=1)  # (samples,) winner
    shares = []
    for unit in best.unique():
        labels = y_train[best == unit]
        shares.append(torch.bincount(labels, minlength=classes).max().item() / len(labels))
    return float(np.mean(shares))


print(f"purity: random units {purity(initial):.3f}, learned units {purity(weight):.3f}")
assert purity(weight) > purity(initial) + 0.2

# %%
# The top layer
# -------------
#
# With the hidden layer frozen, each input is scaled to unit length (the first
# author's advice) and the hidden activity is :math:`h = \operatorname{ReLU}(W \hat
# v)^n` with :math:`n = 4.5`; the class scores are :math:`s = \beta S h`, and :math:`S`
# is trained with the loss :math:`\sum_\alpha |\tanh(s_\alpha) - t_\alpha|^m`,
# :math:`m = 6`, targets :math:`t_\alpha = \pm 1` (:class:`~hebbian.competing.TopLayer`,
# :class:`~hebbian.competing.CompetingClassifier`,
# :func:`~hebbian.competing.top_layer_epoch`). The same top layer is trained on the
# initial random units, and a 64-100-10 ReLU network is trained end to end with the
# same number of hidden units (:class:`~hebbian.competing.BackpropBaseline`).


def top_accuracy(hidden: torch.Tensor, epochs: int = 40) -> float:
    model = CompetingClassifier(hidden, TopLayer(100, classes, generator=g)).double()
    with torch.no_grad():
        h_train, h_test = model.features(x_train), model.features(x_test)
    optimiser = torch.optim.Adam(model.top.parameters(), lr=0.05)
    for epoch in range(epochs):
        for group in optimiser.param_groups:
            group["lr"] = annealed_rate(0.05, epoch, epochs)
        top_layer_epoch(model.top, optimiser, h_train, y_train, g, batch_size=20)
    with torch.no_grad():
        return accuracy(model.top(h_test), y_test)


scores = {"learned units": top_accuracy(weight), "random units": top_accuracy(initial)}
mlp = BackpropBaseline(64, 100, classes, g, dtype=torch.float64)
optimiser = torch.optim.Adam(mlp.parameters(), lr=0.01)
for _ in range(40):
    supervised_epoch(
        mlp, optimiser, x_train, y_train, g, batch_size=20, loss=torch.nn.functional.cross_entropy
    )
with torch.no_grad():
    scores["backprop, end to end"] = accuracy(mlp(x_test), y_test)
for name, value in scores.items():
    print(f"{name:>22}: test accuracy {value:.4f}")

fig, ax = plt.subplots(figsize=(6.4, 2.2))
ax.barh(list(scores), list(scores.values()), color=["C0", "0.6", "C1"])
for i, value in enumerate(scores.values()):
    ax.text(value + 0.01, i, f"{value:.3f}", va="center")
ax.set(xlim=(0, 1.1), xlabel="test accuracy (360 digits)")
ax.invert_yaxis()
fig.tight_layout()

# %%
# What this shows
# ---------------
#
# The paper finds, on MNIST with 2000 units, a performance of the competing units with
# the top layer comparable to the same network trained end to end by backpropagation; a
# third-party reproduction measured 97.8% against backprop's 98.15%, and the first
# author reports about 98.5% with inputs scaled to unit length. The small run above
# agrees in kind: the units learned without labels carry almost all that the top layer
# needs, and backpropagation, which shapes the hidden units for the labels, is a little
# ahead. The random units are a strong baseline at this size: 100 random projections of
# 64 pixels, raised to the power 4.5, already separate the digits well, and the learned
# units beat them by a few points (the recipe adds the random units rescaled to the unit
# sphere, a much weaker baseline). These are small settings on the 8x8 digits, not a
# reproduction of the paper's numbers. The checks below fail the build if this stops
# being true.

assert scores["learned units"] > 0.85
assert scores["learned units"] > scores["random units"] + 0.015
assert scores["backprop, end to end"] - scores["learned units"] < 0.08

# %%
# ``hebbian run krotov-digits`` is the full version of this page (with the random
# units also rescaled to the unit sphere, and the result checked against the paper's
# expectations); ``krotov-fashion`` and ``krotov-mnist`` run the rule on 28x28 images,
# and :class:`~hebbian.competing.CompetingParams` describes the collapse that the
# published rule suffers on strongly overlapping images, with two variants that
# prevent it.
