r"""The blocked dense-refresh path of :class:`~hebbian.plastic.PlasticRecurrentCell`.

With the ``DECAYING`` rule, new episodes and one :math:`\alpha` per connection, the
factored path (:mod:`hebbian.plastic.factored`) multiplies every earlier coincidence of
an episode by :math:`\alpha` at every step: :math:`O(T^2 B N^2)` work an episode. This
path keeps the per-episode matrix :math:`D_r = \alpha \odot \mathrm{Hebb}(r)` dense,
refreshes it every ``block`` steps, and handles only the coincidences of the current
block in factored form. For a step :math:`t` of the block that starts at :math:`r`
(:math:`r \le t-1 < r+k`, :math:`k` = ``block``)

.. math::

    \mathrm{Hebb}(t-1) = (1-\eta)^{t-1-r}\, \mathrm{Hebb}(r)
        + \sum_{s=r+1}^{t-1} c_{t-1-s}\, x_s x_{s-1}^\top, \qquad c_a = \eta (1-\eta)^a,

which is the decaying recurrence unrolled, so the path is exact (it computes the same
function as the step-by-step form, to float rounding). The work is
:math:`O(T B N^2 (k + c))` for a small constant :math:`c` instead of
:math:`O(T^2 B N^2)`; memory holds the :math:`\lceil T/k \rceil - 1` refreshed
matrices, :math:`O(T B N^2 / k)`.

Backpropagation through time runs through a hand-written backward pass
(:class:`_BlockedDecayingRecurrence`), with the adjoint of each dense matrix carried
backwards block by block the same way. :func:`prefers_blocked` is the rule by which
:class:`~hebbian.plastic.RunMethod` ``AUTO`` chooses this path over the factored one.
"""

from __future__ import annotations

from typing import Any

import torch

from hebbian._checks import check_positive_int
from hebbian.plastic.traces import decay_coefficients

__all__ = [
    "BLOCK",
    "BLOCKED_MEMORY_LIMIT",
    "BLOCKED_MIN_NEURONS",
    "BLOCKED_MIN_STEPS",
    "blocked_decaying_run",
    "blocked_memory",
    "prefers_blocked",
]

BLOCK = 16
"""The default block: steps between refreshes of the dense matrix.

Chosen on the 1000-bit task (1001 neurons, 106 steps), where blocks of 8 and 16 train
about equally fast on CPU and 16 keeps half as many matrices (``benchmarks/plastic.py``,
``docs/RESULTS.md``).
"""

BLOCKED_MIN_NEURONS = 256
"""Below this many neurons :func:`prefers_blocked` keeps the factored path."""

BLOCKED_MIN_STEPS = 2 * BLOCK
"""Below this many steps an episode :func:`prefers_blocked` keeps the factored path."""

BLOCKED_MEMORY_LIMIT = 2**30
"""Bytes of refreshed matrices above which :func:`prefers_blocked` keeps the factored path."""


def blocked_memory(steps: int, batch: int, neurons: int, itemsize: int, block: int = BLOCK) -> int:
    r"""Bytes the blocked path keeps for backward and works in, for one episode batch.

    The :math:`\lceil T/k \rceil - 1` refreshed matrices and three working ``(B, N, N)``
    matrices of the backward pass, plus the :math:`T (k-1)` rows ``(B, N)`` of the block
    terms of the forward pass, all of ``itemsize`` bytes an entry.

    >>> blocked_memory(106, 1, 1001, 4) // 2**20
    40
    """
    refreshes = max(-(-steps // block) - 1, 0)
    matrices = (refreshes + 3) * batch * neurons * neurons
    rows = steps * batch * (block - 1) * neurons
    return (matrices + rows) * itemsize


def prefers_blocked(
    steps: int, batch: int, neurons: int, itemsize: int, block: int = BLOCK
) -> bool:
    r"""Whether ``AUTO`` runs the blocked path rather than the factored one.

    The blocked path's work per step is :math:`O(B N^2 k)` against the factored path's
    :math:`O(t B N^2)`, but it sweeps ``(B, N, N)`` matrices, which only pays once
    episodes are long and networks large. On CPU, single training passes were faster
    through the factored path at 51 neurons (23 and 106 steps) and through the blocked
    path from 256 neurons and 32 steps up; ``benchmarks/plastic.py`` measures the
    1000-bit task (``docs/RESULTS.md``). It is chosen when

    * ``steps >= BLOCKED_MIN_STEPS`` (several blocks an episode),
    * ``neurons >= BLOCKED_MIN_NEURONS``, and
    * :func:`blocked_memory` is at most ``BLOCKED_MEMORY_LIMIT`` (1 GiB; on the 1000-bit
      task in float32, batches of up to 25 episodes).

    The paper's 1000-bit task (1001 neurons, 106 steps) at batch 1 meets all three; the
    tour's 51-neuron task meets none.

    >>> prefers_blocked(106, 1, 1001, 4), prefers_blocked(23, 32, 51, 4)
    (True, False)
    """
    return (
        steps >= BLOCKED_MIN_STEPS
        and neurons >= BLOCKED_MIN_NEURONS
        and blocked_memory(steps, batch, neurons, itemsize, block) <= BLOCKED_MEMORY_LIMIT
    )


def _coefficient_derivatives(
    eta: torch.Tensor, block: int, like: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    r""":math:`dc_a/d\eta` for ``a = 0..k-1`` and :math:`dp_j/d\eta` for ``j = 0..k``.

    :math:`c_a = \eta (1-\eta)^a` gives :math:`(1-\eta)^a - a \eta (1-\eta)^{a-1}`;
    :math:`p_j = (1-\eta)^j` gives :math:`-j (1-\eta)^{j-1}`; the terms with a zero
    exponent factor are zero (also at :math:`\eta = 1`).
    """
    ages = torch.arange(block + 1, device=like.device, dtype=like.dtype)
    below = (1 - eta) ** (ages - 1).clamp_min(0)  # (1-eta)^(j-1), j >= 1
    zero = torch.zeros_like(ages)
    d_power = torch.where(ages > 0, -ages * below, zero)  # (k+1,)
    d_coeff = (1 - eta) ** ages[:block] - torch.where(
        ages[:block] > 0, ages[:block] * eta * below[:block], zero[:block]
    )
    return d_coeff, d_power


class _BlockedDecayingRecurrence(torch.autograd.Function):
    r"""The plastic recurrence with a decaying trace and a per-connection ``A``, in blocks.

    Forward: ``x_0 = 0``, :math:`D_0 = 0`, and for each block start ``r = 0, k, 2k, ...``
    and its steps ``t = r+1 .. min(r+k, T)``

    .. math::

        x_t = \tanh\Big(u_t + W x_{t-1} + p_{t-1-r}\, D_r x_{t-1}
              + \sum_{s=r+1}^{t-1} c_{t-1-s}\; x_s \odot \big(A (x_{s-1} \odot x_{t-1})\big)\Big),

    with :math:`p_j = (1-\eta)^j`, then the refresh
    :math:`D_{r+k} = p_k D_r + A \odot S_r`,
    :math:`S_r = \sum_{s=r+1}^{r+k} c_{r+k-s}\, x_s x_{s-1}^\top`.

    Backward, with :math:`g_t = \partial L / \partial z_t` (the pre-activation) and
    :math:`\Gamma_r = \partial L / \partial D_r`, block by block from the last:

    * the refresh: :math:`\Gamma_r \mathrel{+}= p_k \Gamma_{r+k}`,
      :math:`\partial A \mathrel{+}= \sum_b \Gamma_{r+k} \odot S_r` and, with
      :math:`\Psi = A \odot \Gamma_{r+k}`, :math:`\partial x_s \mathrel{+}= c\, \Psi
      x_{s-1}`, :math:`\partial x_{s-1} \mathrel{+}= c\, \Psi^\top x_s`,
      :math:`\partial c \mathrel{+}= x_s^\top \Psi x_{s-1}`,
      :math:`\partial p_k \mathrel{+}= \langle \Gamma_{r+k}, D_r \rangle`;
    * each step, last first: :math:`\partial x_{t-1} \mathrel{+}= W^\top g_t + p_j
      D_r^\top g_t`, :math:`\partial p_j \mathrel{+}= \langle D_r^\top g_t, x_{t-1}
      \rangle`, the factored terms of the block as in
      :mod:`hebbian.plastic.factored`, and :math:`\Gamma_r \mathrel{+}= p_j\, g_t
      x_{t-1}^\top` (one product per block).

    Saved: the activities, the refreshed :math:`D_k, D_{2k}, \dots` and the products
    :math:`A (x_{s-1} \odot x_{t-1})` of the block terms (``(T, B, k-1, N)``).
    """

    @staticmethod
    def forward(
        ctx: Any,
        drives: torch.Tensor,
        weight: torch.Tensor,
        alpha: torch.Tensor,
        eta: torch.Tensor,
        block: int,
    ) -> torch.Tensor:
        steps, batch, size = drives.shape
        history = drives.new_zeros(batch, steps + 1, size)  # x_0 .. x_T, (B, T+1, N)
        coeff = decay_coefficients(eta, block, drives, oldest_first=False)  # c_a, (k,)
        power = (1 - eta) ** torch.arange(block + 1, device=drives.device, dtype=drives.dtype)
        starts = list(range(0, steps, block))
        # D_k, D_2k, ...: the refreshed matrices (D_0 = 0 is not kept), (R, B, N, N)
        dense = drives.new_empty(len(starts) - 1, batch, size, size)
        # A (x_{s-1} * x_{t-1}) of every step's block terms, kept for backward, (T, B, k-1, N)
        mixed_all = drives.new_empty(steps, batch, block - 1, size)
        for index, r in enumerate(starts):
            end = min(r + block, steps)
            d_r = dense[index - 1] if index else None
            for t in range(r + 1, end + 1):
                query = history[:, t - 1]  # x_{t-1}, (B, N)
                total = torch.addmm(drives[t - 1], query, weight.T)  # (B, N)
                j = t - 1 - r
                if d_r is not None:
                    total = total + power[j] * torch.bmm(d_r, query[:, :, None])[:, :, 0]
                if j:
                    pre = history[:, r : t - 1]  # x_{s-1}, s = r+1 .. t-1, (B, j, N)
                    post = history[:, r + 1 : t]  # x_s, (B, j, N)
                    mixed = (pre * query[:, None, :]) @ alpha.T  # (B, j, N)
                    mixed_all[t - 1, :, :j] = mixed
                    total = total + torch.einsum("k,bkj->bj", coeff[:j].flip(0), post * mixed)
                history[:, t] = torch.tanh(total)
            if index + 1 < len(starts):  # refresh: D_{r+k} = p_k D_r + A * S_r
                post = history[:, r + 1 : end + 1] * coeff.flip(0)[None, :, None]  # (B, k, N)
                fresh = torch.bmm(post.transpose(1, 2), history[:, r:end], out=dense[index])
                fresh.mul_(alpha)
                if d_r is not None:
                    fresh.addcmul_(d_r, power[block])
        ctx.block = block
        ctx.save_for_backward(weight, alpha, eta, history, dense, mixed_all)
        return history[:, 1:].transpose(0, 1).contiguous()  # (T, B, N)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        weight, alpha, eta, history, dense, mixed_all = ctx.saved_tensors
        block: int = ctx.block
        batch, steps_1, size = history.shape
        steps = steps_1 - 1
        coeff = decay_coefficients(eta, block, history, oldest_first=False)  # (k,)
        power = (1 - eta) ** torch.arange(block + 1, device=history.device, dtype=history.dtype)
        grads = torch.zeros_like(history)  # dL/dx_0 .. dL/dx_T, filled from the end
        grads[:, 1:] = grad_out.transpose(0, 1)
        grad_total = history.new_zeros(batch, steps, size)  # g_1 .. g_T, (B, T, N)
        grad_alpha = torch.zeros_like(alpha)
        grad_coeff = history.new_zeros(block)  # dL/dc_a
        grad_power = history.new_zeros(block + 1)  # dL/dp_j
        starts = list(range(0, steps, block))
        carried: torch.Tensor | None = None  # Gamma_{r+k} = dL/dD_{r+k}, updated in place
        work = history.new_empty(batch, size, size) if len(starts) > 1 else history.new_empty(0)
        # the block terms of dL/dA, rows of (x_s * g_t) c and of x_{s-1} * x_{t-1}, summed in
        # one product at the end rather than a sweep of the (N, N) gradient at every step
        left: list[torch.Tensor] = []
        right: list[torch.Tensor] = []
        for index in range(len(starts) - 1, -1, -1):
            r = starts[index]
            end = min(r + block, steps)
            d_r = dense[index - 1] if index else None
            if carried is not None:  # the refresh D_{r+k} = p_k D_r + A * S_r, backwards
                pre = history[:, r:end]  # x_{s-1}, s = r+1 .. r+k, (B, k, N)
                post = history[:, r + 1 : end + 1]  # x_s, (B, k, N)
                ages = coeff.flip(0)  # c_{r+k-s}, (k,)
                fresh = torch.bmm(post.transpose(1, 2) * ages, pre, out=work)  # S_r, (B, N, N)
                for b in range(batch):
                    grad_alpha.addcmul_(carried[b], fresh[b])
                if d_r is not None:  # <Gamma_{r+k}, D_r>
                    grad_power[block] += torch.dot(carried.reshape(-1), d_r.reshape(-1))
                psi = torch.mul(carried, alpha, out=work)  # dL/dS_r, (B, N, N)
                to_post = torch.bmm(pre, psi.transpose(1, 2))  # rows (Psi x_{s-1})^T, (B, k, N)
                to_pre = torch.bmm(post, psi)  # rows (Psi^T x_s)^T, (B, k, N)
                grad_coeff += (to_post * post).sum((0, 2)).flip(0)
                grads[:, r + 1 : end + 1] += to_post * ages[None, :, None]
                grads[:, r:end] += to_pre * ages[None, :, None]
            for t in range(end, r, -1):
                x_t = history[:, t]
                g = grads[:, t] * (1 - x_t * x_t)  # through tanh, (B, N)
                grad_total[:, t - 1] = g
                query = history[:, t - 1]
                grads[:, t - 1] += g @ weight
                j = t - 1 - r
                if d_r is not None:
                    back = torch.bmm(g[:, None, :], d_r)[:, 0]  # (D_r^T g)^T, (B, N)
                    grads[:, t - 1] += power[j] * back
                    grad_power[j] += (back * query).sum()
                if not j:
                    continue
                ages = coeff[:j].flip(0)  # c_{t-1-s}, s = r+1 .. t-1, (j,)
                pre = history[:, r : t - 1]  # (B, j, N)
                post = history[:, r + 1 : t]  # (B, j, N)
                gated = pre * query[:, None, :]  # (B, j, N)
                mixed = mixed_all[t - 1, :, :j]  # (B, j, N)
                g_post = g[:, None, :] * post  # (B, j, N)
                grad_coeff[:j] += (g_post * mixed).sum((0, 2)).flip(0)
                grads[:, r + 1 : t].addcmul_(ages[None, :, None] * g[:, None, :], mixed)
                g_mixed = g_post.mul_(ages[None, :, None])  # (B, j, N)
                g_gated = g_mixed @ alpha  # (B, j, N)
                left.append(g_mixed.reshape(-1, size))
                right.append(gated.reshape(-1, size))
                grads[:, r : t - 1].addcmul_(g_gated, query[:, None, :])
                grads[:, t - 1] += (g_gated * pre).sum(1)
            if d_r is None:
                break  # block 0: D_0 = 0 is a constant
            # Gamma_r = p_k Gamma_{r+k} + sum_t p_{t-1-r} g_t x_{t-1}^T
            weighted = (grad_total[:, r:end] * power[: end - r, None]).transpose(1, 2)  # (B, N, n)
            if carried is None:
                carried = torch.bmm(weighted, history[:, r:end])  # (B, N, N)
            else:
                carried.mul_(power[block]).baddbmm_(weighted, history[:, r:end])
        if left:
            grad_alpha.addmm_(torch.cat(left).T, torch.cat(right))
        grad_weight = grad_total.reshape(-1, size).T @ history[:, :steps].reshape(-1, size)
        d_coeff, d_power = _coefficient_derivatives(eta, block, history)
        grad_eta = (grad_coeff * d_coeff).sum() + (grad_power * d_power).sum()
        needs = ctx.needs_input_grad
        return (
            grad_total.transpose(0, 1) if needs[0] else None,
            grad_weight if needs[1] else None,
            grad_alpha if needs[2] else None,
            grad_eta.reshape(eta.shape) if needs[3] else None,
            None,
        )


def blocked_decaying_run(
    drives: torch.Tensor,
    weight: torch.Tensor,
    alpha: torch.Tensor,
    eta: torch.Tensor,
    block: int = BLOCK,
) -> torch.Tensor:
    r"""The activities of a plastic recurrence with a decaying trace, computed in blocks.

    The same function as :func:`~hebbian.plastic.factored_decaying_run`,

    .. math::

        x_t = \tanh\big(u_t + (W + \alpha \odot \mathrm{Hebb}(t-1))\, x_{t-1}\big),
        \qquad x_0 = 0,\; \mathrm{Hebb}(0) = 0,

    with :math:`\mathrm{Hebb}(t) = (1-\eta)\,\mathrm{Hebb}(t-1) + \eta\, x_t x_{t-1}^\top`,
    for one :math:`\alpha` per connection, with :math:`\alpha \odot \mathrm{Hebb}` kept
    dense and refreshed every ``block`` steps (the module docstring), differentiable in
    ``drives``, ``weight``, ``alpha`` and ``eta``. Only ``block`` is checked (callers
    such as :meth:`~hebbian.plastic.PlasticRecurrentCell.run` check the rest).

    Parameters
    ----------
    drives : Tensor, shape (T, B, N)
        The external drives :math:`u_1 \dots u_T`, ``T >= 1``.
    weight : Tensor, shape (N, N)
        The fixed weights :math:`W`.
    alpha : Tensor, shape (N, N)
        The plasticity coefficients, one per connection.
    eta : Tensor, shape ()
        The plasticity rate.
    block : int, default BLOCK
        Steps between refreshes of the dense matrix; any ``block >= 1`` gives the same
        function (``block >= T`` is the factored path in one block).

    Returns
    -------
    Tensor, shape (T, B, N)
        The activities :math:`x_1 \dots x_T`.

    Examples
    --------
    >>> from hebbian.plastic import factored_decaying_run
    >>> drives = torch.ones(5, 1, 2, dtype=torch.float64)
    >>> w, a = torch.zeros(2, 2, dtype=torch.float64), torch.ones(2, 2, dtype=torch.float64)
    >>> eta = torch.tensor(0.5, dtype=torch.float64)
    >>> xs = blocked_decaying_run(drives, w, a, eta, block=2)
    >>> bool(torch.allclose(xs, factored_decaying_run(drives, w, a, eta)))
    True
    """
    block = check_positive_int("block", block)
    activity: torch.Tensor = _BlockedDecayingRecurrence.apply(drives, weight, alpha, eta, block)
    return activity
