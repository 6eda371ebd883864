r"""Modules that hold weights and apply a local rule to them.

:class:`HebbianLinear` is the thin stateful wrapper around the pure rules of
:mod:`hebbian.rules` (docs/ARCHITECTURE.md): ``forward`` is an ordinary linear map,
and learning happens only in the explicit :meth:`HebbianLinear.plasticity_step`
(one step) and :meth:`HebbianLinear.fit_epoch` (one shuffled pass over data). It is
the library's one place that applies a rate-based rule,
:math:`W \leftarrow W + \eta\, \Delta W`, and stops on non-finite weights: the PCA
estimators (:mod:`hebbian.estimators`) and the local-rule recipes use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from hebbian import _random
from hebbian._checks import (
    check_dtype,
    check_finite_weights,
    check_floating_tensor,
    check_generator,
    check_memory,
    check_positive,
    check_positive_int,
)
from hebbian.rules import LocalRule, RuleState

__all__ = ["HebbianLinear", "shuffled_batches"]

_STATE_PREFIX = "rule_state_"


def shuffled_batches(
    data: torch.Tensor, batch_size: int, generator: torch.Generator | None = None
) -> list[torch.Tensor]:
    """One epoch's mini-batches: the rows of ``data`` in a random order, ``batch_size`` a batch.

    The order is :func:`hebbian._random.permutation` of the rows, drawn from
    ``generator`` (on its device) and moved to ``data``'s device; the last batch holds
    the remainder when ``batch_size`` does not divide the number of rows.

    Parameters
    ----------
    data : Tensor, shape (n, ...)
        The samples, one a row.
    batch_size : int
        Rows per batch, >= 1.
    generator : torch.Generator, optional
        Source of the shuffle.

    Returns
    -------
    list of Tensor
        ``ceil(n / batch_size)`` tensors of shape (<= batch_size, ...).

    Examples
    --------
    >>> batches = shuffled_batches(torch.arange(5.0)[:, None], 2, torch.Generator().manual_seed(0))
    >>> [tuple(b.shape) for b in batches], sorted(torch.cat(batches).flatten().tolist())
    ([(2, 1), (2, 1), (1, 1)], [0.0, 1.0, 2.0, 3.0, 4.0])
    """
    if not isinstance(data, torch.Tensor) or data.ndim == 0:
        raise TypeError(f"data must be a torch.Tensor with a batch dimension, got {data!r}")
    batch_size = check_positive_int("batch_size", batch_size)
    order = _random.permutation(data.shape[0], generator, device=data.device)
    return [data[order[start : start + batch_size]] for start in range(0, len(order), batch_size)]


class HebbianLinear(nn.Module):
    r"""A bias-free linear layer whose weights learn with a local rule.

    ``forward`` computes the currents :math:`u = x W^\top`. :meth:`plasticity_step`
    computes the responses :math:`y = f(u)` (``f`` = ``activation``, identity when
    None), asks the rule for :math:`\Delta W` (and its new state) and applies

    .. math:: W \leftarrow W + \eta\, \Delta W

    with :math:`\eta` = ``learning_rate`` (or the rate given to the step), in the
    weights' dtype; weights that would hold NaN or infinity stop learning with
    :class:`hebbian._checks.NonFiniteWeightsError` naming the rule and the step.
    :meth:`fit_epoch` makes one shuffled mini-batch pass over data. The order of
    the rule's own work (e.g. whether a threshold slides before the change) is the
    rule object's. The rule's state (running means, BCM thresholds) lives in buffers
    named ``rule_state_<field>``, and the number of steps taken in the buffer
    ``steps``, so ``state_dict`` saves and restores both.

    Parameters
    ----------
    in_features : int
        ``N_pre``, the size of each input sample.
    out_features : int
        ``N_post``, the number of units.
    rule : LocalRule
        A rule object such as :class:`hebbian.rules.Oja` ``()``.
    learning_rate : float
        :math:`\eta` > 0, the default rate of every step.
    activation : callable, optional
        A plain function mapping the currents (B, N_post) to the responses used by the
        rule, e.g. :func:`hebbian.rules.winner_take_all` for competitive learning with
        :class:`hebbian.rules.Instar`. None (default) uses the currents themselves.
    init_std : float, optional
        Standard deviation of the Gaussian initial weights (drawn in float64 by
        :func:`hebbian._random.normal`, so every dtype starts from the same numbers);
        default ``1 / sqrt(in_features)``, so each row has a norm close to 1.
    generator : torch.Generator, optional
        Source of randomness for the initial weights (reproducible initialisation
        without touching the global seed).
    initial_weight : Tensor, shape (out_features, in_features), optional
        Start from a copy of these weights instead of a Gaussian draw (then
        ``init_std`` and ``generator`` must be None). ``device`` and ``dtype`` default
        to its own.
    device, dtype
        Where and in which floating dtype the weights live.

    Attributes
    ----------
    weight : torch.nn.Parameter, shape (out_features, in_features)
        Created with ``requires_grad=False`` since it learns by plasticity; call
        ``layer.weight.requires_grad_(True)`` to also train it by backpropagation.
    steps : Tensor
        Scalar int64 buffer, the number of plasticity steps applied so far.

    Examples
    --------
    >>> from hebbian.rules import Oja
    >>> layer = HebbianLinear(3, 1, Oja(), learning_rate=0.05,
    ...                       generator=torch.Generator().manual_seed(0))
    >>> x = torch.randn(64, 3, generator=torch.Generator().manual_seed(1))
    >>> layer(x).shape
    torch.Size([64, 1])
    >>> for _ in range(500):
    ...     dw = layer.plasticity_step(x)
    >>> int(layer.steps), round(float(layer.weight.norm()), 2)
    (500, 1.0)
    """

    weight: nn.Parameter
    steps: torch.Tensor

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rule: LocalRule,
        learning_rate: float,
        *,
        activation: Callable[[torch.Tensor], torch.Tensor] | None = None,
        init_std: float | None = None,
        generator: torch.Generator | None = None,
        initial_weight: torch.Tensor | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        if not isinstance(rule, LocalRule):
            raise TypeError(
                "rule must be a LocalRule object (with name, init_state and delta), such as "
                f"hebbian.rules.Oja(), got {type(rule).__name__} {rule!r}"
            )
        self.rule = rule
        self.learning_rate = check_positive("learning_rate", learning_rate)
        if activation is not None and not callable(activation):
            raise TypeError(
                "activation must be a callable mapping currents to responses or None, got "
                f"{type(activation).__name__} {activation!r}"
            )
        self.activation = activation
        generator = check_generator("generator", generator)
        self.init_std: float | None = None  # None when starting from initial_weight
        if initial_weight is None:
            std = check_positive(
                "init_std", 1.0 / math.sqrt(in_features) if init_std is None else init_std
            )
            self.init_std = std
            dtype = check_dtype("dtype", torch.get_default_dtype() if dtype is None else dtype)
            check_memory(  # the float64 draw and the weights, before allocating either
                f"in_features={in_features}, out_features={out_features} (the weight matrix)",
                8 * in_features * out_features * 2,
            )
            # drawn in float64 (on the generator's device) so every dtype starts alike
            draw = _random.normal((out_features, in_features), generator)
            initial = (draw * std).to(device=device, dtype=dtype)
        else:
            if init_std is not None or generator is not None:
                raise ValueError("give either initial_weight or init_std/generator, not both")
            given = check_floating_tensor(
                "initial_weight", initial_weight, shape=(out_features, in_features)
            )
            dtype = given.dtype if dtype is None else check_dtype("dtype", dtype)
            initial = given.detach().to(device=device, dtype=dtype, copy=True)
        # Learned by plasticity, not by gradient: no autograd graph unless asked for.
        self.weight = nn.Parameter(initial, requires_grad=False)
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64, device=initial.device))

        state = rule.init_state(self.weight.detach())
        self._state_type: type = type(state)
        self._state_fields: tuple[str, ...] = tuple(getattr(state, "_fields", ()))
        if len(self._state_fields) != len(state):
            raise TypeError(
                f"rule {rule.name!r} must return its state as a NamedTuple of tensors, "
                f"got {type(state).__name__}"
            )
        for field, value in zip(self._state_fields, state, strict=True):
            self.register_buffer(_STATE_PREFIX + field, value.clone())

    # -- state ----------------------------------------------------------------------

    @property
    def rule_state(self) -> RuleState:
        """The rule's current state, rebuilt from the buffers (a NamedTuple)."""
        values = [getattr(self, _STATE_PREFIX + field) for field in self._state_fields]
        return self._state_type(*values)

    def reset_rule_state(self) -> None:
        """Reset the rule's state to ``rule.init_state(weight)`` and ``steps`` to 0."""
        with torch.no_grad():
            state = self.rule.init_state(self.weight.detach())
            for field, value in zip(self._state_fields, state, strict=True):
                getattr(self, _STATE_PREFIX + field).copy_(value)
            self.steps.zero_()

    # -- computation ----------------------------------------------------------------

    def _check_input(self, name: str, value: object, features: int) -> torch.Tensor:
        tensor = check_floating_tensor(name, value, shape=(None, features))
        if tensor.dtype != self.weight.dtype:
            raise TypeError(
                f"{name} must have the layer's dtype {self.weight.dtype}, got {tensor.dtype}"
            )
        if tensor.device != self.weight.device:
            raise ValueError(
                f"{name} must be on the layer's device {self.weight.device}, got {tensor.device}"
            )
        return tensor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the currents ``x @ W.T``, shape (B, out_features), for ``x`` (B, in_features)."""
        x = self._check_input("x", x, self.in_features)
        return x @ self.weight.T  # (B, N_pre) @ (N_pre, N_post) -> (B, N_post)

    def responses(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``activation(forward(x))``, the responses the rule sees, shape (B, out)."""
        currents = self.forward(x)
        return currents if self.activation is None else self.activation(currents)

    def plasticity_step(
        self,
        pre: torch.Tensor,
        post: torch.Tensor | None = None,
        *,
        learning_rate: float | None = None,
    ) -> torch.Tensor:
        r"""Apply one learning step :math:`W \leftarrow W + \eta\, \Delta W`.

        Parameters
        ----------
        pre : Tensor, shape (B, in_features)
            Presynaptic activity.
        post : Tensor, shape (B, out_features), optional
            Postsynaptic activity; by default :meth:`responses` of ``pre``.
        learning_rate : float, optional
            :math:`\eta` > 0 for this step (e.g. from a schedule); by default the
            layer's ``learning_rate``.

        Returns
        -------
        Tensor, shape (out_features, in_features)
            The weight change :math:`\Delta W` (without the learning rate), detached.

        Raises
        ------
        NonFiniteWeightsError
            If the new weights would hold NaN or infinity, naming the rule and the
            step ``steps + 1``. The weights, the rule state and ``steps`` are then left
            as they were before the call.
        """
        rate = (
            self.learning_rate
            if learning_rate is None
            else check_positive("learning_rate", learning_rate)
        )
        pre = self._check_input("pre", pre, self.in_features)
        with torch.no_grad():
            if post is None:
                post = self.responses(pre)
            else:
                post = self._check_input("post", post, self.out_features)
                if post.shape[0] != pre.shape[0]:
                    raise ValueError(
                        "pre and post must have the same batch size, got "
                        f"{tuple(pre.shape)} and {tuple(post.shape)}"
                    )
            weight = self.weight.detach()
            dw, new_state = self.rule.delta(pre, post, weight, self.rule_state)
            new_weight = weight + rate * dw
            check_finite_weights(new_weight, rule=self.rule.name, step=int(self.steps) + 1)
            self.weight.copy_(new_weight)
            for field, value in zip(self._state_fields, new_state, strict=True):
                getattr(self, _STATE_PREFIX + field).copy_(value)
            self.steps += 1
        return dw

    def fit_epoch(
        self,
        data: torch.Tensor,
        *,
        batch_size: int,
        generator: torch.Generator | None = None,
        learning_rate: float | None = None,
    ) -> int:
        r"""One pass over ``data``: a :meth:`plasticity_step` per shuffled mini-batch.

        The batches are :func:`shuffled_batches` of ``data`` (one permutation drawn
        from ``generator``); each step uses ``post`` = :meth:`responses` of its batch.

        Parameters
        ----------
        data : Tensor, shape (n, in_features)
            The samples, in the layer's dtype and on its device.
        batch_size : int
            Samples per step.
        generator : torch.Generator, optional
            Source of the shuffle.
        learning_rate : float, optional
            :math:`\eta` for every step of this epoch; by default the layer's.

        Returns
        -------
        int
            The steps made, ``ceil(n / batch_size)``.

        Raises
        ------
        NonFiniteWeightsError
            As :meth:`plasticity_step`; the steps before the failing one are kept.

        Examples
        --------
        >>> from hebbian.rules import Oja
        >>> g = torch.Generator().manual_seed(0)
        >>> layer = HebbianLinear(2, 1, Oja(), 0.05, generator=g)
        >>> layer.fit_epoch(torch.randn(100, 2, generator=g), batch_size=10, generator=g)
        10
        """
        data = self._check_input("data", data, self.in_features)
        batches = shuffled_batches(data, batch_size, generator)
        for batch in batches:
            self.plasticity_step(batch, learning_rate=learning_rate)
        return len(batches)

    def extra_repr(self) -> str:
        """The layer's sizes, rule, learning rate and activation, for ``repr``."""
        activation = getattr(self.activation, "__name__", repr(self.activation))
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"rule={self.rule!r}, learning_rate={self.learning_rate}, activation={activation}"
        )
