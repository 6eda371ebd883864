r"""
Which rule do I want?
=====================

:mod:`hebbian.rules` holds seven local, rate-based learning rules. Each is a pure
function of what a synapse can see, the presynaptic activity :math:`x` (shape
``(B, N)``), the postsynaptic activity :math:`y` (shape ``(B, M)``) and, for some
rules, the weights :math:`W` (shape ``(M, N)``, so that :math:`y = x W^\top`) or a
per-unit state. Each returns the batch-averaged change :math:`\Delta W` *without* the
learning rate; the caller applies :math:`W \leftarrow W + \eta\, \Delta W`.

They differ in what they learn and in whether they are stable. This page runs every
rule on the same small data set, checks what each converges to against theory, and
counts what each costs. The table sums it up; every entry of it is checked by an
``assert`` further down, so the page cannot be built if the library stops doing what
the table says.
"""  # noqa: D205, D400 (a sphinx-gallery title, not a summary line)

# %%
# The short answer
# ----------------
#
# .. list-table::
#    :header-rows: 1
#    :widths: 16 24 16 30 14
#
#    * - Rule
#      - Call
#      - Weight norm
#      - Converges to
#      - Products per batch
#    * - Plain Hebb
#      - ``hebb(x, y)``
#      - grows exponentially
#      - direction of the top eigenvector of :math:`\langle x x^\top\rangle`
#        (PC1 only if the data are centred)
#      - :math:`BMN`
#    * - Covariance (signed Hebb)
#      - ``covariance(x, y, x_mean, y_mean)``
#      - grows exponentially
#      - direction of PC1, the top eigenvector of the covariance
#      - :math:`BMN`
#    * - Instar (heterosynaptic), with winner-take-all
#      - ``instar(x, y, W)``
#      - bounded
#      - mean of the inputs each unit wins (k-means centres)
#      - :math:`BMN`
#    * - Oja
#      - ``oja(x, y, W)``
#      - tends to 1
#      - unit PC1 (every unit the same one)
#      - :math:`BMN`
#    * - Sanger (GHA)
#      - ``sanger(x, y, W)``
#      - each row tends to 1
#      - unit PC1, ..., PC\ :sub:`M`, in order
#      - :math:`BMN + BM^2 + M^2N`
#    * - BCM
#      - ``bcm(x, y, theta)`` with ``bcm_threshold``
#      - bounded
#      - selectivity: a strong response to one input pattern, none to the others
#      - :math:`BMN`
#    * - Anti-Hebbian (lateral)
#      - ``anti_hebbian(y)``
#      - bounded
#      - decorrelated outputs
#      - :math:`BM^2`
#
# "Products per batch" counts the multiply-adds of the matrix products inside the rule
# (counted at the end of the page); add :math:`BMN` for the forward pass
# :math:`y = x W^\top` and :math:`O(BN + BM + MN)` for the element-wise work. Per
# sample, the feed-forward rules cost :math:`O(MN)`, the price of touching each synapse
# once, and the lateral anti-Hebbian rule :math:`O(M^2)`; Sanger's rule adds
# :math:`BM^2` for :math:`\langle y y^\top \rangle` and :math:`M^2 N` per batch for
# subtracting the reconstructions of the units before each one.
#
# In short: for principal components use Oja (one) or Sanger (several, ordered); for
# prototypes or clusters use instar with a competition; for feature selectivity on
# non-negative inputs use BCM; to decorrelate a population use anti-Hebbian lateral
# weights. Plain Hebb and the covariance rule are the ideas the others start from;
# alone they need an external normalisation.

import matplotlib.pyplot as plt
import torch
from torch.overrides import TorchFunctionMode

from hebbian.data import gaussian_clusters
from hebbian.rules import (
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

# The tensors on this page are tiny: one thread avoids waking a thread pool for every
# small operation, which costs more than the operation (restored at the end).
threads = torch.get_num_threads()
torch.set_num_threads(1)

# %%
# The data
# --------
#
# Four clusters in :math:`N = 8` dimensions: each sample is one of four prototypes
# :math:`p_k` (drawn uniformly in :math:`[0, 1]^8`) plus isotropic Gaussian noise,
# the four equally likely. This one data set has something for every rule: clusters
# for instar, distinct patterns for BCM, and, through the spread of the prototypes,
# three principal components with distinct variances for Oja and Sanger.
#
# We compute the two matrices the theory refers to: the second moment
# :math:`R = \langle x x^\top \rangle` and the covariance
# :math:`C = \langle (x - \bar x)(x - \bar x)^\top \rangle`, and their eigenvectors with
# ``torch.linalg.eigh`` (which sorts eigenvalues in ascending order, hence the flips).

generator = torch.Generator().manual_seed(0)
dtype = torch.float64
N, K = 8, 4
prototypes = torch.rand(K, N, generator=generator, dtype=dtype)  # (K, N)
samples, labels = gaussian_clusters(300, prototypes, 0.1, generator=generator)
order = torch.randperm(samples.shape[0], generator=generator)
X, labels = samples[order], labels[order]  # (1200, N), shuffled
X_mean = X.mean(dim=0)
Xc = X - X_mean  # centred copy, for the rules that assume zero-mean inputs

R = X.T @ X / X.shape[0]
C = Xc.T @ Xc / X.shape[0]
R_values, R_vectors = torch.linalg.eigh(R)
C_values, C_vectors = torch.linalg.eigh(C)
R_values, R_vectors = R_values.flip(0), R_vectors.flip(1)  # descending
C_values, C_vectors = C_values.flip(0), C_vectors.flip(1)
print("eigenvalues of R:", [round(v, 4) for v in R_values[:4].tolist()])
print("eigenvalues of C:", [round(v, 4) for v in C_values[:5].tolist()])

# %%
# One loop, seven rules
# ---------------------
#
# All rules see the same mini-batches of :math:`B = 40` samples for 1000 updates (a
# little over 33 passes over the data, in the same order each time). Each gets a
# learning rate that is safe for it: for the rules driven by a matrix (:math:`R` or
# :math:`C`), :math:`\eta = 0.05 / \lambda_1` of that matrix, so that on average the
# Hebbian term of an update, :math:`\eta R w` or :math:`\eta C w`, is at most 5% of
# :math:`w`.
#
# * **plain Hebb** and the **covariance rule** drive one linear unit
#   :math:`y = w \cdot x` with the raw inputs; the covariance rule centres :math:`x` and
#   :math:`y` on running means (``update_running_mean``) itself;
# * **Oja** (two units, from different starts) and **Sanger** (:math:`M = 3` units)
#   see centred inputs, as their theory assumes;
# * **instar** drives :math:`K = 4` units whose responses are a winner-take-all code of
#   the nearest weight vector, :math:`y = \mathrm{WTA}(-\lVert x - w_i\rVert)`
#   (``winner_take_all`` of minus the distances). They start from four samples picked
#   by farthest-first traversal (each the sample farthest from those picked before),
#   with a learning rate that decays as :math:`\eta_t = \eta_0 / (1 + t / 50)`, as in
#   online k-means, so that the winners settle instead of jittering;
# * **BCM** drives four independent linear units with non-negative initial weights
#   and a threshold :math:`\theta_i` sliding towards :math:`\langle y_i^2\rangle`;
# * **anti-Hebbian** learns lateral weights :math:`Q` (zero diagonal) between three
#   linear units with fixed random feed-forward weights :math:`F`, scaled to unit output
#   variance. The outputs are the steady state of :math:`y = F x + Q y`, that is
#   :math:`y = (I - Q)^{-1} F x`.
#
# We record, every 10 updates, the weight norm of every rule and, for Hebb, covariance,
# Oja and Sanger, the angle to its theoretical target.

B, steps, every = 40, 1000, 10
eta_hebb = 0.05 / R_values[0].item()
eta_pca = 0.05 / C_values[0].item()  # covariance, Oja, Sanger
eta_instar, eta_bcm, eta_anti, theta_decay = 0.2, 0.04, 0.01, 0.2


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


w0 = torch.randn(1, N, generator=generator, dtype=dtype) / N**0.5
W_hebb, W_cov = w0.clone(), w0.clone()
W_oja = torch.cat([w0, torch.randn(1, N, generator=generator, dtype=dtype) / N**0.5])
x_run = torch.zeros(N, dtype=dtype)  # running means of the covariance rule
y_run = torch.zeros(1, dtype=dtype)
W_sanger = torch.randn(3, N, generator=generator, dtype=dtype) / N**0.5
W_instar = X[:1].clone()  # farthest-first: add the sample farthest from those picked
for _ in range(K - 1):
    farthest = torch.cdist(X, W_instar).min(dim=1).values.argmax()
    W_instar = torch.cat([W_instar, X[farthest][None]])
W_bcm = torch.rand(4, N, generator=generator, dtype=dtype) / N
theta = torch.zeros(4, dtype=dtype)
F = torch.randn(3, N, generator=generator, dtype=dtype)
F = F / (F @ C @ F.T).diagonal().sqrt()[:, None]  # unit-variance outputs
Q = torch.zeros(3, 3, dtype=dtype)
eye3 = torch.eye(3, dtype=dtype)

names = ["hebb", "covariance", "instar", "oja", "sanger", "bcm", "anti-hebbian"]
colors = {name: f"C{i}" for i, name in enumerate(names)}  # one colour per rule
history = {name: [] for name in names}
angles = {name: [] for name in ["hebb", "covariance", "oja", "sanger"]}
for step in range(steps):
    start = (step * B) % X.shape[0]
    x, xc = X[start : start + B], Xc[start : start + B]  # (B, N)

    W_hebb = W_hebb + eta_hebb * hebb(x, x @ W_hebb.T)

    y = x @ W_cov.T
    x_run, y_run = update_running_mean(x_run, x, 0.05), update_running_mean(y_run, y, 0.05)
    W_cov = W_cov + eta_pca * covariance(x, y, x_run, y_run)

    W_oja = W_oja + eta_pca * oja(xc, xc @ W_oja.T, W_oja)
    W_sanger = W_sanger + eta_pca * sanger(xc, xc @ W_sanger.T, W_sanger)

    winners = winner_take_all(-torch.cdist(x, W_instar))  # (B, K) one-hot
    W_instar = W_instar + eta_instar / (1 + step / 50) * instar(x, winners, W_instar)

    y = x @ W_bcm.T
    theta = bcm_threshold(theta, y, theta_decay)
    W_bcm = W_bcm + eta_bcm * bcm(x, y, theta)

    y = torch.linalg.solve(eye3 - Q, F @ xc.T).T  # (B, 3) steady state
    Q = Q + eta_anti * anti_hebbian(y)

    if step % every == every - 1:
        for name, weight in [
            ("hebb", W_hebb),
            ("covariance", W_cov),
            ("instar", W_instar),
            ("oja", W_oja),
            ("sanger", W_sanger),
            ("bcm", W_bcm),
            ("anti-hebbian", Q),
        ]:
            history[name].append(weight.norm().item())
        angles["hebb"].append(angle(W_hebb[0], R_vectors[:, 0]))
        angles["covariance"].append(angle(W_cov[0], C_vectors[:, 0]))
        angles["oja"].append(max(angle(w, C_vectors[:, 0]) for w in W_oja))
        angles["sanger"].append(max(angle(W_sanger[i], C_vectors[:, i]) for i in range(3)))

recorded = torch.arange(every, steps + 1, every)

fig, (ax_norm, ax_angle) = plt.subplots(1, 2, figsize=(6.4, 3.4))
for name, norms in history.items():
    ax_norm.semilogy(recorded, norms, color=colors[name], label=name)
ax_norm.set(xlabel="update", ylabel="weight norm (Frobenius)", title="Stability")
ax_norm.legend(fontsize=7, loc="upper left")
for name, values in angles.items():
    label = f"{name} (worst row)" if name in ("oja", "sanger") else name
    ax_angle.semilogy(recorded, values, color=colors[name], label=label)
ax_angle.set(xlabel="update", ylabel="angle to target (degrees)", title="Direction learned")
ax_angle.legend(fontsize=7)
fig.tight_layout()

# %%
# Plain Hebb and the covariance rule: runaway growth
# --------------------------------------------------
#
# With :math:`y = w \cdot x`, plain Hebb averages to
# :math:`\Delta w = \langle x x^\top \rangle w = R w`, so each update multiplies
# :math:`w` by :math:`I + \eta R`: a power iteration. The norm grows by a factor that
# tends to :math:`1 + \eta \lambda_1(R)` per update and the direction tends to the top
# eigenvector of :math:`R`. On raw (non-centred) data that eigenvector is dominated by
# the mean of the inputs, not by their variance. The covariance rule subtracts the
# means first, which turns :math:`R` into :math:`C`: it grows along PC1 at the rate
# :math:`1 + \eta \lambda_1(C)`. It is the signed version of Hebb's rule: a synapse
# weakens when its input and the unit's response deviate from their means in opposite
# directions, which plain Hebb on non-negative rates never does. Neither rule has
# anything that stops the growth. We compare the measured growth per update over the
# last half of the run with the prediction.


def growth_per_update(norms):
    """Geometric mean of the growth factor of ``norms`` over their second half.

    Parameters
    ----------
    norms : list of float
        Norms recorded every ``every`` updates.

    Returns
    -------
    float
        The mean factor by which the norm grows in one update.
    """
    half = len(norms) // 2
    updates = (len(norms) - 1 - half) * every
    return (norms[-1] / norms[half]) ** (1.0 / updates)


for name, norms, eta, lam in [
    ("hebb", history["hebb"], eta_hebb, R_values[0].item()),
    ("covariance", history["covariance"], eta_pca, C_values[0].item()),
]:
    measured, predicted = growth_per_update(norms), 1.0 + eta * lam
    print(f"{name:10s} final norm {norms[-1]:.3g}, growth per update {measured:.4f}")
    print(f"{'':10s} predicted growth 1 + eta * lambda_1 = {predicted:.4f}")
    assert abs(measured - predicted) < 0.1 * (predicted - 1.0)
    assert norms[-1] > 1e10
print(f"hebb:       angle to the top eigenvector of R {angles['hebb'][-1]:.2f} degrees,")
print(f"            to PC1 {angle(W_hebb[0], C_vectors[:, 0]):.1f} degrees")
print(f"covariance: angle to PC1 {angles['covariance'][-1]:.2f} degrees")
assert angles["hebb"][-1] < 3.0 and angle(W_hebb[0], C_vectors[:, 0]) > 30.0
assert angles["covariance"][-1] < 3.0

# %%
# The other five rules are stable: over the last third of the run each weight norm
# stays within 15% of its final value (asserted here).
# BCM is the slowest to settle and the noisiest: its response to a pattern depends on
# how often the pattern came up in the last few batches.

for name in ["instar", "oja", "sanger", "bcm", "anti-hebbian"]:
    late = torch.tensor(history[name][2 * len(history[name]) // 3 :])
    spread = ((late - late[-1]).abs() / late[-1]).max().item()
    print(f"{name:12s} final norm {late[-1]:.4f}, largest relative departure {spread:.4f}")
    assert spread < 0.15

# %%
# Oja and Sanger: principal components of unit length
# ---------------------------------------------------
#
# Oja's rule :math:`\Delta w = \langle y (x - y w) \rangle` adds a decay proportional to
# :math:`y^2`; on centred data its average :math:`C w - (w^\top C w) w` vanishes only at
# :math:`w = 0` and the unit eigenvectors of :math:`C`, and only the top one is stable
# (Oja 1982, J. Math. Biol. 15:267). Every unit does this alone, so several units
# trained with Oja's rule all find the same component. Sanger's generalised Hebbian
# algorithm
# :math:`\Delta W = \langle y x^\top \rangle - \mathrm{LT}(\langle y y^\top \rangle) W`
# makes row :math:`i` do Oja's rule on what rows :math:`0, \dots, i-1` do not explain,
# so the rows converge to the leading eigenvectors in order (Sanger 1989, Neural
# Networks 2:459).

for i, w in enumerate(W_oja):
    norm_i, angle_i = w.norm().item(), angle(w, C_vectors[:, 0])
    print(f"oja:    unit {i} norm {norm_i:.4f}, angle to PC1 {angle_i:.2f} degrees")
    assert abs(norm_i - 1.0) < 0.02 and angle_i < 3.0
for i in range(3):
    norm_i, angle_i = W_sanger[i].norm().item(), angle(W_sanger[i], C_vectors[:, i])
    print(f"sanger: row {i} norm {norm_i:.4f}, angle to PC{i + 1} {angle_i:.2f} degrees")
    assert abs(norm_i - 1.0) < 0.05 and angle_i < 8.0

# %%
# Instar with winner-take-all: the mean of what a unit wins
# ---------------------------------------------------------
#
# Instar, :math:`\Delta w_i = \langle y_i (x - w_i) \rangle`, moves the weights of an
# active unit towards the input. With a one-hot competition only the winner moves, and
# the average change is zero when :math:`w_i` is the mean of the inputs unit :math:`i`
# wins: the fixed point of k-means (Grossberg 1976; Rumelhart & Zipser 1985). The
# weights stay inside the convex hull of the data, so their norm is bounded. We compare
# each unit with the mean of the samples it wins and with the nearest prototype.
#
# Like k-means, the rule has local fixed points, and which clusters get a unit depends
# on the start: from four random samples two units can share a cluster while another
# unit wins the inputs of two clusters and sits between them, at the mean of all it
# wins. The farthest-first start avoids that here: the printed nearest prototypes are
# all different (asserted).

won = winner_take_all(-torch.cdist(X, W_instar))  # (n, K)
won_means = (won.T @ X) / won.sum(dim=0)[:, None]  # (K, N) mean of each unit's inputs
to_means = (W_instar - won_means).norm(dim=1)
to_prototypes = torch.cdist(W_instar, prototypes).min(dim=1).values
nearest = torch.cdist(W_instar, prototypes).argmin(dim=1)
print("instar: distance to the mean of the won inputs", [round(d, 4) for d in to_means.tolist()])
print("        distance to the nearest prototype", [round(d, 4) for d in to_prototypes.tolist()])
print("        prototype nearest to each unit", nearest.tolist())
assert bool((to_means < 0.02).all())
assert sorted(nearest.tolist()) == list(range(K)) and bool((to_prototypes < 0.1).all())
assert max(history["instar"]) < 2.0 * X.norm(dim=1).max().item()

# %%
# BCM: selectivity from a sliding threshold
# -----------------------------------------
#
# BCM, :math:`\Delta w_i = \langle y_i (y_i - \theta_i) x \rangle`, potentiates when the
# response exceeds the threshold and depresses below it; the threshold slides towards
# :math:`\langle y_i^2 \rangle`, faster than the weights (Bienenstock, Cooper & Munro
# 1982, J. Neurosci. 2:32, in the form of Intrator & Cooper 1992, Neural Networks 5:3).
# For :math:`K` linearly independent patterns shown equally often, the stable fixed
# points are selective: the response to one pattern equals the threshold and the
# responses to the others vanish. Then :math:`\theta = \langle y^2 \rangle = \theta^2 /
# K`, so the unit answers :math:`K` to its pattern, and :math:`\langle y^2 \rangle = K`.
# The noise around our prototypes also feeds :math:`\langle y^2 \rangle`, which moves
# the printed values a little away from :math:`K`; the asserts allow 25%.
#
# The units do not compete: each learns alone, and the printed responses show which
# pattern each prefers. Nothing stops several units from preferring the same one; a
# population that should cover all patterns needs an interaction between the units,
# such as the anti-Hebbian lateral weights below.

responses = prototypes @ W_bcm.T  # (K patterns, 4 units)
power = ((X @ W_bcm.T) ** 2).mean(dim=0)  # <y^2> over the data set, per unit
print("bcm: responses to the prototypes (rows: patterns, columns: units)")
print(responses.round(decimals=3))
print("     <y^2> over the data", [round(v, 3) for v in power.tolist()], f"(theory: K = {K})")
print("     last thresholds    ", [round(t, 3) for t in theta.tolist()])
best = responses.max(dim=0).values
others = (responses.sum(dim=0) - best) / (K - 1)
assert bool(((best - K).abs() < 0.25 * K).all())
assert bool((others.abs() < 0.1 * K).all())
assert bool(((power - K).abs() < 0.25 * K).all())

# %%
# Anti-Hebbian lateral weights: decorrelation
# -------------------------------------------
#
# Földiák's rule :math:`\Delta Q_{ij} = -\langle y_i y_j \rangle` (:math:`i \ne j`)
# makes units that are active together inhibit each other (and units that are
# anti-correlated excite each other) until their outputs are uncorrelated, where the
# change vanishes (Földiák 1990, Biol. Cybern. 64:165). The recurrent network must stay
# stable: the eigenvalues of :math:`Q` below 1.

before = torch.corrcoef((Xc @ F.T).T)
after = torch.corrcoef(torch.linalg.solve(eye3 - Q, F @ Xc.T))
off = ~torch.eye(3, dtype=torch.bool)
print(f"anti-hebbian: largest |correlation| before {before[off].abs().max():.3f},")
print(f"              after {after[off].abs().max():.3f}")
print("              eigenvalues of Q", [round(v, 3) for v in torch.linalg.eigvalsh(Q).tolist()])
assert after[off].abs().max() < 0.05 < before[off].abs().max()
assert torch.linalg.eigvalsh(Q).max() < 1.0

# %%
# Cost: the matrix products of each rule
# --------------------------------------
#
# A rule's work is dominated by its matrix products. A ``TorchFunctionMode`` sees every
# torch function called inside its ``with`` block, so a small one can add up the
# multiply-adds of each product of an :math:`a \times b` and a :math:`b \times c`
# matrix, :math:`abc`. We count one call of each rule on a batch
# of :math:`B = 32` inputs of size :math:`N = 64` to :math:`M = 16` units, and check the
# counts against the formulas of the table.


class ProductCounter(TorchFunctionMode):
    """Count the multiply-adds of the 2-D matrix products run inside a ``with`` block.

    Attributes
    ----------
    multiply_adds : int
        The sum of ``a * b * c`` over the products of an (a, b) and a (b, c) matrix.
    """

    products = ("matmul", "mm", "__matmul__")  # the names of the 2-D products

    def __init__(self):
        super().__init__()
        self.multiply_adds = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", None) in self.products:
            (a, b), (_, c) = args[0].shape, args[1].shape
            self.multiply_adds += a * b * c
        return func(*args, **(kwargs or {}))


B_, N_, M_ = 32, 64, 16
x = torch.rand(B_, N_, generator=generator, dtype=dtype)
W = torch.rand(M_, N_, generator=generator, dtype=dtype) / N_
y = x @ W.T
calls = {
    "hebb": (lambda: hebb(x, y), B_ * M_ * N_),
    "covariance": (lambda: covariance(x, y, x.mean(0), y.mean(0)), B_ * M_ * N_),
    "instar": (lambda: instar(x, winner_take_all(y), W), B_ * M_ * N_),
    "oja": (lambda: oja(x, y, W), B_ * M_ * N_),
    "sanger": (lambda: sanger(x, y, W), B_ * M_ * N_ + B_ * M_**2 + M_**2 * N_),
    "bcm": (lambda: bcm(x, y, torch.ones(M_, dtype=dtype)), B_ * M_ * N_),
    "anti_hebbian": (lambda: anti_hebbian(y), B_ * M_**2),
}
for name, (call, formula) in calls.items():
    with ProductCounter() as counter:
        call()
    multiply_adds = counter.multiply_adds
    ratio = multiply_adds / (B_ * M_ * N_)
    print(f"{name:12s} {multiply_adds:7d} multiply-adds, {ratio:.2f} x BMN")
    assert multiply_adds == formula

# %%
# At this size Sanger's rule costs :math:`1 + M/N + M/B` times plain Hebb (the printed
# ratio of its count to :math:`BMN` is the same number); the others all cost one
# :math:`BMN` product, the same as the forward pass, and anti-Hebbian learning only
# :math:`BM^2` since it touches the :math:`M \times M` lateral weights.

torch.set_num_threads(threads)
