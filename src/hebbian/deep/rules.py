r"""Plasticity rules of deep Hebbian networks, as pure functions returning the weight change.

Three competitive rules share one convention, so that one architecture can be trained
by each and compared:

* ``inputs`` ``x`` has shape ``(M, N)``: ``M`` samples of ``N`` inputs. For a
  convolution, ``M`` counts every (image, position) pair and ``N = C kh kw`` the
  entries of one patch (:func:`unfold_patches`);
* ``weight`` ``W`` has shape ``(H, N)``, one row per unit (output channel), so the
  pre-activations are :math:`u = x W^\top`;
* every rule returns the change **summed over the M samples** and without the learning
  rate, so that changes computed on several batches (or processes) add up exactly to
  the change of their union; :class:`~hebbian.deep.layers.HebbianConv2d` divides by
  the number of samples and applies the rule's own step.

The rules:

* **SoftHebb** (Journé, Garcia Rodriguez, Guo & Moraitis, "Hebbian deep learning
  without feedback", ICLR 2023, arXiv:2209.11883; Moraitis et al. 2022, Neuromorph.
  Comput. Eng. 2 044017): soft competition :math:`y = \operatorname{softmax}(u / T)`
  across units, and

  .. math:: \Delta w_{k} = \sum_m y_{mk}\,(x_m - u_{mk} w_k),

  with the sign of :math:`y` flipped for every unit but the winner (the paper's soft
  anti-Hebbian plasticity, :func:`soft_competition`), applied with a learning rate
  that depends on each unit's weight norm (:func:`norm_dependent_rates`);
* **hard winner-take-all**: the instar rule :math:`\Delta w_k = \sum_m y_{mk}(x_m - w_k)`
  with :math:`y` the indicator of the ``k`` strongest units (:func:`top_k_mask`);
* **Krotov-Hopfield** (:mod:`hebbian.competing.rule`, whose maths is reused here).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

import torch

from hebbian._checks import (
    check_bool,
    check_floating_tensor,
    check_positive,
    check_positive_int,
)
from hebbian.competing.params import check_exponent
from hebbian.competing.rule import check_inputs_weight, competing_update, normalised_increment

__all__ = [
    "DeepRule",
    "HardWTA",
    "KrotovHopfield",
    "RuleKind",
    "SoftHebb",
    "hard_wta_update",
    "norm_dependent_rates",
    "soft_competition",
    "softhebb_update",
    "top_k_mask",
    "triangle",
    "unfold_patches",
    "weight_norms",
]


def soft_competition(
    currents: torch.Tensor, temperature: float, *, anti_hebbian: bool = True
) -> torch.Tensor:
    r"""SoftHebb's post-synaptic activity: a softmax across units, losers made anti-Hebbian.

    .. math:: y_{mk} = s_k\,\frac{e^{u_{mk}/T}}{\sum_j e^{u_{mj}/T}}, \qquad
              s_k = \begin{cases} +1 & k = \arg\max_j u_{mj} \\
                                  -1 & \text{otherwise (if anti-Hebbian)} \end{cases}

    The winner is the first index of the row's largest current (:func:`torch.argmax`
    returns the first of equal maxima), so ties are decided the same way on every
    device.

    Parameters
    ----------
    currents : Tensor, shape (M, H)
        Pre-activations ``u``.
    temperature : float
        :math:`T` > 0; small ``T`` approaches a hard winner-take-all.
    anti_hebbian : bool
        Flip the sign of every unit but the winner (the paper's rule); False keeps the
        plain softmax.

    Returns
    -------
    Tensor, shape (M, H)

    Examples
    --------
    >>> soft_competition(torch.tensor([[0.0, 0.0, 1.0]]), 1.0, anti_hebbian=False).sum()
    tensor(1.)
    >>> soft_competition(torch.tensor([[2.0, 0.0]]), 1.0)
    tensor([[ 0.8808, -0.1192]])
    """
    currents = check_floating_tensor("currents", currents, ndim=2)
    temperature = check_positive("temperature", temperature)
    check_bool("anti_hebbian", anti_hebbian)
    y = torch.softmax(currents / temperature, dim=1)  # (M, H)
    if not anti_hebbian:
        return y
    winners = currents.argmax(dim=1, keepdim=True)  # (M, 1), first of equal maxima
    units = torch.arange(currents.shape[1], device=currents.device)[None, :]  # (1, H)
    return torch.where(units == winners, y, -y)


def softhebb_update(
    inputs: torch.Tensor, weight: torch.Tensor, temperature: float, *, anti_hebbian: bool = True
) -> torch.Tensor:
    r"""The SoftHebb change summed over samples, :math:`\sum_m y_{mk}(x_m - u_{mk} w_k)`.

    With :math:`u = x W^\top` and :math:`y` from :func:`soft_competition`. Computed as
    two matrix products, :math:`y^\top x - \operatorname{diag}(\sum_m y_{mk} u_{mk}) W`.

    Parameters
    ----------
    inputs : Tensor, shape (M, N)
    weight : Tensor, shape (H, N)
    temperature : float
        :math:`T` > 0.
    anti_hebbian : bool
        As in :func:`soft_competition`.

    Returns
    -------
    Tensor, shape (H, N)

    Examples
    --------
    With one unit the softmax is 1 and the change is Oja's,
    :math:`u\,(x - u w)` with :math:`u = w \cdot x`:

    >>> softhebb_update(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0]]), 1.0)
    tensor([[0., 2.]])
    """
    inputs, weight = check_inputs_weight(inputs, weight)
    currents = inputs @ weight.T  # (M, N) @ (N, H) -> (M, H)
    y = soft_competition(currents, temperature, anti_hebbian=anti_hebbian)  # (M, H)
    return y.T @ inputs - (y * currents).sum(dim=0)[:, None] * weight  # (H, N)


def top_k_mask(currents: torch.Tensor, k: int) -> torch.Tensor:
    r"""The indicator of each row's ``k`` strongest units, ties to the lower index.

    All currents strictly above the k-th largest value :math:`c_{(k)}` are chosen,
    then the first (in index order) of those equal to :math:`c_{(k)}` until ``k`` are
    chosen: the first ``k`` entries of a stable descending sort, found with exact
    comparisons and counts (no host reads), so the same on every device.

    Parameters
    ----------
    currents : Tensor, shape (M, H)
    k : int
        1 <= k <= H.

    Returns
    -------
    Tensor, shape (M, H)
        0 and 1 in the dtype of ``currents``, ``k`` ones per row.

    Examples
    --------
    >>> top_k_mask(torch.tensor([[1.0, 3.0, 3.0, 3.0]]), 2)
    tensor([[0., 1., 1., 0.]])
    """
    currents = check_floating_tensor("currents", currents, ndim=2)
    k = check_positive_int("k", k)
    if k > currents.shape[1]:
        raise ValueError(f"k must be at most the number of units {currents.shape[1]}, got {k}")
    kth = torch.topk(currents, k, dim=1).values[:, k - 1 :]  # (M, 1): c_(k)
    above = currents > kth  # (M, H)
    equal = currents == kth
    wanted = k - above.sum(dim=1, keepdim=True)  # (M, 1) >= 1 entries equal to c_(k)
    chosen = above | (equal & (equal.cumsum(dim=1) <= wanted))
    return chosen.to(currents.dtype)


def hard_wta_update(inputs: torch.Tensor, weight: torch.Tensor, k: int = 1) -> torch.Tensor:
    r"""The instar change of the ``k`` winners, :math:`\sum_m y_{mk}(x_m - w_k)`.

    :math:`y` is :func:`top_k_mask` of the currents :math:`u = x W^\top`; each winner
    moves towards the input (Grossberg's instar, :func:`hebbian.rules.instar`, with a
    k-winner-take-all), so each unit's weights tend to the mean of the inputs it wins.

    Parameters
    ----------
    inputs : Tensor, shape (M, N)
    weight : Tensor, shape (H, N)
    k : int
        Winners per sample, 1 <= k <= H.

    Returns
    -------
    Tensor, shape (H, N)

    Examples
    --------
    >>> hard_wta_update(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5], [0.0, 1.0]]))
    tensor([[ 0.5000, -0.5000],
            [ 0.0000,  0.0000]])
    """
    inputs, weight = check_inputs_weight(inputs, weight)
    y = top_k_mask(inputs @ weight.T, k)  # (M, H)
    return y.T @ inputs - y.sum(dim=0)[:, None] * weight  # (H, N)


def weight_norms(weight: torch.Tensor) -> torch.Tensor:
    r"""Each unit's Euclidean weight norm :math:`r_k = \lVert w_k \rVert_2`, shape (H,).

    ``weight`` is ``(H, N)`` or a convolution's ``(H, C, kh, kw)``.

    Examples
    --------
    >>> weight_norms(torch.tensor([[3.0, 4.0], [0.0, 1.0]]))
    tensor([5., 1.])
    """
    weight = check_floating_tensor("weight", weight)
    if weight.ndim < 2:
        raise ValueError(f"weight must be (H, N) or (H, C, kh, kw), got {tuple(weight.shape)}")
    return weight.reshape(weight.shape[0], -1).norm(dim=1)


def norm_dependent_rates(weight: torch.Tensor, learning_rate: float, power: float) -> torch.Tensor:
    r"""SoftHebb's per-unit learning rates :math:`\eta_k = \eta\,|r_k - 1|^{q}`.

    :math:`r_k` is the unit's weight norm (:func:`weight_norms`). The rate vanishes as
    the unit reaches the rule's fixed point, the unit sphere (for :math:`y_k u_k > 0`
    the change satisfies :math:`w_k \cdot \Delta w_k = y_k u_k (1 - r_k^2)`), and is
    large far from it, so units converge fast and then stop moving.

    Parameters
    ----------
    weight : Tensor, shape (H, N) or (H, C, kh, kw)
    learning_rate : float
        :math:`\eta` > 0.
    power : float
        :math:`q` >= 0 (0 gives the plain rate :math:`\eta` for every unit).

    Returns
    -------
    Tensor, shape (H,)
        Dtype and device of ``weight``.

    Examples
    --------
    >>> norm_dependent_rates(torch.tensor([[3.0, 4.0], [0.0, 1.0]]), 0.1, 0.5)
    tensor([0.2000, 0.0000])
    """
    learning_rate = check_positive("learning_rate", learning_rate)
    power = check_positive("power", power, allow_zero=True)
    distance = (weight_norms(weight) - 1.0).abs()  # (H,)
    return learning_rate * distance.pow(power)


def triangle(currents: torch.Tensor, power: float = 1.0) -> torch.Tensor:
    r"""The triangle activation :math:`h_k = \max(0,\, u_k - \bar u)^{p}` (mean :math:`\bar u`).

    The mean is taken over dimension 1 (the units, or a convolution's channels at each
    position), so about half the units pass, each by how far it exceeds the average
    (Coates, Lee & Ng 2011's "triangle" k-means encoding, used by SoftHebb for the
    forward pass to the next layer, with a power per layer).

    Parameters
    ----------
    currents : Tensor, shape (B, H, ...)
    power : float
        :math:`p` > 0.

    Returns
    -------
    Tensor, shape of ``currents``

    Examples
    --------
    >>> triangle(torch.tensor([[1.0, 2.0, 6.0]]))
    tensor([[0., 0., 3.]])
    """
    currents = check_floating_tensor("currents", currents)
    if currents.ndim < 2:
        raise ValueError(f"currents must be (B, H, ...), got shape {tuple(currents.shape)}")
    power = check_positive("power", power)
    shifted = torch.relu(currents - currents.mean(dim=1, keepdim=True))
    return shifted if power == 1.0 else shifted.pow(power)


def unfold_patches(
    images: torch.Tensor,
    kernel_size: tuple[int, int],
    *,
    stride: tuple[int, int] = (1, 1),
    padding: tuple[int, int] = (0, 0),
    dilation: tuple[int, int] = (1, 1),
) -> torch.Tensor:
    r"""Every patch a convolution sees, one a row: shape ``(B L, C kh kw)``.

    Rows are ordered by image, then by output position (row-major), so that
    ``patches @ weight.reshape(H, -1).T`` reshaped to ``(B, L, H)`` and permuted is the
    convolution ``F.conv2d(images, weight, ...)``; the entries of a row are ordered as
    a flattened ``(C, kh, kw)`` kernel. Zero padding.

    Parameters
    ----------
    images : Tensor, shape (B, C, H_in, W_in)
    kernel_size, stride, padding, dilation : (int, int)
        As for :func:`torch.nn.functional.conv2d`.

    Returns
    -------
    Tensor, shape (B * L, C * kh * kw)
        ``L`` = the number of output positions.

    Examples
    --------
    >>> unfold_patches(torch.arange(9.0).reshape(1, 1, 3, 3), (2, 2))
    tensor([[0., 1., 3., 4.],
            [1., 2., 4., 5.],
            [3., 4., 6., 7.],
            [4., 5., 7., 8.]])
    """
    images = check_floating_tensor("images", images, ndim=4)
    columns = torch.nn.functional.unfold(
        images, kernel_size, dilation=dilation, padding=padding, stride=stride
    )  # (B, C kh kw, L)
    return columns.transpose(1, 2).reshape(-1, columns.shape[1])


# --------------------------------------------------------------------------- rule objects


@dataclass(frozen=True)
class SoftHebb:
    r"""SoftHebb as a layer holds it: the change and its norm-dependent step.

    The change is :func:`softhebb_update`; the applied step of unit :math:`k` is
    :math:`\eta_k \langle \Delta w_k \rangle` with :math:`\eta_k` from
    :func:`norm_dependent_rates` and :math:`\langle\cdot\rangle` the mean over samples.

    Attributes
    ----------
    temperature : float
        :math:`T` > 0 of the softmax.
    anti_hebbian : bool
        Flip the losers' sign (the paper's rule; default True).
    norm_power : float
        :math:`q` >= 0 of the rate :math:`\eta |r_k - 1|^q`; 0 gives a plain rate.
    normalise : bool
        Divide the mean change by its largest magnitude before the rates (as Krotov &
        Hopfield's loop does), so that :math:`\eta_k` bounds every entry's step
        whatever the scale of the inputs; False (default) applies the mean change as
        the paper's equation writes it.

    Examples
    --------
    >>> rule = SoftHebb(temperature=0.5)
    >>> rule.change(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0]]))
    tensor([[0., 2.]])
    """

    temperature: float = 1.0
    anti_hebbian: bool = True
    norm_power: float = 0.5
    normalise: bool = False
    name: ClassVar[str] = "softhebb"

    def __post_init__(self) -> None:
        check_positive("temperature", self.temperature)
        check_bool("anti_hebbian", self.anti_hebbian)
        check_positive("norm_power", self.norm_power, allow_zero=True)
        check_bool("normalise", self.normalise)

    def change(self, inputs: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """The change summed over the rows of ``inputs`` (M, N), for ``weight`` (H, N)."""
        return softhebb_update(inputs, weight, self.temperature, anti_hebbian=self.anti_hebbian)

    def step(self, weight: torch.Tensor, mean_change: torch.Tensor, rate: float) -> torch.Tensor:
        """The increment for ``weight`` (H, N) from the mean change (H, N) at base ``rate``."""
        if self.normalise:  # the largest entry of the change becomes 1
            mean_change = normalised_increment(mean_change, 1.0)
        return norm_dependent_rates(weight, rate, self.norm_power)[:, None] * mean_change


@dataclass(frozen=True)
class HardWTA:
    r"""Instar with a k-winner-take-all (:func:`hard_wta_update`), plain rate :math:`\eta`.

    Attributes
    ----------
    k : int
        Winners per sample, >= 1.

    Examples
    --------
    >>> HardWTA().change(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0]]))
    tensor([[1., 0.]])
    """

    k: int = 1
    name: ClassVar[str] = "hard-wta"

    def __post_init__(self) -> None:
        check_positive_int("k", self.k)

    def change(self, inputs: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """The change summed over the rows of ``inputs`` (M, N), for ``weight`` (H, N)."""
        return hard_wta_update(inputs, weight, self.k)

    def step(self, weight: torch.Tensor, mean_change: torch.Tensor, rate: float) -> torch.Tensor:
        """The increment ``rate * mean_change``."""
        return check_positive("rate", rate) * mean_change


@dataclass(frozen=True)
class KrotovHopfield:
    r"""Krotov & Hopfield's rule (:func:`hebbian.competing.rule.competing_update`) on patches.

    The step is the change normalised by its largest magnitude times the rate
    (:func:`hebbian.competing.rule.normalised_increment`), as in the authors' loop.

    Attributes
    ----------
    p : float
        Exponent of the metric, >= 1.
    k : int
        Rank of the anti-Hebbian unit, >= 2.
    delta : float
        Anti-Hebbian strength :math:`\Delta` >= 0.

    Examples
    --------
    >>> w = torch.tensor([[1.0, 1.0], [0.5, 0.0], [0.0, 1.0]])
    >>> KrotovHopfield(p=2.0, k=2, delta=0.5).change(torch.tensor([[1.0, 0.0]]), w)
    tensor([[ 0.0000, -1.0000],
            [-0.3750,  0.0000],
            [ 0.0000,  0.0000]])
    """

    p: float = 3.0
    k: int = 2
    delta: float = 0.4
    name: ClassVar[str] = "krotov"

    def __post_init__(self) -> None:
        check_exponent(self.p)
        check_positive_int("k", self.k, minimum=2)
        check_positive("delta", self.delta, allow_zero=True)

    def change(self, inputs: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """The change summed over the rows of ``inputs`` (M, N), for ``weight`` (H, N)."""
        return competing_update(inputs, weight, p=self.p, k=self.k, delta=self.delta)

    def step(self, weight: torch.Tensor, mean_change: torch.Tensor, rate: float) -> torch.Tensor:
        """The increment ``rate * mean_change / max |mean_change|``."""
        return normalised_increment(mean_change, rate)


#: The rules a deep Hebbian layer can hold.
DeepRule = SoftHebb | HardWTA | KrotovHopfield


class RuleKind(enum.Enum):
    """The competitive rules by name (recipes' settings name them so).

    >>> RuleKind("hard-wta").label
    'hard winner-take-all'
    """

    SOFTHEBB = "softhebb"
    HARD_WTA = "hard-wta"
    KROTOV = "krotov"

    @property
    def label(self) -> str:
        """The rule's name in figures and reports."""
        return _RULE_LABELS[self]


_RULE_LABELS = {
    RuleKind.SOFTHEBB: "SoftHebb",
    RuleKind.HARD_WTA: "hard winner-take-all",
    RuleKind.KROTOV: "Krotov-Hopfield",
}
