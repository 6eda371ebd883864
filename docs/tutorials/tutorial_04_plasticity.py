r"""
Differentiable plasticity and neuromodulation
=============================================

Most neural networks learn in one way only: gradient descent changes their weights
between examples, and the weights then stay fixed while the network runs. *Differentiable
plasticity* (Miconi, Clune & Stanley, "Differentiable plasticity: training plastic neural
networks with backpropagation", ICML 2018) adds a second, fast kind of learning. Every
connection also gets a Hebbian part that changes *during* an episode, driven by the
activity of the neurons it joins. Gradient descent then learns, across many episodes, how
plastic each connection should be. *Backpropamine* (Miconi, Rawal, Clune & Stanley,
"Backpropamine: training self-modifying neural networks with differentiable
neuromodulated plasticity", ICLR 2019) goes one step further: the network computes a
neuromodulatory signal :math:`M(t)`, which decides when, and with which sign, the
Hebbian traces change.

This tutorial uses :mod:`hebbian.plastic` to

1. write down the plastic recurrent network and its Hebbian trace;
2. train a small one to memorise binary patterns and complete a degraded one, the task
   of section 4.1 of the 2018 paper, next to a non-plastic network of the same size;
3. switch its plasticity off after training, to show where the memory lives;
4. step the neuromodulated traces of Backpropamine by hand, to see how an eligibility
   trace lets a later reward strengthen an earlier coincidence.
"""  # noqa: D205, D400 (a sphinx-gallery title, not a summary line)

# %%
# The plastic recurrent network
# -----------------------------
#
# :class:`~hebbian.plastic.PlasticRecurrentCell` holds :math:`N` tanh neurons. The
# connection from neuron :math:`i` to neuron :math:`j` has a fixed weight
# :math:`w_{ji}` and a plastic part :math:`\alpha_{ji}\,\mathrm{Hebb}_{ji}(t)`:
#
# .. math::
#
#     x_j(t) = \tanh\Big(u_j(t) + \sum_i \big(w_{ji} + \alpha_{ji}\,
#              \mathrm{Hebb}_{ji}(t-1)\big)\, x_i(t-1)\Big),
#
# where :math:`u(t)` is the external input. The Hebbian trace is a running average of the
# products of presynaptic and postsynaptic activity (the paper's eq. 2, rule
# ``DECAYING`` of :class:`~hebbian.plastic.TraceRule`):
#
# .. math::
#
#     \mathrm{Hebb}_{ji}(t) = (1 - \eta)\,\mathrm{Hebb}_{ji}(t-1)
#                             + \eta\, x_j(t)\, x_i(t-1).
#
# Unrolled from :math:`\mathrm{Hebb}(0) = 0`, this is a weighted sum over the episode so
# far:
#
# .. math::
#
#     \mathrm{Hebb}(t) = \sum_{s=1}^{t} \eta\,(1-\eta)^{t-s}\; x(s)\, x(s-1)^\top .
#
# The trace starts at zero in every episode. The fixed weights :math:`w`, the plasticity
# coefficients :math:`\alpha` and the rate :math:`\eta` are ordinary parameters: the loss
# at the end of an episode is backpropagated through every step of the episode,
# trace updates included, and an optimiser updates them between episodes. Gradient
# descent therefore does not learn the patterns themselves, which change in every
# episode. It learns how the network should learn them. Oja's rule,
# :math:`\mathrm{Hebb}_{ji} \leftarrow \mathrm{Hebb}_{ji} + \eta\, x_j (x_i - x_j
# \mathrm{Hebb}_{ji})` (eq. 3, ``TraceRule.OJA``), and an additive trace clipped to
# :math:`[-1, 1]` by default (``TraceRule.CLIPPED``) are the library's other unmodulated
# rules.
#
# The task (:class:`~hebbian.plastic.PatternTask`): an episode shows two random
# patterns of :math:`\pm 1` bits, each for three steps followed by two empty steps, twice,
# in a random order. Then one of the two patterns comes back with half of its bits set to
# zero, for three steps. The network has one neuron per bit and one bias neuron, and at
# the last step its first neurons must reproduce the whole pattern. Since half of the
# bits are given, a network that guesses the others gets a quarter of all bits wrong (a
# bit error of 0.25) and half of the erased ones (0.5). The paper's main experiment stores
# 1000-bit patterns; its comparison with non-plastic networks uses two 50-bit patterns, the
# size used here (with two presentation cycles instead of the authors' one).

import matplotlib.pyplot as plt
import torch

from hebbian.plastic import (
    ModelKind,
    PatternTask,
    RunMethod,
    TraceRule,
    bit_error,
    completion,
    hebb_from_history,
    initial_trace_state,
    memorisation_model,
    memorisation_step,
    update_trace,
)

task = PatternTask(
    pattern_size=50, patterns=2, presentation_steps=3, gap_steps=2, cycles=2, test_steps=3
)
generator = torch.Generator().manual_seed(0)
example = task.sample(1, generator=generator)
print(f"{task.neurons} neurons, {task.steps} steps per episode")
print("inputs:", tuple(example.inputs.shape), "(steps, episodes, neurons)")

fig, ax = plt.subplots(figsize=(6.4, 2.8))
ax.imshow(example.inputs[:, 0, :-1].T.sign(), cmap="gray", aspect="auto", vmin=-1, vmax=1)
ax.set(
    xlabel="time step",
    ylabel="bit",
    title="One episode: two patterns shown twice, then a half-erased cue",
)
fig.tight_layout()

# %%
# Training, with a non-plastic control
# ------------------------------------
#
# :func:`~hebbian.plastic.memorisation_model` builds the paper's networks from plain
# sizes: ``ModelKind.PLASTIC`` is a :class:`~hebbian.plastic.PlasticRecurrentCell` with
# the decaying rule, ``ModelKind.RNN`` a :class:`~hebbian.plastic.RecurrentCell`, the same
# tanh neurons with fixed weights only. :func:`~hebbian.plastic.memorisation_step` runs
# a batch of episodes, takes the squared error between the last step's activity and the
# pattern, and makes one Adam step. Both networks see the same episodes.

models = {
    kind: memorisation_model(kind, task.neurons, task.pattern_size, generator=generator)
    for kind in (ModelKind.PLASTIC, ModelKind.RNN)
}
optimisers = {kind: torch.optim.Adam(m.parameters(), lr=3e-3) for kind, m in models.items()}
training_steps, batch = 40, 16
curves = {kind: [] for kind in models}
for _ in range(training_steps):
    episode = task.sample(batch, generator=generator)
    for kind, model in models.items():
        loss, answer = memorisation_step(model, optimisers[kind], episode)
        curves[kind].append(bit_error(answer, episode.target).mean().item())

plastic = models[ModelKind.PLASTIC]
print(f"training episodes seen by each network: {training_steps * batch}")
print(f"learned plasticity rate eta = {plastic.eta.item():.4f}")
print(f"mean learned alpha = {plastic.alpha.mean().item():.4f}")

fig, ax = plt.subplots(figsize=(6.4, 3.6))
steps = range(1, training_steps + 1)
ax.plot(steps, curves[ModelKind.PLASTIC], label="plastic")
ax.plot(steps, curves[ModelKind.RNN], label="non-plastic RNN")
ax.axhline(0.25, color="0.5", linestyle="--", linewidth=1, label="chance (0.25)")
ax.set(
    xlabel=f"Adam step ({batch} episodes each)",
    ylabel="bit error",
    title="Pattern completion during training",
    ylim=(0, 0.35),
)
ax.legend()
fig.tight_layout()

# %%
# Testing on fresh episodes
# -------------------------
#
# :func:`~hebbian.plastic.completion` is the answer of a network: its first 50 neurons
# at the last step. We score it on 256 new episodes, over all bits and over the erased
# bits alone. To see whether the plastic network's skill lies in its fixed weights or in
# its Hebbian traces, we also test it once more with every :math:`\alpha` set to zero:
# the same trained :math:`w`, no plasticity.

test = task.sample(256, generator=generator)
with torch.no_grad():
    answers = {kind: completion(m, test.inputs, task.pattern_size) for kind, m in models.items()}
    learned_alpha = plastic.alpha.clone()
    plastic.alpha.zero_()
    without_plasticity = completion(plastic, test.inputs, task.pattern_size)
    plastic.alpha.copy_(learned_alpha)

scores = {}
for name, answer in (
    ("plastic", answers[ModelKind.PLASTIC]),
    ("non-plastic RNN", answers[ModelKind.RNN]),
    ("plastic, alpha = 0", without_plasticity),
):
    scores[name] = (
        bit_error(answer, test.target).mean().item(),
        bit_error(answer, test.target, test.erased).mean().item(),
    )
    print(f"{name:>20}: bit error {scores[name][0]:.4f}, on erased bits {scores[name][1]:.4f}")

# %%
# The paper reports that the plastic network solves this task (a bit error below 0.01
# within 2,000 training episodes) while a non-plastic recurrent network of the same size
# stays at chance, and an LSTM needs hundreds of thousands of episodes (Miconi et al.
# 2018, section 4.1). The printed numbers agree after a much shorter training: the
# plastic network already restores most of the erased bits, the RNN guesses them, and
# the plastic network with its plasticity removed falls back to guessing too. Its memory
# of the episode's patterns is in :math:`\alpha \odot \mathrm{Hebb}`, not in :math:`w`.
# The checks below fail the build if this stops being true: on the erased bits (chance
# 0.5) the plastic network must make less than half the errors of chance, and the two
# others must stay near chance.

assert scores["plastic"][1] < 0.25, scores
assert scores["non-plastic RNN"][1] > 0.4, scores
assert scores["plastic, alpha = 0"][1] > 0.4, scores

fig, axes = plt.subplots(3, 4, figsize=(6.4, 3.6))
rows = [
    ("cue", test.inputs[-1, :, : task.pattern_size].sign()),
    ("plastic", answers[ModelKind.PLASTIC]),
    ("RNN", answers[ModelKind.RNN]),
]
for r, (label, bits) in enumerate(rows):
    for c in range(4):
        ax = axes[r, c]
        ax.imshow(bits[c].reshape(5, 10), cmap="gray", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        if c == 0:
            ax.set_ylabel(label)
        if r == 0:
            ax.set_title(f"episode {c + 1}", fontsize=9)
fig.suptitle("Cues (grey: erased) and each network's completion")
fig.tight_layout()

# %%
# What the trace holds
# --------------------
#
# While a pattern :math:`p` is shown, the inputs are large and :math:`x(t) \approx
# x(t-1) \approx p`, so each presentation adds about :math:`\eta\, p p^\top` to the trace:
# at the end of the episode :math:`\mathrm{Hebb}` is close to a weighted sum of the
# patterns' outer products, the weight matrix a Hopfield network would use to store them.
# We run one test episode step by step (``RunMethod.DENSE``, which keeps the
# ``(B, N, N)`` trace) and compare its final trace with
#
# * the closed form above, computed from the activities with
#   :func:`~hebbian.plastic.hebb_from_history` (this is how the library's fast path,
#   ``RunMethod.FACTORED``, avoids storing the trace at all: Ba et al., "Using fast
#   weights to attend to the recent past", NeurIPS 2016);
# * the Hopfield matrix :math:`\sum_k p_k p_k^\top` of the episode's two patterns (read
#   from the inputs at the first step of each presentation).

with torch.no_grad():
    one = test.inputs[:, :1]  # (T, 1, N + 1)
    activity, final = plastic.run(one, method=RunMethod.DENSE)
    post = activity.transpose(0, 1)  # x(1) .. x(T), shape (1, T, N + 1)
    pre = torch.cat([torch.zeros_like(post[:, :1]), post[:, :-1]], dim=1)  # x(0) .. x(T-1)
    closed_form = hebb_from_history(plastic.eta, pre, post)
gap = (final.trace.hebb - closed_form).abs().max().item()
print(f"largest difference, stepped trace vs closed form: {gap:.2e}")
assert gap < 1e-5

block = task.presentation_steps + task.gap_steps
shown = one[[0, block], 0, : task.pattern_size].sign()  # the two patterns, (2, 50)
hopfield = shown.T @ shown
hebb = final.trace.hebb[0, : task.pattern_size, : task.pattern_size]
off_diagonal = ~torch.eye(task.pattern_size, dtype=torch.bool)
correlation = torch.corrcoef(torch.stack([hebb[off_diagonal], hopfield[off_diagonal]]))[0, 1]
print(f"correlation of the final trace with sum_k p_k p_k^T: {correlation.item():.3f}")
assert correlation > 0.5

fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4))
for ax, matrix, title in (
    (axes[0], hebb, "Hebb at the last step"),
    (axes[1], hopfield, "Hopfield matrix of the patterns"),
):
    limit = matrix.abs().max().item()
    ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title, fontsize=10)
for ax in axes:
    ax.set(xlabel="presynaptic neuron i", ylabel="postsynaptic neuron j")
fig.tight_layout()

# %%
# Neuromodulation: Backpropamine
# ------------------------------
#
# In the networks above every coincidence of activity enters the trace at the same rate
# :math:`\eta`. Backpropamine lets the network choose. A modulatory output,
# :math:`M(t) = \tanh(w_M \cdot x(t) + b_M)`, trained like every other weight, replaces
# :math:`\eta`. With *simple neuromodulation* (``TraceRule.MODULATED``, the 2019 paper's
# eq. 3)
#
# .. math::
#
#     \mathrm{Hebb}_{ji}(t+1) = \mathrm{clip}\big(\mathrm{Hebb}_{ji}(t)
#                                + M(t)\, x_j(t)\, x_i(t-1)\big),
#
# so :math:`M(t)` can switch plasticity on, off, or reverse its sign (anti-Hebbian
# learning) from one step to the next. ``clip`` keeps every entry in :math:`[-1, 1]`.
# With *retroactive neuromodulation* (``TraceRule.RETROACTIVE``, eq. 4-5) the
# coincidences first go into an eligibility trace :math:`E`, and :math:`M(t)` moves what
# :math:`E` holds into the Hebbian trace:
#
# .. math::
#
#     \mathrm{Hebb}_{ji}(t+1) &= \mathrm{clip}\big(\mathrm{Hebb}_{ji}(t)
#                                + M(t)\, E_{ji}(t)\big), \\
#     E_{ji}(t+1) &= (1 - \eta)\, E_{ji}(t) + \eta\, x_j(t)\, x_i(t-1).
#
# This is how a reward can strengthen the connections that were active *before* it
# arrived, the credit-assignment problem that dopamine is thought to solve in the brain.
# :func:`~hebbian.plastic.update_trace` applies any rule to a
# :class:`~hebbian.plastic.TraceState`. Here one connection sees one coincidence
# (presynaptic and postsynaptic activity 1 at step 3) and, at step 10, a modulatory
# signal: a reward :math:`M = +1` in the first of two episodes, a punishment
# :math:`M = -1` in the second. Otherwise :math:`M = 0` and the activity is zero.

eta, coincidence, reward_step, steps = 0.2, 3, 10, 16
reward = torch.tensor([1.0, -1.0])  # M at the reward step, one value per episode
states = {rule: initial_trace_state(rule, 2, 1, 1) for rule in TraceRule if rule.modulated}
history = {rule: [] for rule in states}
eligibility = []
for t in range(steps):
    active = torch.full((2, 1), 1.0 if t == coincidence else 0.0)
    modulation = reward if t == reward_step else torch.zeros(2)
    for rule in states:
        states[rule] = update_trace(
            rule, states[rule], active, active, eta=eta, modulation=modulation
        )
        history[rule].append(states[rule].hebb[:, 0, 0].clone())
    eligibility.append(states[TraceRule.RETROACTIVE].eligibility[:, 0, 0].clone())

retroactive = states[TraceRule.RETROACTIVE].hebb[:, 0, 0]
simple = states[TraceRule.MODULATED].hebb[:, 0, 0]
# theory: E = eta after the coincidence, then decays by (1 - eta) per step until the reward
expected = reward * eta * (1 - eta) ** (reward_step - coincidence - 1)
print(f"coincidence at step {coincidence}, modulation at step {reward_step}")
print("retroactive Hebb after the reward:", [round(v, 6) for v in retroactive.tolist()])
print("theory, M eta (1 - eta)^(t_M - t_c - 1):", [round(v, 6) for v in expected.tolist()])
print("simple modulation, Hebb at the end:", simple.tolist())
assert torch.allclose(retroactive, expected, atol=1e-6)
assert simple.abs().max() == 0.0

# %%
# The modulation arrived several steps after the coincidence. Simple modulation missed
# it: at the coincidence there was no modulation and at the modulation there was no
# coincidence, so its trace stays at zero. The eligibility trace kept a decaying memory
# of the coincidence, and the modulation turned it into a lasting change of the Hebbian
# trace: positive after the reward, negative after the punishment, of the size the
# equations predict.

fig, ax = plt.subplots(figsize=(6.4, 3.6))
step_axis = range(steps)
retro = torch.stack(history[TraceRule.RETROACTIVE])  # (steps, 2 episodes)
simple_history = torch.stack(history[TraceRule.MODULATED])
ax.plot(step_axis, torch.stack(eligibility)[:, 0], "k:", label="eligibility E")
ax.plot(step_axis, retro[:, 0], label="Hebb, M = +1")
ax.plot(step_axis, retro[:, 1], label="Hebb, M = -1")
ax.plot(step_axis, simple_history[:, 0], "--", label="simple modulation, M = +1")
ax.axvline(coincidence, color="0.6", linewidth=0.8)
ax.axvline(reward_step, color="0.6", linewidth=0.8)
ax.set(
    xlabel="step",
    ylabel="trace",
    title="Retroactive modulation acts on an earlier coincidence",
)
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Going further
# -------------
#
# In a network, :math:`M(t)` is not given but computed: a
# :class:`~hebbian.plastic.PlasticRecurrentCell` with ``rule=TraceRule.MODULATED`` or
# ``TraceRule.RETROACTIVE`` has a modulator head (``modulator_weight``,
# ``modulator_bias``) trained by backpropagation with the rest.
# :func:`~hebbian.plastic.cue_reward_model` builds such networks for the cue-reward task
# of the 2019 paper (:class:`~hebbian.plastic.CueRewardTask`), where only the rewards of
# an episode tell which cue is the rewarded one; the recipes ``neuromod-cue-reward`` and
# ``backpropamine-cue-reward`` train them against non-modulated and non-plastic networks.
# ``plastic-patterns`` is the full-size version of the task above, ``plastic-images``
# and ``plastic-oneshot`` the paper's image reconstruction and one-shot classification
# (see ``hebbian run RECIPE --help``).
