r"""The factored fast path of :class:`~hebbian.plastic.PlasticRecurrentCell`.

With the ``DECAYING`` rule and new episodes (zero activity, zero traces), the trace
:math:`\mathrm{Hebb}(t) = \sum_{s \le t} \eta (1-\eta)^{t-s}\, x_s x_{s-1}^\top` is
kept in factored form, as the activities of the episode (see
:func:`~hebbian.plastic.traces.history_drive`), and backpropagation through time runs
through a hand-written backward pass. Memory is then :math:`O(T B N)` instead of
:math:`O(T B N^2)`, and with a shared :math:`\alpha` the cost per step is
:math:`O(t B N)` instead of :math:`O(B N^2)`. It computes the same function as the
step-by-step form.
"""

from __future__ import annotations

from typing import Any

import torch

from hebbian.plastic.traces import decay_coefficients

__all__ = ["factored_decaying_run"]


_DEFER_BLOCK = 16  # steps whose deferred gradient terms reach earlier blocks in one product


def _deferred(
    post_coef: torch.Tensor,
    pre_coef: torch.Tensor,
    grad_total: torch.Tensor,
    history: torch.Tensor,
    rows: slice,
    first: int,
    last: int,
) -> torch.Tensor:
    r"""What steps ``first..last`` owe the gradients of the activities ``x_s``, s in ``rows``.

    With a shared alpha, step :math:`t` owes :math:`x_s` the term
    ``post_coef[:, s, t] g_t + pre_coef[:, s, t] x_{t-1}``; this sums them over
    :math:`t` in one batched product, shape ``(B, len(rows), N)``.
    """
    steps = slice(first, last + 1)
    g = grad_total[:, first - 1 : last]  # g_first .. g_last, (B, k, N)
    x = history[:, first - 1 : last]  # x_{first-1} .. x_{last-1}, (B, k, N)
    return torch.baddbmm(torch.bmm(post_coef[:, rows, steps], g), pre_coef[:, rows, steps], x)


class _FactoredDecayingRecurrence(torch.autograd.Function):
    r"""The plastic recurrence with a decaying trace, from zero activity and zero traces.

    Forward: ``x_0 = 0`` and for ``t = 1..T``

    .. math::

        x_t = \tanh\Big(u_t + W x_{t-1}
              + \sum_{s=1}^{t-1} c_{t-1-s}\; x_s \odot \big(A (x_{s-1} \odot x_{t-1})\big)\Big),
        \qquad c_a = \eta (1-\eta)^a,

    the last term being :math:`(A \odot \mathrm{Hebb}(t-1))\, x_{t-1}` (a shared ``A``
    multiplies the dot products :math:`x_{s-1} \cdot x_{t-1}` instead). Backward is
    backpropagation through time written out, accumulating the gradient of every
    activity in one ``(B, T+1, N)`` buffer; only the activities are stored.

    With a shared ``A``, step :math:`t` adds multiples of :math:`g_t` and of
    :math:`x_{t-1}` to the gradient of every earlier activity. Those multiples are only
    recorded (``(B, T+1, T+1)`` coefficients) and applied in blocks of
    ``_DEFER_BLOCK`` steps: within a block when the gradient of :math:`x_s` is needed,
    and to all earlier activities in one product when the block is done. Adding them at
    every step instead would sweep the whole gradient buffer twice a step, the cost
    that bounds large batches.
    """

    @staticmethod
    def forward(
        ctx: Any,
        drives: torch.Tensor,
        weight: torch.Tensor,
        alpha: torch.Tensor,
        eta: torch.Tensor,
    ) -> torch.Tensor:
        steps, batch, size = drives.shape
        history = drives.new_zeros(batch, steps + 1, size)  # x_0 .. x_T, (B, T+1, N)
        powers = decay_coefficients(eta, steps, drives, oldest_first=False)  # c_a, (T,)
        shared = alpha.ndim == 0
        # shared alpha: the dot products x_{s-1}.x_{t-1} of every step, kept for backward
        scores_all = drives.new_zeros(batch, steps + 1, steps) if shared else drives.new_zeros(0)
        for t in range(1, steps + 1):
            query = history[:, t - 1]  # x_{t-1}, (B, N)
            total = torch.addmm(drives[t - 1], query, weight.T)  # (B, N)
            count = t - 1  # coincidences (x_{s-1}, x_s), s = 1 .. t-1
            if count:
                coeff = powers[:count].flip(0)  # oldest first, (count,)
                pre = history[:, :count]  # (B, count, N)
                post = history[:, 1:t]  # (B, count, N)
                if shared:
                    scores = torch.bmm(pre, query[:, :, None])[:, :, 0]  # (B, count)
                    scores_all[:, t, :count] = scores
                    mix = (alpha * coeff) * scores  # (B, count)
                    total = total + torch.bmm(mix[:, None, :], post)[:, 0]
                else:
                    mixed = (pre * query[:, None, :]) @ alpha.T  # (B, count, N)
                    total = total + torch.einsum("k,bkj->bj", coeff, post * mixed)
            history[:, t] = torch.tanh(total)
        ctx.save_for_backward(weight, alpha, eta, history, scores_all)
        return history[:, 1:].transpose(0, 1).contiguous()  # (T, B, N)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        weight, alpha, eta, history, scores_all = ctx.saved_tensors
        batch, steps_1, size = history.shape
        steps = steps_1 - 1
        shared = alpha.ndim == 0
        powers = decay_coefficients(eta, steps, history, oldest_first=False)  # (T,)
        grads = torch.zeros_like(history)  # dL/dx_0 .. dL/dx_T, filled from the end
        grads[:, 1:] = grad_out.transpose(0, 1)
        grad_total = history.new_zeros(batch, steps, size)  # dL/d(pre-activation), (B, T, N)
        grad_alpha = torch.zeros_like(alpha)
        grad_coeff = history.new_zeros(steps)  # dL/dc_a for each age a
        if shared:  # deferred terms: dL/dx_s += sum_t post_coef[s, t] g_t + pre_coef[s, t] x_{t-1}
            post_coef = history.new_zeros(batch, steps + 1, steps + 1)
            pre_coef = history.new_zeros(batch, steps + 1, steps + 1)
        for t in range(steps, 0, -1):
            last = min((t - 1) // _DEFER_BLOCK * _DEFER_BLOCK + _DEFER_BLOCK, steps)
            if shared and t < last:  # what the later steps of x_t's block owe it, now needed
                owed = _deferred(
                    post_coef, pre_coef, grad_total, history, slice(t, t + 1), t + 1, last
                )
                grads[:, t] += owed[:, 0]
            x_t = history[:, t]
            g = grads[:, t] * (1 - x_t * x_t)  # through tanh, (B, N)
            grad_total[:, t - 1] = g
            query = history[:, t - 1]
            grads[:, t - 1] += g @ weight
            count = t - 1
            if not count:
                continue
            coeff = powers[:count].flip(0)  # (count,)
            pre = history[:, :count]  # (B, count, N)
            post = history[:, 1:t]  # (B, count, N)
            if shared:
                scores = scores_all[:, t, :count]  # x_{s-1}.q, (B, count)
                echoes = torch.bmm(post, g[:, :, None])[:, :, 0]  # x_s.g, (B, count)
                g_scores = (alpha * coeff) * echoes  # (B, count)
                grads[:, t - 1] += torch.bmm(g_scores[:, None, :], pre)[:, 0]  # via the query
                # x_s as a post-synaptic activity (s >= 1), then as a pre-synaptic one
                post_coef[:, 1:t, t] = (alpha * coeff) * scores  # times g_t
                pre_coef[:, :count, t] = g_scores  # times x_{t-1}
                if (t - 1) % _DEFER_BLOCK == 0:  # first step of a block: pay its earlier debts
                    grads[:, :t] += _deferred(
                        post_coef, pre_coef, grad_total, history, slice(0, t), t, last
                    )
                grad_alpha = grad_alpha + (coeff * echoes * scores).sum()
                g_coeff = alpha * (echoes * scores).sum(0)  # (count,)
            else:
                gated = pre * query[:, None, :]  # (B, count, N)
                mixed = gated @ alpha.T  # recomputed, (B, count, N)
                g_post = g[:, None, :] * post  # (B, count, N)
                g_coeff = (g_post * mixed).sum((0, 2))  # (count,)
                grads[:, 1:t].addcmul_(coeff[None, :, None] * g[:, None, :], mixed)
                g_mixed = g_post.mul_(coeff[None, :, None])  # (B, count, N)
                g_gated = g_mixed @ alpha  # (B, count, N)
                grad_alpha = grad_alpha + g_mixed.reshape(-1, size).T @ gated.reshape(-1, size)
                grads[:, :count].addcmul_(g_gated, query[:, None, :])
                grads[:, t - 1] += (g_gated * pre).sum(1)
            grad_coeff[:count] += g_coeff.flip(0)  # index i of g_coeff has age count-1-i
        grad_weight = grad_total.reshape(-1, size).T @ history[:, :steps].reshape(-1, size)
        ages = torch.arange(steps, device=history.device, dtype=history.dtype)
        # d/d eta of eta (1-eta)^a = (1-eta)^a - a eta (1-eta)^(a-1)
        d_coeff = (1 - eta) ** ages - torch.where(
            ages > 0, ages * eta * (1 - eta) ** (ages - 1).clamp_min(0), torch.zeros_like(ages)
        )
        grad_eta = (grad_coeff * d_coeff).sum()
        needs = ctx.needs_input_grad
        return (
            grad_total.transpose(0, 1) if needs[0] else None,
            grad_weight if needs[1] else None,
            grad_alpha if needs[2] else None,
            grad_eta.reshape(eta.shape) if needs[3] else None,
        )


def factored_decaying_run(
    drives: torch.Tensor, weight: torch.Tensor, alpha: torch.Tensor, eta: torch.Tensor
) -> torch.Tensor:
    r"""The activities of a plastic recurrence with a decaying trace, from new episodes.

    .. math::

        x_t = \tanh\big(u_t + (W + \alpha \odot \mathrm{Hebb}(t-1))\, x_{t-1}\big),
        \qquad x_0 = 0,\; \mathrm{Hebb}(0) = 0,

    with :math:`\mathrm{Hebb}(t) = (1-\eta)\,\mathrm{Hebb}(t-1) + \eta\, x_t x_{t-1}^\top`,
    differentiable in every argument. The arguments are not checked (callers such as
    :meth:`~hebbian.plastic.PlasticRecurrentCell.run` check them).

    Parameters
    ----------
    drives : Tensor, shape (T, B, N)
        The external drives :math:`u_1 \dots u_T`, ``T >= 1``.
    weight : Tensor, shape (N, N)
        The fixed weights :math:`W`.
    alpha : Tensor, shape (N, N) or ()
        The plasticity coefficients, per connection or shared.
    eta : Tensor, shape ()
        The plasticity rate.

    Returns
    -------
    Tensor, shape (T, B, N)
        The activities :math:`x_1 \dots x_T`.

    Examples
    --------
    >>> drives = torch.ones(3, 1, 2)
    >>> xs = factored_decaying_run(drives, torch.zeros(2, 2), torch.tensor(1.0), torch.tensor(0.5))
    >>> tuple(xs.shape)
    (3, 1, 2)
    """
    activity: torch.Tensor = _FactoredDecayingRecurrence.apply(drives, weight, alpha, eta)
    return activity
