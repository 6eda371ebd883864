r"""
Local learning rules: Hebb, Oja, Sanger and BCM
===============================================

Hebb (1949) proposed that a synapse grows stronger when the cell before it repeatedly
takes part in firing the cell after it. Written as a rate rule, the change of the
weight from input :math:`j` to unit :math:`i` is the product of the two activities,

.. math:: \Delta w_{ij} = a\, x_i x_j ,

with :math:`a > 0` a learning rate, :math:`x_j` the presynaptic and :math:`x_i` the
postsynaptic rate. The rule is *local*: a synapse needs nothing but the activity at its
two ends (and, in the refinements below, its own weight or a property of its own unit).

This tutorial follows the rule from that idea to the refinements that make it useful:
why plain Hebb diverges, how Oja's normalisation turns it into a principal-component
finder, how Sanger's generalised Hebbian algorithm extracts several components in
order, and how the sliding threshold of BCM makes units selective. Each step compares
what :mod:`hebbian.rules` learns with what the theory predicts.

In the library the postsynaptic rate is called :math:`y` and the presynaptic one
:math:`x`: a rule takes ``pre`` of shape ``(B, N)``, ``post`` of shape ``(B, M)`` and
returns the batch average :math:`\Delta W = \langle y x^\top \rangle` of shape
``(M, N)``, without the learning rate. :class:`hebbian.layers.HebbianLinear` holds the
weights, computes :math:`y = W x` and applies :math:`W \leftarrow W + \eta\, \Delta W`.
"""  # noqa: D205, D400 (a sphinx-gallery title, not a summary line)

import matplotlib.pyplot as plt
import torch

from hebbian.data import correlated_gaussian, load_dataset
from hebbian.layers import HebbianLinear, shuffled_batches
from hebbian.rules import BCM, Hebb, Oja, Sanger, bcm, hebb, oja

# The tensors on this page are tiny: one thread avoids waking a thread pool for every
# small operation, which costs more than the operation (restored at the end).
threads = torch.get_num_threads()
torch.set_num_threads(1)

generator = torch.Generator().manual_seed(0)
dtype = torch.float64


def angle(u, v):
    """Angle in degrees between the lines spanned by ``u`` and ``v`` (sign ignored).

    Parameters
    ----------
    u, v : Tensor, shape (N,)
        Two non-zero vectors.

    Returns
    -------
    float
        The angle in [0, 90] degrees.
    """
    cosine = (u @ v).abs() / (u.norm() * v.norm())
    return torch.rad2deg(torch.arccos(cosine.clamp(max=1.0))).item()


# %%
# Data with a known covariance
# ----------------------------
#
# ``correlated_gaussian`` draws zero-mean Gaussian samples with covariance
# :math:`C = Q \Lambda Q^\top`, a random rotation :math:`Q` of the variances
# :math:`\Lambda = \mathrm{diag}(5, 3, 1.8, 1.08, 0.648)`, and returns :math:`C` too.
# Its eigenvectors (from ``torch.linalg.eigh``, which sorts the eigenvalues in ascending
# order, hence the flips) are the principal components the rules should find. A finite
# sample has a slightly different covariance :math:`\hat C`; the rules see only the
# sample, so we compare them with both.

X, C = correlated_gaussian(2000, 5, generator=generator, dtype=dtype)
C_hat = X.T @ X / X.shape[0]  # the second moment of the sample: zero mean in theory
values, vectors = torch.linalg.eigh(C)
values, vectors = values.flip(0), vectors.flip(1)
values_hat, vectors_hat = torch.linalg.eigh(C_hat)
values_hat, vectors_hat = values_hat.flip(0), vectors_hat.flip(1)
print("eigenvalues of C:    ", [round(v, 3) for v in values.tolist()])
print("eigenvalues of C_hat:", [round(v, 3) for v in values_hat.tolist()])
print(f"angle between their first eigenvectors: {angle(vectors[:, 0], vectors_hat[:, 0]):.2f}")

# %%
# Why plain Hebb diverges
# -----------------------
#
# Take one linear unit, :math:`y = w \cdot x`. Hebb's rule gives
# :math:`\Delta w = \eta\, y\, x = \eta\, x x^\top w`, and averaged over zero-mean
# inputs
#
# .. math:: \langle \Delta w \rangle = \eta\, C w .
#
# Expand :math:`w` on the eigenvectors :math:`v_k` of :math:`C` (eigenvalues
# :math:`\lambda_1 > \lambda_2 > \dots`): each update multiplies the :math:`k`-th
# coordinate by :math:`1 + \eta \lambda_k`, so after :math:`t` updates
#
# .. math:: w_t = \sum_k (1 + \eta \lambda_k)^t\, (v_k \cdot w_0)\, v_k .
#
# This is a power iteration. The first term wins: the direction of :math:`w` tends to
# the first principal component :math:`v_1` but its norm grows like
# :math:`(1 + \eta \lambda_1)^t`, without bound. Every factor :math:`1 + \eta
# \lambda_k` exceeds 1 (:math:`C` is positive definite), so on average the norm can
# only grow.
#
# We train a ``Hebb`` unit and, for comparison, an ``Oja`` unit (next section) from the
# same initial weights on the same shuffled mini-batches of 10 samples, two passes
# over the data, and record the norm and the angle to :math:`v_1` after each update.

eta = 0.01
w0 = torch.randn(1, 5, generator=generator, dtype=dtype) / 5**0.5
hebb_unit = HebbianLinear(5, 1, Hebb(), eta, initial_weight=w0)
oja_unit = HebbianLinear(5, 1, Oja(), eta, initial_weight=w0)
record = {"hebb": ([], []), "oja": ([], [])}  # (norms, angles to v_1)
for _epoch in range(2):
    for batch in shuffled_batches(X, 10, generator):
        for name, unit in [("hebb", hebb_unit), ("oja", oja_unit)]:
            unit.plasticity_step(batch)
            record[name][0].append(unit.weight.norm().item())
            record[name][1].append(angle(unit.weight[0], vectors_hat[:, 0]))

fig, (ax_norm, ax_angle) = plt.subplots(1, 2, figsize=(6.4, 3.2))
for name, (norms, angles) in record.items():
    ax_norm.semilogy(norms, label=name)
    ax_angle.semilogy(angles, label=name)
ax_norm.set(xlabel="update", ylabel="weight norm", title="Norm")
ax_angle.set(xlabel="update", ylabel=r"angle to $\hat v_1$ (degrees)", title="Direction")
ax_norm.legend()
ax_angle.legend()
fig.tight_layout()

# %%
# Both units turn towards the first principal component at about the same speed; only
# the Hebb unit's norm keeps growing. Its growth per update, measured over the second
# half of the run, should be :math:`1 + \eta \hat\lambda_1`:

norms = record["hebb"][0]
half = len(norms) // 2
growth = (norms[-1] / norms[half]) ** (1 / (len(norms) - 1 - half))
predicted = 1 + eta * values_hat[0].item()
print(f"hebb: final norm {norms[-1]:.3g}, growth per update {growth:.5f}")
print(f"      predicted 1 + eta * lambda_1 = {predicted:.5f}")
print(f"      angle to v_1: {record['hebb'][1][-1]:.2f} degrees (sample), ", end="")
print(f"{angle(hebb_unit.weight[0], vectors[:, 0]):.2f} degrees (true)")
assert abs(growth - predicted) < 0.1 * (predicted - 1)
late_hebb = record["hebb"][1][len(norms) // 2 :]  # the angles of the second half
print(f"      mean angle over the second half: {sum(late_hebb) / len(late_hebb):.2f} degrees")
assert norms[-1] > 1e8 and sum(late_hebb) / len(late_hebb) < 7.0

# %%
# Oja's rule: Hebb with a built-in normalisation
# ----------------------------------------------
#
# One cure is to renormalise :math:`w` after every Hebbian step. Oja (1982, "A
# simplified neuron model as a principal component analyzer", J. Math. Biol. 15:267)
# expanded that renormalisation to first order in :math:`\eta`. For
# :math:`\lVert w \rVert = 1`,
#
# .. math::
#
#    \frac{w + \eta\, y x}{\lVert w + \eta\, y x \rVert}
#    = \frac{w + \eta\, y x}{1 + \eta\, y^2 + O(\eta^2)}
#    = w + \eta\, y\, (x - y\, w) + O(\eta^2),
#
# using :math:`w \cdot x = y`. The result is a local rule: the extra term
# :math:`-\eta\, y^2 w` is a decay of each weight, proportional to the square of its own
# unit's output (``oja`` in :mod:`hebbian.rules`). Averaged over the inputs,
#
# .. math:: \langle \Delta w \rangle = \eta \left( C w - (w^\top C w)\, w \right).
#
# **Fixed points.** Apart from :math:`w = 0` (unstable), the average vanishes when
# :math:`C w = (w^\top C w)\, w`, so :math:`w` is an eigenvector, :math:`C w = \lambda
# w`; then :math:`w^\top C w = \lambda \lVert w \rVert^2 = \lambda` forces :math:`\lVert
# w \rVert = 1`. **Stability.** Near :math:`w = v_j`, a small component along another
# eigenvector :math:`v_k` grows at the rate :math:`\eta (\lambda_k - \lambda_j)`, so
# only :math:`v_1` (largest eigenvalue) is stable, and a component along :math:`v_j`
# itself relaxes the norm to 1. Oja's unit therefore converges to :math:`\pm v_1`, of
# unit length.
#
# We compare the learned weight with the eigenvectors from ``torch.linalg.eigh``, and
# check that the averaged update, computed on the whole data set with ``oja``, almost
# vanishes compared with its Hebbian part :math:`\langle y x \rangle` (from ``hebb``).

w = oja_unit.weight.detach()
print(f"oja: norm {w.norm():.4f} (theory: 1)")
print(f"     angle to v_1: {angle(w[0], vectors_hat[:, 0]):.2f} degrees (sample), ", end="")
print(f"{angle(w[0], vectors[:, 0]):.2f} degrees (true)")
y = X @ w.T
residual = (oja(X, y, w).norm() / hebb(X, y).norm()).item()
print(f"     |<dw>| / |<y x>| = {residual:.4f} (theory: 0 at the fixed point)")
late_oja = record["oja"][1][len(record["oja"][1]) // 2 :]
print(f"     mean angle to v_1 over the second half: {sum(late_oja) / len(late_oja):.2f} degrees")
print(f"     eta * lambda_1 = {eta * values_hat[0].item():.3f}")
assert abs(w.norm().item() - 1) < 0.02
assert sum(late_oja) / len(late_oja) < 7.0  # the noise floor of a constant rate
assert residual < 0.1

# %% The learning rate matters too: the linearised rule is stable only while :math:`\eta
# \lambda_1 < 1` (here :math:`\eta \hat\lambda_1` is printed above), and with a constant
# rate the weight keeps fluctuating around :math:`v_1` by an amount that shrinks with
# :math:`\eta` (here a few degrees: the checks above use the mean angle over the second
# half of the run, not the last update's). ``hebbian.estimators.OjaPCA`` wraps this loop
# as a scikit-learn estimator with a decaying rate.
#
# Sanger's rule: several components, in order
# -------------------------------------------
#
# Several units trained with Oja's rule all converge to the same :math:`v_1`. Sanger
# (1989, "Optimal unsupervised learning in a single-layer linear feedforward neural
# network", Neural Networks 2:459) made unit :math:`i` learn with Oja's rule on the
# input *minus what the units before it already reconstruct*:
#
# .. math::
#
#    \Delta w_i = \eta\, y_i \Big( x - \sum_{k \le i} y_k w_k \Big),
#    \qquad\text{that is}\qquad
#    \Delta W = \eta \left( y x^\top - \mathrm{LT}(y y^\top)\, W \right),
#
# with :math:`\mathrm{LT}` the lower triangle including the diagonal. Unit 1 does
# Oja's rule and finds :math:`v_1`; once it has, unit 2 sees inputs with the
# :math:`v_1` part removed (a deflation), whose first principal component is
# :math:`v_2`; and so on. The rows of :math:`W` converge to the leading eigenvectors of
# the covariance, in order of decreasing eigenvalue, each of unit length. This is the
# generalised Hebbian algorithm (GHA); ``sanger`` implements it.
#
# We run it on the 8x8 digits of scikit-learn (``load_dataset("digits")``, pixel values
# in [0, 1]), centred, with four units, mini-batches of 80 images and a learning rate
# that decays with the epoch, :math:`\eta_e = 0.4 / (1 + e / 10)`, for 20 epochs. The
# theory is the eigendecomposition of the digits' covariance.

digits = load_dataset("digits")  # the 1437 training images
D = digits.flat.to(dtype)  # (1437, 64)
D = D - D.mean(dim=0)
C_digits = D.T @ D / D.shape[0]
values_d, vectors_d = torch.linalg.eigh(C_digits)
values_d, vectors_d = values_d.flip(0), vectors_d.flip(1)

M = 4
gha = HebbianLinear(64, M, Sanger(), 0.4, generator=generator, dtype=dtype)
for epoch in range(20):
    gha.fit_epoch(D, batch_size=80, generator=generator, learning_rate=0.4 / (1 + epoch / 10))
W = gha.weight.detach()
captured = ((D @ W.T) ** 2).mean(dim=0)  # variance along each row, w_i^T C w_i
for i in range(M):
    norm_i, angle_i = W[i].norm().item(), angle(W[i], vectors_d[:, i])
    print(
        f"row {i}: norm {norm_i:.4f}, angle to v_{i + 1} {angle_i:.2f} degrees, "
        f"variance {captured[i]:.4f} (lambda_{i + 1} = {values_d[i]:.4f})"
    )
    assert abs(norm_i - 1) < 0.02 and angle_i < 5.0
    assert abs(captured[i] - values_d[i]) < 0.02 * values_d[i]
assert bool((captured[1:] < captured[:-1]).all())  # in order of decreasing variance

# %%
# The rows match the eigenvectors to the printed angles and capture the printed
# variances, in decreasing order. The first two eigenvalues of the digits are close,
# which is what makes the run long: the rate at which the first row sheds its
# :math:`v_2` component, and so the time before the second row can settle on
# :math:`v_2`, is proportional to :math:`\lambda_1 - \lambda_2`. Drawn as images
# (each eigenvector's sign chosen to match the learned row), the learned components are
# the familiar "eigen-digits":

fig, axes = plt.subplots(2, M, figsize=(6.4, 3.4))
for i in range(M):
    sign = torch.sign(W[i] @ vectors_d[:, i])
    for ax, image, title in [
        (axes[0, i], W[i], f"Sanger row {i}"),
        (axes[1, i], sign * vectors_d[:, i], f"eigh $v_{i + 1}$"),
    ]:
        limit = image.abs().max().item()
        ax.imshow(image.reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
fig.suptitle("Principal components of the digits: learned (top) and exact (bottom)")
fig.tight_layout()

# %%
# ``hebbian.estimators.SangerPCA`` is the same algorithm as a scikit-learn estimator
# (``fit``, ``transform``, ``inverse_transform``).
#
# BCM: selectivity from a sliding threshold
# -----------------------------------------
#
# Oja's and Sanger's units learn the *variance* of their inputs: their responses are
# graded and every input drives them. Bienenstock, Cooper and Munro (1982, "Theory for
# the development of neuron selectivity", J. Neurosci. 2:32) proposed a rule that
# makes a unit *selective*, answering to one input pattern and not to the others,
# as neurons of the visual cortex do. The change is Hebbian with a sign set by a
# threshold :math:`\theta`,
#
# .. math::
#
#    \Delta w = \eta\, y\, (y - \theta)\, x, \qquad
#    \theta \leftarrow (1 - \tau)\, \theta + \tau \langle y^2 \rangle :
#
# responses above :math:`\theta` are potentiated, responses below it depressed, and
# the threshold slides with the recent average of :math:`y^2`, faster than the weights
# (:math:`\tau` is the ``decay`` of :func:`~hebbian.rules.bcm_threshold`; this form of the
# threshold is Intrator & Cooper's, 1992, Neural Networks 5:3).
# A unit that responds too much raises its own threshold, one that responds too little
# lowers it; that is what keeps the rule stable.
#
# **Fixed points.** Let the inputs be :math:`K` linearly independent patterns
# :math:`p_k`, pattern :math:`k` shown with probability :math:`\pi_k`, and
# :math:`y_k = w \cdot p_k`. The average change
# :math:`\sum_k \pi_k\, y_k (y_k - \theta)\, p_k` vanishes only if every
# :math:`y_k (y_k - \theta) = 0`: each response is 0 or :math:`\theta`. The stable
# fixed points are the selective ones, :math:`y_k = \theta` for one pattern and 0 for
# the rest. Then :math:`\theta = \langle y^2 \rangle = \pi_k \theta^2`, so
#
# .. math:: y_k = \theta = 1 / \pi_k :
#
# a unit selective for a rare pattern answers it more strongly.
#
# We use three binary patterns on six inputs that overlap, shown with probabilities
# 0.5, 0.3 and 0.2. Each batch holds them in exactly these proportions (5, 3 and 2
# copies), so every update is the averaged one. Three units start near the three
# patterns (a tenth of each, plus a little noise) and learn with the ``BCM`` rule
# object, whose state is the threshold of each unit.

patterns = torch.tensor(
    [[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 0], [1, 0, 0, 0, 1, 1]], dtype=dtype
)  # (K, N)
counts = torch.tensor([5, 3, 2])
probabilities = counts.to(dtype) / counts.sum()
batch = patterns.repeat_interleave(counts, dim=0)  # (10, 6): the exact mixture
start = 0.1 * patterns + 0.02 * torch.rand(3, 6, generator=generator, dtype=dtype)
bcm_units = HebbianLinear(
    6, 3, BCM(threshold_decay=0.2, initial_threshold=0.0), 0.03, initial_weight=start
)
responses, thresholds = [], []
for step in range(600):
    bcm_units.plasticity_step(batch)
    if step % 10 == 9:
        responses.append(patterns @ bcm_units.weight.T)  # (K patterns, 3 units)
        thresholds.append(bcm_units.rule_state.theta.clone())
responses, thresholds = torch.stack(responses), torch.stack(thresholds)
steps = torch.arange(10, 601, 10)

fig, axes = plt.subplots(1, 3, figsize=(6.4, 2.8), sharey=True)
for unit, ax in enumerate(axes):
    for k in range(3):
        ax.plot(steps, responses[:, k, unit], label=f"pattern {k}")
    ax.plot(steps, thresholds[:, unit], "k--", linewidth=1, label=r"$\theta$")
    ax.axhline(1 / probabilities[unit].item(), color="grey", linewidth=0.5)
    ax.set(title=f"unit {unit}", xlabel="update")
axes[0].set_ylabel("response y")
axes[0].legend(fontsize=7)
fig.tight_layout()

# %%
# Each unit ends up answering one pattern with :math:`1 / \pi_k` (the grey lines) and
# the others with 0, and its threshold (dashed) settles on the same value:

final = responses[-1]
theta = thresholds[-1]
print("responses (rows: patterns, columns: units):")
print(final.round(decimals=4))
print("thresholds:", [round(t, 4) for t in theta.tolist()])
print("theory 1 / pi_k:", [round(t, 4) for t in (1 / probabilities).tolist()])
assert torch.allclose(final, torch.diag(1 / probabilities), atol=1e-3)
assert torch.allclose(theta, 1 / probabilities, atol=1e-3)

# %%
# **Without the sliding threshold** the only stable state is silence. Freezing
# :math:`\theta = 1` (calling ``bcm`` with a constant threshold) and keeping the
# learning rate, a unit whose responses start below 1 is depressed until it answers
# nothing, and one whose responses start above 1 is potentiated faster and faster,
# since the change grows like :math:`y^2`:

theta_fixed = torch.ones(1, dtype=dtype)
for label, w in [("small start", start[:1]), ("large start", 5 * start[:1])]:
    for step in range(2000):  # noqa: B007 (step is printed after the loop)
        w = w + 0.03 * bcm(batch, batch @ w.T, theta_fixed)
        if (patterns @ w.T).abs().max() > 1e6:
            break
    largest = (patterns @ w.T).abs().max().item()
    print(f"{label}: largest response {largest:.3g} after {step + 1} updates")
    assert largest < 1e-3 if label == "small start" else largest > 1e6

torch.set_num_threads(threads)
