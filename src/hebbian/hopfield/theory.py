r"""Capacity theory of binary Hopfield memories, and the reading of measured curves.

Closed-form predictions the capacity recipes compare with:

* the classical network with Hebbian weights (N neurons, P random ±1 patterns, load
  :math:`\alpha = P / N`): the fraction of stored patterns that are fixed points under
  Gaussian crosstalk (:func:`hebb_stable_fraction`, :func:`hebb_alpha_at_level`), the
  perfect-recall loads of McEliece et al. (1987) (:func:`hebb_all_fixed_alpha`,
  :func:`hebb_most_fixed_alpha`), Storkey's (1997) :func:`storkey_alpha`, and the
  replica-symmetric retrieval overlap of Amit, Gutfreund & Sompolinsky (1987)
  (:func:`retrieval_overlap`), which vanishes at :math:`\alpha_c \approx 0.138`;
* the dense associative memory :math:`E = -\sum_\mu (\xi_\mu \cdot \sigma)^n` of Krotov &
  Hopfield (2016): :func:`dense_capacity_theory`, :func:`dense_capacity_at_level` and
  :func:`dense_fixed_fraction_at_capacity`;
* where a measured curve crosses a level (:func:`crossing`) or what it reads at a point
  in log scale (:func:`interpolate_log`).

Every function takes and returns plain Python numbers.
"""

from __future__ import annotations

import math

from hebbian._checks import check_positive

__all__ = [
    "crossing",
    "dense_capacity_at_level",
    "dense_capacity_theory",
    "dense_fixed_fraction_at_capacity",
    "hebb_all_fixed_alpha",
    "hebb_alpha_at_level",
    "hebb_most_fixed_alpha",
    "hebb_stable_fraction",
    "interpolate_log",
    "retrieval_overlap",
    "storkey_alpha",
]


def retrieval_overlap(alpha: float, iterations: int = 5000) -> float:
    r"""Overlap of the retrieval state of a Hebbian network at load ``alpha``, T = 0.

    Replica-symmetric theory of Amit, Gutfreund & Sompolinsky (1987): the solution of

    .. math::

        m = \operatorname{erf}\!\Big(\frac{m}{\sqrt{2 \alpha r}}\Big), \quad
        C = \sqrt{\frac{2}{\pi \alpha r}} \, e^{-m^2 / (2 \alpha r)}, \quad
        r = \frac{1}{(1 - C)^2}

    reached by iterating from ``m = 1``; it is 0 above :math:`\alpha_c \approx 0.138`,
    where the retrieval state disappears (there it jumps from about 0.97).

    Parameters
    ----------
    alpha : float
        Load :math:`P / N`, > 0.
    iterations : int, default 5000
        Most fixed-point iterations.

    Returns
    -------
    float
        The overlap :math:`m` in [0, 1].

    Examples
    --------
    >>> round(retrieval_overlap(0.1), 4), retrieval_overlap(0.2)
    (0.998, 0.0)
    """
    check_positive("alpha", alpha)
    m, c = 1.0, 0.0
    for _ in range(iterations):
        r = 1.0 / (1.0 - c) ** 2
        new_m = math.erf(m / math.sqrt(2.0 * alpha * r))
        c = math.sqrt(2.0 / (math.pi * alpha * r)) * math.exp(-(m * m) / (2.0 * alpha * r))
        if c >= 1.0 or new_m < 1e-6:
            return 0.0
        if abs(new_m - m) < 1e-13:
            return new_m
        m = new_m
    return m


def hebb_stable_fraction(count: float, n: int) -> float:
    r"""Fraction of ``count`` Hebbian patterns of ``n`` bits that are fixed points (Gaussian).

    Bit i of pattern :math:`\nu` sees the signal :math:`(N - 1) / N` and a crosstalk that
    is a sum of :math:`(P - 1)(N - 1)` random ±1 terms over N; it flips with probability
    :math:`P_e = \tfrac12 \operatorname{erfc}\big(\sqrt{(N - 1) / (2 (P - 1))}\big)`, which
    tends to :math:`\tfrac12 \operatorname{erfc}(1 / \sqrt{2 \alpha})`. Treating the N
    bits as independent, a pattern is a fixed point with probability :math:`(1 - P_e)^N`;
    a pattern is recalled exactly from itself exactly when it is a fixed point
    (McEliece et al. 1987).

    Parameters
    ----------
    count : float
        Number of stored patterns P (a real number is interpolated).
    n : int
        Number of neurons N.

    Returns
    -------
    float
        :math:`(1 - P_e)^N`, and 1 for :math:`P \le 1`.

    Examples
    --------
    >>> round(hebb_stable_fraction(50, 1000), 3), round(hebb_stable_fraction(140, 1000), 3)
    (0.997, 0.025)
    """
    if count <= 1:
        return 1.0
    error = 0.5 * math.erfc(math.sqrt((n - 1) / (2.0 * (count - 1))))
    return (1.0 - error) ** n


def _erfc_inverse(y: float) -> float:
    """``x`` with ``erfc(x) = y`` for ``y`` in (0, 1], by bisection on [0, 30]."""
    low, high = 0.0, 30.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if math.erfc(middle) > y else (low, middle)
    return 0.5 * (low + high)


def _margin_at_level(n_neurons: int, level: float) -> float:
    r"""Signal-to-noise ``x`` at which a pattern of N bits is stable with probability ``level``.

    Each bit flips with probability :math:`P_e = \tfrac12 \operatorname{erfc}(x)`;
    treating the bits as independent, :math:`(1 - P_e)^N = \text{level}`.
    """
    return _erfc_inverse(2.0 * (1.0 - level ** (1.0 / n_neurons)))


def hebb_alpha_at_level(n_neurons: int, level: float = 0.5) -> float:
    r"""Load :math:`\alpha = P / N` at which :func:`hebb_stable_fraction` equals ``level``.

    Solves :math:`\sqrt{(N - 1) / (2 (P - 1))} = x` for P, with ``x`` from
    :math:`(1 - \tfrac12\operatorname{erfc}(x))^N = \text{level}`.

    Parameters
    ----------
    n_neurons : int
        Number of neurons N.
    level : float, default 0.5
        Fraction of the patterns that are fixed points, in (0, 1).

    Returns
    -------
    float
        The load :math:`\alpha`.

    Examples
    --------
    >>> round(hebb_alpha_at_level(200), 3)
    0.141
    >>> round(hebb_stable_fraction(hebb_alpha_at_level(200) * 200, 200), 6)
    0.5
    """
    x = _margin_at_level(n_neurons, level)
    return (1.0 + (n_neurons - 1) / (2.0 * x * x)) / n_neurons


def hebb_all_fixed_alpha(n_neurons: int) -> float:
    r"""Load :math:`1 / (4 \ln N)` below which all Hebbian patterns are fixed points.

    McEliece et al. (1987): with high probability every one of :math:`P = N / (4 \ln N)`
    random patterns is a fixed point, as :math:`N \to \infty`.

    Parameters
    ----------
    n_neurons : int
        Number of neurons N (> 1).

    Returns
    -------
    float
        The load :math:`\alpha = P / N`.

    Examples
    --------
    >>> round(hebb_all_fixed_alpha(1000), 4)
    0.0362
    """
    return 1 / (4 * math.log(n_neurons))


def hebb_most_fixed_alpha(n_neurons: int) -> float:
    r"""Load :math:`1 / (2 \ln N)` below which most Hebbian patterns are fixed points.

    McEliece et al. (1987): the capacity when a vanishing fraction of the patterns may
    fail.

    Parameters
    ----------
    n_neurons : int
        Number of neurons N (> 1).

    Returns
    -------
    float
        The load :math:`\alpha = P / N`.

    Examples
    --------
    >>> round(hebb_most_fixed_alpha(1000), 4)
    0.0724
    """
    return 1 / (2 * math.log(n_neurons))


def storkey_alpha(n_neurons: int) -> float:
    r"""Load :math:`1 / \sqrt{2 \ln N}` up to which Storkey's rule stores its patterns.

    Storkey (1997): the incremental rule stores :math:`N / \sqrt{2 \ln N}` patterns as
    fixed points.

    Parameters
    ----------
    n_neurons : int
        Number of neurons N (> 1).

    Returns
    -------
    float
        The load :math:`\alpha = P / N`.

    Examples
    --------
    >>> round(storkey_alpha(200), 3)
    0.307
    """
    return 1 / math.sqrt(2 * math.log(n_neurons))


def dense_capacity_theory(n_neurons: int, degree: int) -> float:
    r"""Krotov & Hopfield's (2016) capacity of :math:`F(x) = x^n`, no errors allowed.

    .. math:: K_n = \frac{N^{n-1}}{2 (2n - 3)!! \ln N}

    (signal-to-noise argument: crosstalk variance :math:`K (2n-3)!! N^{n-1}` against a
    signal :math:`N^{n-1}`, with :math:`\sqrt{2 \ln N}` standard deviations of margin). For
    n = 2 it is the classical :math:`N / (2 \ln N)`.

    Parameters
    ----------
    n_neurons : int
        Number of neurons N.
    degree : int
        Interaction order n >= 2.

    Returns
    -------
    float
        The number of patterns :math:`K_n`.

    Examples
    --------
    >>> round(dense_capacity_theory(100, 2), 2), round(dense_capacity_theory(100, 3), 1)
    (10.86, 361.9)
    """
    double_factorial = math.prod(range(2 * degree - 3, 0, -2))
    return n_neurons ** (degree - 1) / (2.0 * double_factorial * math.log(n_neurons))


def dense_capacity_at_level(n_neurons: int, degree: int, level: float = 0.5) -> float:
    r"""Number of patterns of :math:`F(x) = x^n` of which a fraction ``level`` are fixed points.

    Krotov & Hopfield's (2016) signal-to-noise argument: a bit flips with probability
    :math:`P_e = \tfrac12 \operatorname{erfc}\big(\sqrt{N^{n-1} / (2 (2n-3)!! K)}\big)`
    (Gaussian crosstalk), so with :math:`(1 - P_e)^N = \text{level}`,

    .. math:: K_{\text{level}} = \frac{N^{n-1}}{2 (2n-3)!! \, x^2}, \qquad
              \tfrac12 \operatorname{erfc}(x) = 1 - \text{level}^{1/N} .

    :func:`dense_capacity_theory` puts :math:`x^2 = \ln N` instead (no errors allowed),
    so the ratio of the two is :math:`\ln N / x^2`, about 1.69 at N = 32, level 1/2.

    Parameters
    ----------
    n_neurons : int
        Number of neurons N.
    degree : int
        Interaction order n >= 2.
    level : float, default 0.5
        Fraction of the patterns that are fixed points, in (0, 1).

    Returns
    -------
    float
        The number of patterns :math:`K_{\text{level}}`.

    Examples
    --------
    >>> round(dense_capacity_at_level(32, 2) / dense_capacity_theory(32, 2), 2)
    1.69
    """
    x = _margin_at_level(n_neurons, level)
    return dense_capacity_theory(n_neurons, degree) * math.log(n_neurons) / (x * x)


def dense_fixed_fraction_at_capacity(n_neurons: int) -> float:
    r"""Fraction of patterns that are fixed points at :math:`P = K_n` (Gaussian crosstalk).

    At :math:`K_n` (:func:`dense_capacity_theory`) each bit flips with probability
    :math:`P_e = \tfrac12 \operatorname{erfc}(\sqrt{\ln N})` whatever the order n, so the
    fraction is :math:`(1 - P_e)^N` (Krotov & Hopfield 2016).

    Parameters
    ----------
    n_neurons : int
        Number of neurons N.

    Returns
    -------
    float
        :math:`(1 - P_e)^N`.

    Examples
    --------
    >>> round(dense_fixed_fraction_at_capacity(32), 3)
    0.873
    """
    error = 0.5 * math.erfc(math.sqrt(math.log(n_neurons)))
    return (1.0 - error) ** n_neurons


def crossing(
    xs: list[float], ys: list[float], level: float, *, log_x: bool = False
) -> float | None:
    """First ``x`` where ``ys`` falls below ``level`` (linear interpolation), else None.

    Parameters
    ----------
    xs, ys : list of float
        A measured curve, ``xs`` increasing.
    level : float
        The level to cross.
    log_x : bool, default False
        Interpolate in ``log x``.

    Returns
    -------
    float or None
        The crossing; ``xs[0]`` if ``ys[0]`` is already below, None if ``ys`` never is.

    Examples
    --------
    >>> crossing([1.0, 2.0, 3.0], [1.0, 0.8, 0.2], 0.5)
    2.5
    """
    for i, y in enumerate(ys):
        if y < level:
            if i == 0:
                return xs[0]
            x0, x1, y0 = xs[i - 1], xs[i], ys[i - 1]
            t = (y0 - level) / (y0 - y)
            if log_x:
                return math.exp(math.log(x0) + t * (math.log(x1) - math.log(x0)))
            return x0 + t * (x1 - x0)
    return None


def interpolate_log(counts: list[int], values: list[float], at: float) -> float | None:
    """``values`` measured at ``counts``, interpolated at ``at`` linearly in log count.

    Parameters
    ----------
    counts : list of int
        Increasing positive abscissae (e.g. numbers of stored patterns).
    values : list of float
        The measurements, one per count.
    at : float
        Where to read the curve, > 0.

    Returns
    -------
    float or None
        The interpolated value, or None outside ``[counts[0], counts[-1]]``.

    Examples
    --------
    >>> interpolate_log([1, 100], [1.0, 0.0], 10.0)
    0.5
    """
    logs = [math.log(c) for c in counts]
    x = math.log(at)
    for i in range(1, len(logs)):
        if logs[i - 1] <= x <= logs[i]:
            t = (x - logs[i - 1]) / (logs[i] - logs[i - 1])
            return values[i - 1] + t * (values[i] - values[i - 1])
    return None
