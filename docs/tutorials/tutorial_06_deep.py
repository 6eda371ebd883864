r"""
Deep Hebbian networks: SoftHebb
===============================

Can a convolutional network learn useful features layer by layer, with a local Hebbian
rule, no labels and no backpropagated error? SoftHebb says yes (Moraitis, Toichkin,
Journé, Chua & Guo, "SoftHebb: Bayesian inference in unsupervised Hebbian soft
winner-take-all networks", Neuromorph. Comput. Eng. 2, 044017, 2022; Journé, Garcia
Rodriguez, Guo & Moraitis, "Hebbian deep learning without feedback", ICLR 2023). Each
layer is a *soft winner-take-all* circuit: its units compete for every input patch
through a softmax, and each unit moves its weights towards the patches it wins. Stack
such layers, train them one after the other, and a linear classifier on top (a *linear
probe*) reads the labels from the frozen features.

This tutorial uses :mod:`hebbian.deep` to

1. write down the soft competition and the SoftHebb rule, and check the identity that
   makes the unit sphere its fixed point;
2. train a two-block convolutional network on scikit-learn's 8x8 digits, block by
   block, and look at its first-layer filters;
3. follow the weight norms during learning and compare them with what the rule
   predicts;
4. read the frozen features out with a linear probe, against the same probe on the
   untrained (random) network and on the raw pixels.
"""  # noqa: D205, D400 (a sphinx-gallery title, not a summary line)

# %%
# Soft competition
# ----------------
#
# A layer with weights :math:`W \in \mathbb{R}^{H \times N}` (one row :math:`w_k` per
# unit) sees a sample :math:`x \in \mathbb{R}^N`; for a convolution, every patch of
# every image is one sample, with :math:`N = C k_h k_w` entries. The units'
# pre-activations are :math:`u_k = w_k \cdot x`, and they compete through a softmax at
# temperature :math:`T`,
#
# .. math::
#
#     y_k = \frac{e^{u_k / T}}{\sum_j e^{u_j / T}} .
#
# Moraitis et al. (2022) show that this is Bayesian inference: if each unit stands for
# one component of a mixture that generated the (normalised) input, and the weights
# have unit norm, :math:`y_k` is the posterior probability that component :math:`k`
# did. Small :math:`T` approaches a hard
# winner-take-all, large :math:`T` shares the input evenly. In the deep version
# (Journé et al. 2023) every unit except the winner gets the opposite sign,
# :math:`y_k \to -y_k`: the losers are *anti-Hebbian*, pushed away from the inputs the
# winner takes, which spreads the units over the data.
# :func:`~hebbian.deep.soft_competition` computes both.

import copy

import matplotlib.pyplot as plt
import numpy as np
import torch

from hebbian.data import load_dataset
from hebbian.deep import (
    HebbianBlock,
    HebbianConv2d,
    HebbianNetwork,
    LinearProbe,
    Pooling,
    PoolSpec,
    SoftHebb,
    fit_probe,
    probe_accuracy,
    soft_competition,
    softhebb_update,
    weight_norms,
)

currents = torch.tensor([[2.0, 1.0, 0.0, -1.0]], dtype=torch.float64)
for temperature in (0.1, 1.0, 10.0):
    plain = soft_competition(currents, temperature, anti_hebbian=False)
    signed = soft_competition(currents, temperature)
    print(f"T = {temperature:4}: softmax {plain[0].numpy().round(3)}")
    print(f"          signed  {signed[0].numpy().round(3)}")
    assert torch.allclose(plain.sum(), torch.tensor(1.0, dtype=torch.float64))

# %%
# The SoftHebb rule and its fixed point
# -------------------------------------
#
# Each unit changes its weights by
#
# .. math::
#
#     \Delta w_k = \eta_k \,\big\langle y_k \,(x - u_k w_k) \big\rangle ,
#
# the mean taken over the samples of a batch (:func:`~hebbian.deep.softhebb_update`
# returns the sum, :class:`~hebbian.deep.HebbianConv2d` divides by the number of
# samples). With one unit, :math:`y = 1` and this is Oja's rule,
# :math:`u\,(x - u w)`. The term :math:`-y_k u_k w_k` keeps the weights bounded: take
# the dot product with :math:`w_k` and write :math:`r_k = \lVert w_k \rVert`,
#
# .. math::
#
#     w_k \cdot \Delta w_k \propto \sum_m y_{mk}\, u_{mk}\, (1 - r_k^2) .
#
# Where :math:`\sum_m y_{mk} u_{mk} > 0` (a unit that wins the samples that drive it),
# the norm shrinks when :math:`r_k > 1` and grows when :math:`r_k < 1`: the unit sphere
# is the fixed point. A loser with a positive current has :math:`y_k u_k < 0` and is
# pushed *away* from the sphere. Journé et al. also scale each unit's rate by its
# distance from the sphere, :math:`\eta_k = \eta\, |r_k - 1|^q`
# (:func:`~hebbian.deep.norm_dependent_rates`, :math:`q = 1/2` by default), so that
# units far from it learn fast and units on it settle. The identity above holds
# exactly, whatever the inputs; we check it on random data.

g = torch.Generator().manual_seed(0)
samples = torch.randn(50, 9, generator=g, dtype=torch.float64)  # 50 samples, N = 9
weight = 2.5 * torch.randn(4, 9, generator=g, dtype=torch.float64) / 3.0  # H = 4 units
change = softhebb_update(samples, weight, temperature=1.0)  # summed over the samples
u = samples @ weight.T
y = soft_competition(u, 1.0)
lhs = (weight * change).sum(dim=1)
rhs = (y * u).sum(dim=0) * (1.0 - weight_norms(weight) ** 2)
print("w_k . dw_k              ", lhs.numpy().round(4))
print("sum_m y u (1 - r_k^2)   ", rhs.numpy().round(4))
assert torch.allclose(lhs, rhs, rtol=1e-10, atol=1e-10)

# %%
# A two-block network
# -------------------
#
# A :class:`~hebbian.deep.HebbianBlock` computes
#
# .. math::
#
#     h = \operatorname{pool}\!\Big(\operatorname{triangle}\big(
#         \operatorname{conv}_W(\operatorname{standardise}(x))\big)\Big),
#
# where the standardisation has no learned parameters (each channel to zero mean and
# unit variance, like batch normalisation without its affine part) and the triangle
# activation :math:`h_k = \max(0, u_k - \bar u)` passes the units that beat the mean of
# the units at the same position (:func:`~hebbian.deep.triangle`; Coates, Lee & Ng,
# AISTATS 2011). The rule sees the standardised patches. Our network is tiny: a 5x5
# convolution to 16 channels with 2x2 max pooling (8x8 to 4x4), then a 3x3 convolution
# to 64 channels with 2x2 average pooling (4x4 to 2x2), both learning by SoftHebb at
# :math:`T = 1`. The initial kernels are Gaussian with norms near 2.5, far from the
# unit sphere. We keep a copy of the untrained network as the random-features
# baseline. Everything is in float64 and every random draw comes from a seeded
# generator.

train = load_dataset("digits", "train")  # 1437 images, scikit-learn's order
test = load_dataset("digits", "test")  # the other 360
x_train = train.images[:, None].to(torch.float64)  # (1437, 1, 8, 8), values in [0, 1]
x_test = test.images[:, None].to(torch.float64)
y_train, y_test = train.labels, test.labels
print("train", tuple(x_train.shape), "test", tuple(x_test.shape))

g = torch.Generator().manual_seed(0)
rule, rate = SoftHebb(temperature=1.0), 0.2
net = HebbianNetwork(
    [
        HebbianBlock(
            HebbianConv2d(1, 16, 5, rule, rate, padding=2, generator=g, dtype=torch.float64),
            pool=PoolSpec(Pooling.MAX, 2, 2),
        ),
        HebbianBlock(
            HebbianConv2d(16, 64, 3, rule, rate, padding=1, generator=g, dtype=torch.float64),
            pool=PoolSpec(Pooling.AVERAGE, 2, 2),
        ),
    ]
)
untrained = copy.deepcopy(net)
initial_norms = [block.conv.weight_norms() for block in net.block_list]
print(net)

# %%
# Layer-wise training without feedback
# ------------------------------------
#
# The blocks learn greedily: block 1 on the images, then block 2 on the output of the
# frozen block 1 (:meth:`~hebbian.deep.HebbianNetwork.fit_block`). Nothing flows back
# from block 2 to block 1, and no label is used. Each block makes three passes over
# the 1437 training images in shuffled batches of 10 (144 steps a pass), a rate
# :math:`\eta = 0.2` (the paper makes one pass over CIFAR-10's 50,000 images; the
# digits are far fewer, so we make more passes at a higher rate). A callback records
# every kernel's norm after each step. The untrained copy makes one pass without
# plasticity (``plastic=False``), so that its standardisations estimate the same
# running statistics.

epochs, batch_size = 3, 10
shuffles = torch.Generator().manual_seed(1)
traces = [[norms] for norms in initial_norms]
for depth in range(2):
    for _ in range(epochs):
        net.fit_block(
            depth,
            x_train,
            batch_size=batch_size,
            generator=shuffles,
            callback=lambda d, step: traces[d].append(net.block_list[d].conv.weight_norms()),
        )
untrained.fit_epoch(x_train, batch_size=batch_size, generator=shuffles, plastic=False)
steps_per_epoch = -(-len(x_train) // batch_size)
print("plasticity steps per block:", [int(b.conv.steps) for b in net.block_list])

# %%
# After training we measure, for each unit, the share of positions (over all training
# images) at which it has the largest current, i.e. how often it wins.

shares, final_norms = [], []
with torch.no_grad():
    x = x_train
    for block in net.block_list:
        block.eval()  # standardise with the running statistics
        winners = block.conv(block.normalised(x)).argmax(dim=1).flatten()
        channels = block.conv.out_channels
        shares.append(torch.bincount(winners, minlength=channels) / winners.numel())
        final_norms.append(block.conv.weight_norms())
        x = block(x)

# %%
# The first layer's filters
# -------------------------
#
# Each 5x5 kernel of block 1, before and after learning, scaled by its largest
# :math:`|w|` (red positive, blue negative), in the order of how often it wins after
# learning (most often first, top left). The initial kernels are white noise. The
# few kernels that win most often have become smooth, extended patterns at the scale
# of a digit's pen strokes, while those that rarely win still carry much of their
# initial noise: a unit learns mostly from the samples it wins.

fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4))
for ax, kernels, title in zip(
    axes,
    (untrained.block_list[0].conv.weight, net.block_list[0].conv.weight),
    ("initial (random) kernels", "after SoftHebb"),
    strict=True,
):
    mosaic = np.full((4 * 6 + 1, 4 * 6 + 1), np.nan)
    for i, kernel in enumerate(kernels[shares[0].argsort(descending=True), 0].numpy()):
        row, col = divmod(i, 4)
        mosaic[1 + 6 * row : 6 + 6 * row, 1 + 6 * col : 6 + 6 * col] = kernel / np.abs(kernel).max()
    ax.imshow(mosaic, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set(xticks=[], yticks=[], title=title)
fig.suptitle("block 1: sixteen 5x5 kernels")
fig.tight_layout()

# %%
# Weight norms against theory
# ---------------------------
#
# The fixed-point argument above predicts who converges: a unit that wins many
# samples has :math:`\sum_m y_{mk} u_{mk} > 0` and goes to the unit sphere; a unit
# that mostly loses is moved by the anti-Hebbian term and need not. We trace the
# median and the 10%-90% band of each block's kernel norms, and then plot each
# kernel's norm against its share of wins. We call a unit a *frequent winner* when its
# share is at least twice the uniform share :math:`1/H`.

fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2), sharey=True)
for depth, ax in enumerate(axes):
    norms = torch.stack(traces[depth]).numpy()  # (steps + 1, H)
    epochs_seen = np.arange(len(norms)) / steps_per_epoch
    low, median, high = np.quantile(norms, [0.1, 0.5, 0.9], axis=1)
    ax.fill_between(epochs_seen, low, high, alpha=0.3, label="10%-90%")
    ax.plot(epochs_seen, median, label="median")
    ax.axhline(1.0, color="k", linewidth=0.8, linestyle="--", label="fixed point")
    ax.set(xlabel="passes over the training images", title=f"block {depth + 1}")
axes[0].set_ylabel("kernel norm $r_k$")
axes[0].legend(fontsize=8)
fig.tight_layout()

fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
for depth, ax in enumerate(axes):
    ax.scatter(shares[depth], initial_norms[depth], s=12, color="0.6", label="initial")
    ax.scatter(shares[depth], final_norms[depth], s=12, label="after learning")
    ax.axhline(1.0, color="k", linewidth=0.8, linestyle="--")
    ax.axvline(2.0 / len(shares[depth]), color="C3", linewidth=0.8, label="share 2/H")
    ax.set(xlabel="share of positions won", title=f"block {depth + 1}")
axes[0].set_ylabel("kernel norm $r_k$")
axes[0].legend(fontsize=8)
fig.tight_layout()

for depth in range(2):
    share, before, after = shares[depth], initial_norms[depth], final_norms[depth]
    often = share >= 2.0 / len(share)  # at least twice the uniform share
    distance_before, distance_after = (before - 1).abs(), (after - 1).abs()
    ranks = torch.stack([share.argsort().argsort(), distance_after.argsort().argsort()])
    spearman = torch.corrcoef(ranks.to(torch.float64))[0, 1]
    print(
        f"block {depth + 1}: {int(often.sum())} of {len(share)} units win at least 2/H of "
        f"the positions; their |r - 1|: {distance_before[often].min():.3f} or more before, "
        f"{distance_after[often].max():.4f} or less after"
    )
    print(
        f"         mean |r - 1| of all units {distance_before.mean():.3f} -> "
        f"{distance_after.mean():.3f}; rank correlation of share and |r - 1|: {spearman:+.3f}"
    )
    # theory: the units that win the samples that drive them converge to the unit sphere,
    # and the more a unit wins, the closer it gets
    assert often.any() and distance_after[often].max() < 0.15 < distance_before[often].min()
    assert spearman < -0.4

# block 1 as a whole moved towards the sphere
assert (final_norms[0] - 1).abs().mean() < 0.5 * (initial_norms[0] - 1).abs().mean()

# %%
# In both blocks the frequent winners end on the unit sphere, and the more often a
# unit wins, the closer it gets (the negative rank correlation printed above): the
# fixed point of the winner's change, reached at a speed set by
# :math:`\eta |r_k - 1|^q`. Units that rarely win move only part of the way. In
# block 2, whose 64 units compete for the 16 positions of each 4x4 input, most units
# rarely win and the band of the traced norms widens *upwards*: losers with positive
# currents are pushed away from the sphere, as the anti-Hebbian sign predicts, and
# the mean distance from the sphere over all of block 2's units need not shrink at
# all. Large norms make large currents, so such a unit may later start winning
# because of its size rather than its direction; this is one reason why the rule's
# behaviour depends on the rate, the width and the temperature of a layer.
#
# The linear probe
# ----------------
#
# Unsupervised features are judged by how well a *linear* map reads the labels from
# them. The probe (:class:`~hebbian.deep.LinearProbe`) standardises each feature over
# the training images and computes scores :math:`s = A f + b`, trained with
# cross-entropy by Adam (:func:`~hebbian.deep.fit_probe`) on the frozen features of
# each block (:meth:`~hebbian.deep.HebbianNetwork.features`: 16 x 4 x 4 = 256 features
# after block 1, 64 x 2 x 2 = 256 after block 2). The same probe, with the same
# seeds for its initial weights and shuffles, reads the untrained network and the 64
# raw pixels.

records = {}
for name, source, depth in (
    ("raw pixels", None, 0),
    ("random, block 1", untrained, 1),
    ("random, block 2", untrained, 2),
    ("SoftHebb, block 1", net, 1),
    ("SoftHebb, block 2", net, 2),
):
    if source is None:
        f_train, f_test = x_train.flatten(1), x_test.flatten(1)
    else:
        f_train = source.features(x_train, depth=depth)
        f_test = source.features(x_test, depth=depth)
    probe = LinearProbe(
        f_train.shape[1], 10, generator=torch.Generator().manual_seed(2), dtype=torch.float64
    )
    fit_probe(
        probe,
        f_train,
        y_train,
        torch.Generator().manual_seed(3),
        epochs=10,
        batch_size=64,
        learning_rate=3e-3,
    )
    records[name] = probe_accuracy(probe, f_test, y_test)
    print(f"{name:18s} {f_train.shape[1]:4d} features: test accuracy {records[name]:.4f}")

gain = records["SoftHebb, block 2"] - records["random, block 2"]
print(f"SoftHebb minus random features (block 2): {100 * gain:+.2f} points")
for name, value in records.items():
    assert value > 0.8, name  # every probe far above chance (0.1)
assert gain > -0.05  # the learned features are not much worse than random ones

fig, ax = plt.subplots(figsize=(6.4, 3.2))
names = list(records)
ax.barh(names, [records[n] for n in names], color=["0.5", "C1", "C1", "C0", "C0"])
for i, n in enumerate(names):
    ax.text(records[n] - 0.01, i, f"{records[n]:.3f}", va="center", ha="right", color="w")
ax.set(xlim=(0.5, 1.0), xlabel="test accuracy of the linear probe", title="360 test digits")
ax.invert_yaxis()
fig.tight_layout()

# %%
# What this shows
# ---------------
#
# The local rule did what its maths says: the units that win converge to the unit
# sphere, the filters that win turn from noise into smooth stroke-like patterns, and
# the layers were trained one after the other without any feedback from above or any
# label. The probe accuracies, printed above, are all far above chance; the learned features and
# the random ones are within a few points of each other. That is no contradiction of
# the paper: random convolutional features followed by a nonlinearity and pooling are
# already a strong baseline (Jarrett, Kavukcuoglu, Ranzato & LeCun, ICCV 2009), and
# 8x8 digits are too small and too easy for two tiny layers to show a gain over them.
# Journé et al. work with CIFAR-10 and other larger images, wide layers (96, 384 and 1536
# channels on CIFAR-10) and several blocks, where depth and width matter. The
# recipes ``hebbian run softhebb-digits`` and ``softhebb-fashion`` run the full-size
# comparisons, with hard winner-take-all, Krotov-Hopfield and end-to-end backprop
# beside SoftHebb.
