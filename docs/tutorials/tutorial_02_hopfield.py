r"""
Hopfield memories
=================

A Hopfield network is a content-addressable memory: it stores a set of patterns in its
connections, and a corrupted or partial version of one of them, given as the starting
state, is completed by the dynamics of the network itself. Hopfield ("Neural networks
and physical systems with emergent collective computational abilities", PNAS 79,
2554-2558, 1982) showed that with symmetric connections the dynamics descend an energy
function, so the stored patterns can be made into its local minima.

This tutorial uses :mod:`hebbian.hopfield` to

1. store random binary patterns with the Hebbian (outer-product) rule and recall them
   with asynchronous and synchronous updates, watching the energy;
2. measure how many patterns the network holds, against the signal-to-noise theory of
   a single update and the replica theory of Amit, Gutfreund & Sompolinsky ("Storing
   infinite numbers of patterns in a spin-glass model of neural networks", Phys. Rev.
   Lett. 55, 1530, 1985), whose critical load is :math:`P/N \approx 0.138`;
3. raise the capacity with the dense associative memory of Krotov & Hopfield ("Dense
   associative memory for pattern recognition", NeurIPS 2016), whose capacity grows like
   :math:`N^{n-1}` with the order :math:`n` of its interactions;
4. recall handwritten digits from their top halves with the continuous modern Hopfield
   network of Ramsauer et al. ("Hopfield networks is all you need", ICLR 2021,
   arXiv:2008.02217), whose update is the softmax attention of transformers.
"""  # noqa: D205, D400 (a sphinx-gallery title, not a summary line)

# %%
# The classical network and the Hebbian rule
# -------------------------------------------
#
# The network has :math:`N` neurons with states :math:`s_i \in \{-1, +1\}`. To store
# :math:`P` patterns :math:`\xi^\mu \in \{-1, +1\}^N`, the Hebbian rule adds up their
# outer products, so that two neurons that agree in most patterns excite each other:
#
# .. math::
#
#     W_{ij} = \frac1N \sum_{\mu=1}^{P} \xi^\mu_i \xi^\mu_j \quad (i \ne j),
#     \qquad W_{ii} = 0 .
#
# A neuron looks at its local field :math:`h_i = \sum_j W_{ij} s_j` and takes its sign,
# :math:`s_i \leftarrow \operatorname{sign}(h_i)` (the library keeps the current state
# when :math:`h_i = 0`). The energy is
#
# .. math::
#
#     E(s) = -\tfrac12 \sum_{i,j} W_{ij} s_i s_j = -\tfrac12 s^\top W s .
#
# When neuron :math:`i` alone changes, by :math:`\Delta s_i`, the energy changes by
# :math:`\Delta E = -\Delta s_i\, h_i` (the weights are symmetric and the diagonal is
# zero). A neuron only flips towards the sign of its field, so :math:`\Delta E \le 0`.
# With *asynchronous* updates, one neuron at a time, the energy therefore never rises,
# and since it is bounded below the network must stop at a fixed point. A flip where
# :math:`h_i` is a non-zero multiple of :math:`1/N` lowers :math:`E` by at least
# :math:`2/N`.
#
# :class:`~hebbian.hopfield.HopfieldNetwork` does all this with scikit-learn manners:
# ``fit`` stores patterns, ``recall`` runs the dynamics from a batch of cues. Here
# :math:`N = 200` neurons store :math:`P = 10` random patterns (a load :math:`P/N =
# 0.05`), and each pattern is cued with a quarter of its bits flipped
# (:func:`~hebbian.hopfield.flip_bits`).

import math

import matplotlib.pyplot as plt
import torch

from hebbian.data import load_dataset, random_binary_patterns
from hebbian.hopfield import (
    DenseAssociativeMemory,
    HopfieldNetwork,
    Polynomial,
    UpdateRule,
    angle_decode,
    angle_encode,
    binarise_cue,
    classical,
    crossing,
    dense,
    dense_capacity_at_level,
    dense_capacity_theory,
    dense_fixed_fraction_at_capacity,
    flip_bits,
    hebb_all_fixed_alpha,
    hebb_alpha_at_level,
    hebb_stable_fraction,
    hebb_weights,
    interpolate_log,
    mask_bottom_half,
    modern,
    retrieval_overlap,
)

generator = torch.Generator().manual_seed(0)
N, P = 200, 10
patterns = random_binary_patterns(P, N, generator=generator)  # (P, N), entries +-1
network = HopfieldNetwork(update=UpdateRule.ASYNCHRONOUS).fit(patterns)

# the estimator's weights are the outer-product rule, exactly
assert torch.equal(network.weights_, hebb_weights(patterns))
assert torch.equal(network.weights_, network.weights_.T)

cues = flip_bits(patterns, 0.25, generator)  # 50 of the 200 bits of each pattern flipped
result = network.recall(cues, generator=generator, return_energy=True)
exact = (result.states == patterns).all(dim=1)
steps = result.energies.diff(dim=0)  # (sweeps, P): energy change of each sweep
print(f"cue overlaps with their pattern: {(cues * patterns).mean(dim=1).unique().tolist()}")
print(f"recalled exactly: {int(exact.sum())} of {P}, after {result.sweeps} sweeps")
print(f"largest energy change of any sweep: {steps.max().item():.2e}")
assert bool(exact.all())
assert bool((steps <= 1e-4).all())  # never up (a real flip lowers E by >= 2/N = 0.01)

fig, (left, right) = plt.subplots(1, 2, figsize=(6.4, 3.2))
left.plot(result.energies.numpy(), color="tab:blue", alpha=0.6)
left.plot(
    range(result.sweeps + 1),
    [network.energy(patterns).mean().item()] * (result.sweeps + 1),
    "k--",
    label="mean E of the patterns",
)
left.set(xlabel="asynchronous sweep", ylabel="energy E", title="Energy during recall")
left.legend(fontsize=8)
overlaps = result.overlaps  # (P cues, P patterns): m = s . xi / N
others = overlaps[~torch.eye(P, dtype=torch.bool)]
right.hist(others.numpy(), bins=15, color="tab:orange", label="other patterns")
right.axvline(1.0, color="tab:blue", linewidth=3, label="cued pattern")
right.set(xlabel="overlap m of the final state", ylabel="count", title="Final overlaps")
right.legend(fontsize=8)
fig.tight_layout()

# %%
# Every trajectory runs downhill to the energy of the stored patterns, and ends there:
# the final state has overlap 1 with its own pattern and overlaps of order
# :math:`1/\sqrt{N}` with the others, as independent random vectors have.
#
# Synchronous updates and 2-cycles
# --------------------------------
#
# With *synchronous* updates (Little dynamics) all neurons update at once from the same
# old state, :math:`s(t+1) = \operatorname{sign}(W s(t))`. The energy argument breaks:
# two neurons can flip together and undo each other's reason for flipping. What stays
# true for symmetric weights is that
#
# .. math::
#
#     L(t) = -s(t+1)^\top W s(t)
#
# never increases, and equals its previous value only when :math:`s(t+1) = s(t-1)`
# (where no field is zero). So synchronous dynamics end in a fixed point *or in a
# 2-cycle*, never in a longer cycle (Goles-Chacc, Fogelman-Soulié & Pellegrin, Discrete
# Appl. Math. 12, 1985). Here the network is overloaded, :math:`P = 61` patterns
# (an odd :math:`P`, so that :math:`N h_i`, a sum of :math:`(N-1) P` terms
# :math:`\pm 1`, is odd and no field is ever zero), and the cues are random states. We
# check the end state of every cue with ``classical.synchronous_step``.

crowded = random_binary_patterns(61, N, generator=generator)
starts = random_binary_patterns(100, N, generator=generator)
weights = hebb_weights(crowded)
kinds = {}
for update in (UpdateRule.SYNCHRONOUS, UpdateRule.ASYNCHRONOUS):
    end = (
        HopfieldNetwork(update=update)
        .fit(crowded)
        .recall(starts, max_sweeps=200, generator=generator)
    )
    once = classical.synchronous_step(end.states, weights)
    twice = classical.synchronous_step(once, weights)
    fixed = (once == end.states).all(dim=1)
    cycle = ~fixed & (twice == end.states).all(dim=1)
    kinds[update] = (fixed, cycle)
    print(
        f"{update.value:>12}: {end.sweeps:3d} sweeps, {int(fixed.sum())} fixed points, "
        f"{int(cycle.sum())} 2-cycles, {int((~fixed & ~cycle).sum())} other"
    )
fixed, cycle = kinds[UpdateRule.SYNCHRONOUS]
assert bool((fixed | cycle).all())  # the theorem: nothing but fixed points and 2-cycles
assert bool(kinds[UpdateRule.ASYNCHRONOUS][0].all())  # asynchronous: always a fixed point

# %%
# Capacity against the load
# -------------------------
#
# How many patterns fit? Start the network at a stored pattern :math:`\xi^\nu` and look
# at one neuron. Its field splits into a signal and a crosstalk from the other patterns:
#
# .. math::
#
#     \xi^\nu_i h_i = \frac{N-1}{N} + \frac1N \sum_{\mu \ne \nu} \sum_{j \ne i}
#     \xi^\nu_i \xi^\mu_i \xi^\mu_j \xi^\nu_j .
#
# The crosstalk is a sum of :math:`(P-1)(N-1)` random signs divided by :math:`N`, close
# to a Gaussian of variance :math:`(P-1)(N-1)/N^2`. The bit flips when the crosstalk
# beats the signal, with probability
#
# .. math::
#
#     P_e = \tfrac12 \operatorname{erfc}\Big(\sqrt{\tfrac{N-1}{2(P-1)}}\Big)
#     \;\to\; \tfrac12 \operatorname{erfc}\big(1/\sqrt{2\alpha}\big),
#     \qquad \alpha = P/N .
#
# Treating the :math:`N` bits as independent, a pattern is a fixed point with probability
# :math:`(1 - P_e)^N` (:func:`~hebbian.hopfield.hebb_stable_fraction`): all patterns are
# fixed points below :math:`\alpha = 1/(4 \ln N)` (McEliece, Posner, Rodemich & Venkatesh,
# IEEE Trans. Inf. Theory 33, 461, 1987; :func:`~hebbian.hopfield.hebb_all_fixed_alpha`),
# and half of them at :func:`~hebbian.hopfield.hebb_alpha_at_level`.
#
# That counts patterns recalled with *no* error. Amit, Gutfreund & Sompolinsky asked
# instead whether the network, started at a pattern, stays *near* it. Their mean-field
# (replica-symmetric) theory gives the overlap :math:`m` of the retrieval state,
# :func:`~hebbian.hopfield.retrieval_overlap`: it stays above 0.96 up to a critical load
# :math:`\alpha_c \approx 0.138`, where the retrieval state disappears and :math:`m`
# drops to 0. We find :math:`\alpha_c` from the library's function by bisection (on
# :math:`m > 0.9`: just above :math:`\alpha_c` the fixed-point iteration from
# :math:`m = 1` creeps down slowly and may stop halfway), then
# measure all three quantities at :math:`N = 200`: the one-step error rate and the
# fraction of fixed points from the fields of the stored patterns (many sets of patterns,
# cheap), and the overlap after a full asynchronous recall started at each pattern.

low, high = 0.10, 0.20  # retrieval state at low, none at high
for _ in range(30):
    middle = 0.5 * (low + high)
    low, high = (middle, high) if retrieval_overlap(middle) > 0.9 else (low, middle)
alpha_c = low
below_c, above_c = retrieval_overlap(0.995 * alpha_c), retrieval_overlap(1.005 * alpha_c)
print(f"alpha_c = {alpha_c:.4f}; m at 0.995 alpha_c: {below_c:.3f}, at 1.005 alpha_c: {above_c}")
assert abs(alpha_c - 0.138) < 0.002
assert below_c > 0.96 and above_c == 0.0  # the jump

alphas = [round(0.02 * k, 2) for k in range(1, 16)]
error_rate, fixed_fraction, final_overlap, error_theory = [], [], [], []
for alpha in alphas:
    count = round(alpha * N)
    flips = fixed = 0
    for _ in range(30):  # sets of patterns for the one-step statistics
        xi = random_binary_patterns(count, N, generator=generator)
        signal = classical.local_field(xi, hebb_weights(xi)) * xi  # (P, N): xi_i h_i
        flips += int((signal < 0).sum())
        fixed += int((signal >= 0).all(dim=1).sum())  # a zero field keeps its bit
    error_rate.append(flips / (30 * count * N))
    fixed_fraction.append(fixed / (30 * count))
    error_theory.append(0.5 * math.erfc(math.sqrt((N - 1) / (2 * (count - 1)))))
    overlap = 0.0
    for _ in range(4):  # sets of patterns for the full recall
        xi = random_binary_patterns(count, N, generator=generator)
        end = HopfieldNetwork(shared_order=True).fit(xi).recall(xi, generator=generator)
        overlap += end.overlaps.diagonal().mean().item() / 4
    final_overlap.append(overlap)

half_measured = crossing(alphas, fixed_fraction, 0.5)
half_theory = hebb_alpha_at_level(N)
m_crossing = crossing(alphas, final_overlap, 0.9)
print(" alpha   P_e measured  P_e theory   fixed   (1-P_e)^N   overlap  AGS m")
for i, alpha in enumerate(alphas):
    theory_fixed = hebb_stable_fraction(round(alpha * N), N)
    print(
        f"{alpha:6.2f} {error_rate[i]:12.5f} {error_theory[i]:11.5f} {fixed_fraction[i]:8.3f}"
        f" {theory_fixed:10.3f} {final_overlap[i]:9.3f} {retrieval_overlap(alpha):6.3f}"
    )
print(f"half the patterns fixed at alpha = {half_measured:.3f} (theory {half_theory:.3f})")
print(f"all fixed below 1/(4 ln N) = {hebb_all_fixed_alpha(N):.3f}")
print(f"mean final overlap falls below 0.9 at alpha = {m_crossing:.3f} (alpha_c = {alpha_c:.3f})")
for i, alpha in enumerate(alphas):
    if alpha >= 0.1:  # enough flips to count: the Gaussian theory within the counting noise
        total = 30 * round(alpha * N) * N  # bits examined
        expected, measured = error_theory[i] * total, error_rate[i] * total
        assert abs(measured - expected) < 4 * math.sqrt(expected) + 0.1 * expected, alpha
    if alpha <= hebb_all_fixed_alpha(N):
        assert fixed_fraction[i] == 1.0, alpha
assert abs(half_measured - half_theory) < 0.03
assert abs(m_crossing - alpha_c) < 0.05  # finite N keeps large overlaps a little beyond
assert min(final_overlap[: alphas.index(0.1) + 1]) > 0.99

fine = [0.3 * k / 200 for k in range(1, 201)]
fig, (left, right) = plt.subplots(1, 2, figsize=(6.4, 3.4))
left.semilogy(alphas, error_rate, "o", color="tab:blue", label="bit errors, measured")
left.semilogy(
    fine[20:],
    [0.5 * math.erfc(math.sqrt((N - 1) / (2 * (a * N - 1)))) for a in fine[20:]],
    "k-",
    linewidth=1,
    label=r"$P_e$, Gaussian theory",
)
left.plot(alphas, fixed_fraction, "s", color="tab:green", label="patterns fixed")
left.plot(
    fine,
    [hebb_stable_fraction(a * N, N) for a in fine],
    color="tab:green",
    linewidth=1,
    label=r"$(1-P_e)^N$",
)
left.set(xlabel="load P / N", ylabel="fraction", ylim=(1e-4, 1.5), title="One update")
left.legend(fontsize=7, loc="lower right")
right.plot(alphas, final_overlap, "o", color="tab:red", label=f"measured, N = {N}")
below = [a for a in fine if a < alpha_c]
right.plot(below, [retrieval_overlap(a) for a in below], "k-", linewidth=1, label="AGS theory")
right.plot([alpha_c, 0.3], [0, 0], "k-", linewidth=1)
right.axvline(alpha_c, color="0.5", linestyle="--", linewidth=1, label=r"$\alpha_c$")
right.set(xlabel="load P / N", ylabel="overlap m after recall", title="Full recall")
right.legend(fontsize=7, loc="lower left")
fig.tight_layout()

# %%
# The measured error rate follows :math:`P_e`, and the fraction of fixed points follows
# :math:`(1 - P_e)^N` down to the crossing at one half, and lies a little above it
# beyond (the bits of a pattern are not quite independent). The overlap after recall stays
# at 1 for light loads and falls near :math:`\alpha_c`. At :math:`N = 200` it falls
# smoothly, and somewhat beyond :math:`\alpha_c`, where the theory, valid as
# :math:`N \to \infty`, has a jump. Patterns that are not exact fixed points are still
# recalled with a few wrong bits well below :math:`\alpha_c`: that is why the
# retrieval capacity 0.138 is far above the exact-recall capacity :math:`1/(4 \ln N)`.
#
# Dense associative memory
# ------------------------
#
# Krotov & Hopfield (2016) replace the quadratic energy by a sum of a steeper function of
# the overlaps:
#
# .. math::
#
#     E(\sigma) = -\sum_{\mu=1}^{P} F(\xi^\mu \cdot \sigma), \qquad F(x) = x^n .
#
# A neuron takes whichever value gives the lower energy with the others held fixed,
# :math:`\sigma_i \leftarrow \operatorname{sign}\big(\sum_\mu F(\xi^\mu \cdot
# \sigma^{(i+)}) - F(\xi^\mu \cdot \sigma^{(i-)})\big)`, where :math:`\sigma^{(i\pm)}` is
# :math:`\sigma` with bit :math:`i` set to :math:`\pm 1`; so again the energy never rises.
# For :math:`n = 2`, :math:`(\xi^\mu \cdot \sigma)^2 = N + \sum_{i \ne j} \xi^\mu_i
# \xi^\mu_j \sigma_i \sigma_j`, hence :math:`E_{\text{dense}} = 2N E_{\text{classical}} -
# PN`: the classical network, up to a scale and a constant. We check this identity, and
# that with the same visiting orders both memories make the very same moves. Then we
# overload a network of :math:`N = 100` neurons with :math:`P = 40` patterns (a load 0.4,
# three times :math:`\alpha_c`) and recall each from a cue with 20% of its bits flipped,
# classically and with :math:`n = 3`.

N, P = 100, 40
xi = random_binary_patterns(P, N, generator=generator)
cues = flip_bits(xi, 0.2, generator)
gap = dense.energy(cues.double(), xi.double(), Polynomial(2)) - (
    2 * N * classical.energy(cues.double(), hebb_weights(xi.double())) - P * N
)
print(f"largest |E_dense(n=2) - (2 N E_classical - P N)|: {gap.abs().max().item():.1e}")
assert gap.abs().max().item() < 1e-9

orders = torch.stack([torch.randperm(N, generator=generator) for _ in range(50)])
quadratic = DenseAssociativeMemory(Polynomial(2)).fit(xi).recall(cues, sweep_orders=orders)
hopfield = HopfieldNetwork().fit(xi).recall(cues, sweep_orders=orders)
assert torch.equal(quadratic.states, hopfield.states)

cubic = DenseAssociativeMemory(Polynomial(3)).fit(xi).recall(cues, generator=generator)
for name, end in (("classical, n = 2", hopfield), ("dense, n = 3", cubic)):
    hits = (end.states == xi).all(dim=1).double().mean().item()
    print(f"{name}: {hits:.2f} recalled exactly, mean overlap {end.overlaps.diagonal().mean():.3f}")
assert bool((cubic.states == xi).all())
assert (hopfield.states == xi).all(dim=1).double().mean().item() < 0.2
print(
    f"K_3 at N = {N}: {dense_capacity_theory(N, 3):.0f} patterns (K_2: "
    f"{dense_capacity_theory(N, 2):.1f})"
)

# %%
# Why :math:`n = 3` copes: at a stored pattern, the signal in the gain of a bit grows
# like :math:`N^{n-1}`, while the crosstalk of :math:`K` random patterns has a variance
# of order :math:`K (2n-3)!!\, N^{n-1}`. In the units of Krotov & Hopfield, asking for
# :math:`\sqrt{2 \ln N}` standard deviations of margin, so that a given stored pattern
# has, with high probability, no bit that flips, gives the capacity
#
# .. math::
#
#     K_n = \frac{N^{n-1}}{2\,(2n-3)!!\,\ln N}
#
# (:func:`~hebbian.hopfield.dense_capacity_theory`); for :math:`n = 2` it is the
# classical :math:`N / (2 \ln N)`. With the same Gaussian crosstalk, a bit flips with
# probability :math:`P_e = \tfrac12 \operatorname{erfc}\big(\sqrt{N^{n-1} / (2 (2n-3)!!
# K)}\big)`, a pattern is a fixed point with probability :math:`(1-P_e)^N`, and half of
# them are at :func:`~hebbian.hopfield.dense_capacity_at_level`. We count fixed points
# at :math:`N = 32` for :math:`n = 2, 3, 4`, with :math:`P` scaled by :math:`K_n`. A
# pattern is recalled exactly from itself exactly when it is a fixed point, so the gains
# of :func:`~hebbian.hopfield.flip_gain` at the stored patterns decide it.

N = 32
loads = [0.35, 0.5, 0.71, 1.0, 1.41, 2.0, 2.83]
fig, ax = plt.subplots(figsize=(6.4, 3.4))
for degree in (2, 3, 4):
    K = dense_capacity_theory(N, degree)
    counts = sorted({max(2, round(load * K)) for load in loads})
    fractions = []
    for count in counts:
        fixed = probed = 0
        while probed < 200:  # several memories when P is small
            xi = random_binary_patterns(count, N, generator=generator)
            probe = xi[: 200 - probed]
            gain = dense.flip_gain(probe, xi, Polynomial(degree))
            fixed += int((gain * probe >= 0).all(dim=1).sum())  # a zero gain keeps its bit
            probed += probe.shape[0]
        fractions.append(fixed / probed)
    measured = crossing([float(c) for c in counts], fractions, 0.5, log_x=True)
    predicted = dense_capacity_at_level(N, degree)
    at_k = interpolate_log(counts, fractions, K)
    print(
        f"n = {degree}: K_n = {K:6.1f}; half fixed at P = {measured:6.1f} (theory "
        f"{predicted:6.1f}); fixed at P = K_n: {at_k:.3f} (theory "
        f"{dense_fixed_fraction_at_capacity(N):.3f})"
    )
    assert abs(measured / predicted - 1) < 0.25
    assert abs(at_k - dense_fixed_fraction_at_capacity(N)) < 0.12  # 200 probes, coarse P
    scale = N ** (degree - 1) / (2 * math.prod(range(2 * degree - 3, 0, -2)))
    ratio = [c / K for c in counts]
    (line,) = ax.semilogx(ratio, fractions, "o", label=f"n = {degree}, K_n = {K:.0f}")
    smooth = [K * 0.3 * 1.05**j for j in range(70)]
    theory = [(1 - 0.5 * math.erfc(math.sqrt(scale / k))) ** N for k in smooth]
    ax.semilogx([k / K for k in smooth], theory, color=line.get_color(), linewidth=1)
ax.axvline(1.0, color="0.5", linestyle="--", linewidth=1)
ax.set(
    xlabel=r"patterns stored, $P / K_n$",
    ylabel="fraction of fixed points",
    title=f"Dense associative memory, N = {N}: dots measured, lines theory",
)
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Measured in units of :math:`K_n`, the orders 3 and 4 fall on the theory's curve, and
# :math:`n = 2`, where :math:`P` takes only a few small values, a little above it: the
# capacity grows like :math:`N^{n-1}`, from a handful of patterns at :math:`n = 2` to
# hundreds at :math:`n = 4`, all with 32 neurons.
#
# Modern Hopfield networks: digits from their top halves
# ------------------------------------------------------
#
# Taking :math:`F` exponential and the states continuous, Ramsauer et al. (2020) arrive at
# the energy
#
# .. math::
#
#     E(\xi) = -\frac1\beta \log \sum_{\mu=1}^{P} e^{\beta\, x_\mu \cdot \xi}
#     + \tfrac12 \xi^\top \xi + \text{const}
#
# for stored patterns :math:`x_\mu` (the rows of :math:`X`) and a state :math:`\xi`, and
# the update
#
# .. math::
#
#     \xi \leftarrow X^\top \operatorname{softmax}(\beta X \xi),
#
# one step of a concave-convex procedure, so the energy never rises. It is attention
# with keys and values equal to the stored patterns. How exactly one update lands on a
# pattern follows from the softmax weights :math:`p = \operatorname{softmax}(\beta X
# \xi)`. Let :math:`\Delta_\nu = x_\nu \cdot \xi - \max_{\mu \ne \nu} x_\mu \cdot \xi` be
# the margin by which pattern :math:`\nu` wins. Then :math:`1 - p_\nu \le (P-1)
# e^{-\beta \Delta_\nu}`, and since the new state is the mixture :math:`\sum_\mu p_\mu
# x_\mu`,
#
# .. math::
#
#     \lVert \xi^{\text{new}} - x_\nu \rVert \le 2 M (1 - p_\nu)
#     \le 2 M (P-1)\, e^{-\beta \Delta_\nu}, \qquad M = \max_\mu \lVert x_\mu \rVert :
#
# the error falls exponentially with the margin, the root of the exponential capacity of
# these networks.
#
# We store all 1437 training images of scikit-learn's 8x8 digits
# (:func:`hebbian.data.load_dataset`). Each grey level :math:`v \in [0, 1]` becomes the
# unit vector :math:`(\cos \pi v, \sin \pi v)` (:func:`~hebbian.hopfield.angle_encode`),
# so every image has the same norm and an unknown pixel can be written :math:`(0, 0)`,
# contributing nothing to the dot products. The cues are the images with their bottom
# half unknown (:func:`~hebbian.hopfield.mask_bottom_half`); one update retrieves them,
# in float64.

train = load_dataset("digits", "train")
grey = train.flat.double()  # (1437, 64) grey levels in [0, 1]
stored, pixels = grey.shape
codes = angle_encode(grey)  # (1437, 128), every row of norm 8
masked, unknown = mask_bottom_half(grey, train.image_shape)
query = angle_encode(masked) * (~unknown).repeat(1, 2)  # unknown pixels -> (0, 0)
scores = query @ codes.T  # (cues, stored): x_mu . xi
own = scores.diagonal()
margin = own - scores.masked_fill(torch.eye(stored, dtype=torch.bool), -math.inf).amax(dim=1)
norm_max = codes.norm(dim=1).max()
print(
    f"{stored} images stored; cues whose own image wins the dot product: "
    f"{(margin > 0).double().mean().item():.4f}"
)
for beta in (1.0, 3.0, 10.0):
    retrieved = modern.retrieve(query, codes, beta)
    probabilities = modern.separation_probabilities(query, codes, beta)
    identified = (probabilities.argmax(dim=1) == torch.arange(stored)).double().mean().item()
    error = (retrieved - codes).norm(dim=1)
    bound = 2 * norm_max * (stored - 1) * torch.exp(-beta * margin)
    pixel_error = (angle_decode(retrieved) - grey).abs().amax(dim=1)
    print(
        f"beta = {beta:4.1f}: identified {identified:.4f}, every pixel within 0.02 in "
        f"{(pixel_error < 0.02).double().mean().item():.3f} of the cues, "
        f"error <= bound for all: {bool((error <= bound + 1e-12).all())}"
    )
    assert identified >= 0.95
    assert bool((error <= bound + 1e-12).all())
    if beta == 3.0:
        error_at_3, bound_at_3 = error, bound

state, energies = query, [modern.energy(query, codes, 3.0)]
for _ in range(3):
    state = modern.retrieve(state, codes, 3.0)
    energies.append(modern.energy(state, codes, 3.0))
rises = torch.stack(energies).diff(dim=0).max().item()
print(f"largest energy change over 3 updates at beta = 3: {rises:.2e}")
assert rises <= 1e-9

# %%
# The classical network, for comparison, stores the images binarised (pixel above grey
# 0.5) and gets random bits for the unknown half (:func:`~hebbian.hopfield.binarise_cue`).
# Ten images on 64 neurons are a load of 0.16, already above the critical 0.138 of
# random patterns, and digit images are strongly correlated, so their crosstalk does not
# average out like that of random patterns: the cues fall into spurious states instead of
# the cued digits.

few = 10
binary = torch.where(grey[:few] > 0.5, 1.0, -1.0)
bits = binarise_cue(masked[:few], unknown[:few], generator)
classic = HopfieldNetwork(shared_order=True).fit(binary).recall(bits, generator=generator)
classic_identified = (classic.overlaps.argmax(dim=1) == torch.arange(few)).double().mean()
print(
    f"classical network, {few} digits stored: nearest stored image is the right one for "
    f"{classic_identified.item():.1f} of the masked cues"
)
assert classic_identified.item() <= 0.5

shown = 8
rows = [
    ("stored image", grey[:shown]),
    ("masked cue", masked[:shown]),
    (f"classical, P = {few}", (classic.states[:shown] + 1) / 2),
    (f"modern, P = {stored}", angle_decode(modern.retrieve(query[:shown], codes, 3.0))),
]
fig, axes = plt.subplots(
    len(rows), shown + 1, figsize=(6.4, 3.4), gridspec_kw={"width_ratios": [2.2] + [1] * shown}
)
for r, (label, images) in enumerate(rows):
    axes[r, 0].text(1.0, 0.5, label, ha="right", va="center", fontsize=8)
    axes[r, 0].axis("off")
    for c in range(shown):
        axes[r, c + 1].imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[r, c + 1].set(xticks=[], yticks=[])
fig.suptitle("Recall from the top half (modern: one update, beta = 3)", fontsize=10)
fig.tight_layout()

fig, ax = plt.subplots(figsize=(6.4, 3.4))
order = margin.argsort()
ax.semilogy(
    margin[order].numpy(),
    bound_at_3[order].numpy(),
    "k-",
    linewidth=1,
    label=r"bound $2M(P-1)e^{-\beta\Delta}$",
)
ax.semilogy(
    margin.numpy(),
    error_at_3.clamp_min(1e-16).numpy(),
    ".",
    markersize=3,
    color="tab:red",
    label="measured error",
)
ax.set(
    xlabel=r"margin $\Delta$ of the right image",
    ylabel=r"$\|\xi^{new} - x_\nu\|$",
    title="One modern update, beta = 3, P = 1437",
)
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The modern network picks the right digit among all 1437 from half of it, and its
# error sits under the exponential bound everywhere, falling with the margin about as
# fast as the bound; the bound is loose because it charges each of the other images
# with the runner-up's weight. The classical network, with fewer than a hundredth of
# the images, ends in spurious states.
#
# Ramsauer et al. prove more: with patterns on a sphere and a large enough
# :math:`\beta`, the number of patterns that can be retrieved this way grows
# exponentially with the dimension. The recipes ``hopfield-capacity``,
# ``dense-capacity`` and ``hopfield-images`` of ``hebbian run`` are the full-size
# versions of these experiments.
