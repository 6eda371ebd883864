r"""Modules that hold weights and apply a local rule to them.

:class:`HebbianLinear` is the thin stateful wrapper around the pure rules of
:mod:`hebbian.rules` (DESIGN.md, habit 1): ``forward`` is an ordinary linear map,
and learning happens only in the explicit :meth:`HebbianLinear.plasticity_step`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from hebbian._checks import (
    check_finite_weights,
    check_floating_tensor,
    check_memory,
    check_positive,
    check_positive_int,
)
from hebbian.rules import LocalRule, RuleState

__all__ = ["HebbianLinear"]

_STATE_PREFIX = "rule_state_"


class HebbianLinear(nn.Module):
    r"""A bias-free linear layer whose weights learn with a local rule.

    ``forward`` computes the currents :math:`u = x W^\top`. :meth:`plasticity_step`
    computes the responses :math:`y = f(u)` (``f`` = ``activation``, identity when
    None), asks the rule for :math:`\Delta W` and applies

    .. math:: W \leftarrow W + \eta\, \Delta W

    with :math:`\eta` = ``learning_rate``. The rule's state (running means, BCM
    thresholds) lives in buffers named ``rule_state_<field>``, and the number of
    steps taken in the buffer ``steps``, so ``state_dict`` saves and restores both.

    Parameters
    ----------
    in_features : int
        ``N_pre``, the size of each input sample.
    out_features : int
        ``N_post``, the number of units.
    rule : LocalRule
        A rule object such as :class:`hebbian.rules.Oja` ``()``.
    learning_rate : float
        :math:`\eta` > 0.
    activation : callable, optional
        A plain function mapping the currents (B, N_post) to the responses used by the
        rule, e.g. :func:`hebbian.rules.winner_take_all` for competitive learning with
        :class:`hebbian.rules.Instar`. None (default) uses the currents themselves.
    init_std : float, optional
        Standard deviation of the Gaussian initial weights; default
        ``1 / sqrt(in_features)``, so each row has a norm close to 1.
    generator : torch.Generator, optional
        Source of randomness for the initial weights (reproducible initialisation
        without touching the global seed).
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
        std = 1.0 / math.sqrt(in_features) if init_std is None else init_std
        self.init_std = check_positive("init_std", std)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be a torch.Generator or None, got {type(generator).__name__}"
            )
        if dtype is None:
            dtype = torch.get_default_dtype()
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")

        check_memory(  # the float64 draw and the weights, before allocating either
            f"in_features={in_features}, out_features={out_features} (the weight matrix)",
            8 * in_features * out_features * 2,
        )
        gen_device = generator.device if generator is not None else torch.device("cpu")
        initial = torch.randn(
            out_features, in_features, generator=generator, device=gen_device, dtype=torch.float64
        )  # drawn in float64 so that every dtype starts from the same numbers
        initial = (initial * self.init_std).to(device=device, dtype=dtype)
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

    def plasticity_step(self, pre: torch.Tensor, post: torch.Tensor | None = None) -> torch.Tensor:
        r"""Apply one learning step :math:`W \leftarrow W + \eta\, \Delta W`.

        Parameters
        ----------
        pre : Tensor, shape (B, in_features)
            Presynaptic activity.
        post : Tensor, shape (B, out_features), optional
            Postsynaptic activity; by default :meth:`responses` of ``pre``.

        Returns
        -------
        Tensor, shape (out_features, in_features)
            The weight change :math:`\Delta W` (without the learning rate), detached.

        Raises
        ------
        NonFiniteWeightsError
            If the new weights would hold NaN or infinity. The weights, the rule state
            and ``steps`` are then left as they were before the call.
        """
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
            new_weight = weight + self.learning_rate * dw
            step = int(self.steps) + 1
            check_finite_weights(new_weight, rule=self.rule.name, step=step)
            self.weight.copy_(new_weight)
            for field, value in zip(self._state_fields, new_state, strict=True):
                getattr(self, _STATE_PREFIX + field).copy_(value)
            self.steps += 1
        return dw

    def extra_repr(self) -> str:
        activation = getattr(self.activation, "__name__", repr(self.activation))
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"rule={self.rule!r}, learning_rate={self.learning_rate}, activation={activation}"
        )
