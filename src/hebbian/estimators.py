r"""scikit-learn style estimators for the PCA-like Hebbian rules.

:class:`OjaPCA` learns the first principal component with Oja's rule and
:class:`SangerPCA` the leading ``n_components`` with Sanger's generalized Hebbian
algorithm, by mini-batch passes over the data. They follow scikit-learn's manners
(docs/ARCHITECTURE.md): the constructor only stores its keyword arguments, ``fit``
checks them, starts afresh and returns ``self``, ``partial_fit`` continues with one
more pass, and learned attributes end in ``_``. The passes are those of
:meth:`hebbian.layers.HebbianLinear.fit_epoch`, the library's one rule-application
path. They accept numpy arrays and torch tensors, and work
inside :class:`sklearn.pipeline.Pipeline`.

The rules are stable only while ``learning_rate * lambda_1 < 1`` (``lambda_1`` the
largest variance of the data), so standardise large-valued data first, e.g. with
:class:`sklearn.preprocessing.StandardScaler`. Weights that become NaN or infinite stop
training with :class:`hebbian._checks.NonFiniteWeightsError` naming the rule and the
step.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from hebbian import _random
from hebbian._checks import check_bool, check_positive, check_positive_int
from hebbian._sklearn import TorchInputMixin, generator_from_random_state, to_numpy
from hebbian.layers import HebbianLinear
from hebbian.rules import LocalRule, Oja, Sanger

__all__ = ["OjaPCA", "SangerPCA"]


class _HebbianPCA(
    TorchInputMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Shared fitting loop of :class:`OjaPCA` and :class:`SangerPCA`.

    Subclasses set ``_rule`` (a rule object of :mod:`hebbian.rules`) and store the
    hyperparameters below.
    """

    _rule: ClassVar[LocalRule]

    learning_rate: float
    learning_rate_decay: float
    n_epochs: int
    batch_size: int
    center: bool
    random_state: Any
    device: Any

    # -- hyperparameters ----------------------------------------------------------

    def _wanted_components(self) -> int:
        raise NotImplementedError

    def _check_params(self, n_features: int) -> int:
        """Check every hyperparameter (at fit, never in ``__init__``); return n_components."""
        check_positive("learning_rate", self.learning_rate)
        check_positive("learning_rate_decay", self.learning_rate_decay, allow_zero=True)
        check_positive_int("n_epochs", self.n_epochs)
        check_positive_int("batch_size", self.batch_size)
        center = self.center
        check_bool("center", bool(center) if isinstance(center, np.bool_) else center)
        n_components = self._wanted_components()
        if n_components > n_features:
            raise ValueError(
                f"n_components must be <= n_features = {n_features}, got {n_components}"
            )
        return n_components

    @property
    def _n_features_out(self) -> int:
        return int(self.n_components_)

    # -- fitting ------------------------------------------------------------------

    def _reset(self, X: np.ndarray) -> torch.Generator:
        """Set every learned attribute to its initial value, for ``n_features`` inputs."""
        n_features = X.shape[1]
        n_components = self._check_params(n_features)
        self._device()
        generator = generator_from_random_state(self.random_state)
        initial = _random.normal((n_components, n_features), generator)  # float64
        self.components_ = (initial / np.sqrt(n_features)).numpy().astype(X.dtype)
        self.mean_ = np.zeros(n_features, dtype=X.dtype)
        self.n_components_ = n_components
        self.n_samples_seen_ = 0
        self.n_iter_ = 0
        self.n_steps_ = 0
        return generator

    def _update_mean(self, X: np.ndarray) -> None:
        """Fold ``X`` into the running mean of all samples seen (zero without centring)."""
        n_samples = X.shape[0]
        total = self.n_samples_seen_ + n_samples
        if self.center:
            self.mean_ = (self.mean_ * (self.n_samples_seen_ / total)) + X.sum(axis=0) / total
            self.mean_ = self.mean_.astype(X.dtype, copy=False)
        self.n_samples_seen_ = total

    def _epochs(self, X: np.ndarray, n_epochs: int, generator: torch.Generator) -> None:
        """Run ``n_epochs`` shuffled mini-batch passes of the rule over ``X``.

        The rate of epoch ``e`` is ``learning_rate / (1 + learning_rate_decay * e)``.
        """
        device = self._device()
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        data = torch.as_tensor(X - self.mean_, dtype=dtype).to(device)  # (n, N_pre)
        layer = HebbianLinear(
            X.shape[1], self.n_components_, type(self)._rule, self.learning_rate,
            initial_weight=torch.as_tensor(self.components_, dtype=dtype).to(device),
        )  # fmt: skip
        layer.steps.fill_(self.n_steps_)  # so that a failure names the estimator's step
        try:
            for _ in range(n_epochs):
                rate = self.learning_rate / (1.0 + self.learning_rate_decay * self.n_iter_)
                layer.fit_epoch(
                    data, batch_size=self.batch_size, generator=generator, learning_rate=rate
                )
                self.n_iter_ += 1
        finally:
            # The layer keeps the last finite weights, so a failure leaves a usable estimator.
            self.components_ = layer.weight.detach().cpu().numpy()
            self.n_steps_ = int(layer.steps)
            self._generator_state = generator.get_state()

    def fit(self, X: Any, y: Any = None) -> _HebbianPCA:
        """Learn the components from scratch with ``n_epochs`` passes over ``X``.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        X = self._validate(X, reset=True)
        generator = self._reset(X)
        self._update_mean(X)
        self._epochs(X, self.n_epochs, generator)
        return self

    def partial_fit(self, X: Any, y: Any = None) -> _HebbianPCA:
        """Continue learning with one pass over ``X`` (starting afresh on the first call).

        The mean used for centring is the running mean of all samples seen so far.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        first = not hasattr(self, "components_")
        X = self._validate(X, reset=first)
        if first:
            generator = self._reset(X)
        else:
            self._check_params(self.n_features_in_)
            if self._wanted_components() != self.n_components_:
                raise ValueError(
                    f"n_components changed from {self.n_components_} to "
                    f"{self._wanted_components()} since the first partial_fit; call fit instead"
                )
            generator = torch.Generator()
            generator.set_state(self._generator_state)
        self._update_mean(X)
        self._epochs(X, 1, generator)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Project ``X`` on the learned components: ``(X - mean_) @ components_.T``.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, n_components)
        """
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False)
        return (X - self.mean_) @ self.components_.T  # (n, N_pre) @ (N_pre, N_post)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Map projections back to input space: ``X @ components_ + mean_``.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_components)

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        check_is_fitted(self, "components_")
        X = check_array(to_numpy(X), dtype=[np.float64, np.float32])
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X must have {self.n_components_} columns (n_components), got {X.shape[1]}"
            )
        return X @ self.components_ + self.mean_  # (n, N_post) @ (N_post, N_pre)


class OjaPCA(_HebbianPCA):
    r"""First principal component by Oja's rule (Oja 1982).

    One linear unit :math:`y = w \cdot (x - \bar x)` learns with
    :math:`w \leftarrow w + \eta_e \langle y (x - \bar x - y w) \rangle` over shuffled
    mini-batches (:class:`hebbian.rules.Oja`), with the learning rate
    :math:`\eta_e = \eta / (1 + d\, e)` in epoch ``e``. ``w`` converges to the unit
    first principal component, up to its sign.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta` > 0. Keep ``learning_rate * lambda_1 < 1``.
    learning_rate_decay : float
        :math:`d` >= 0, the per-epoch decay of the learning rate.
    n_epochs : int
        Passes over the data in :meth:`fit` (``partial_fit`` makes one).
    batch_size : int
        Samples per update.
    center : bool
        Subtract the (running) mean of the data before learning and projecting.
    random_state : None, int or numpy.random.RandomState
        Seeds a local ``torch.Generator`` for the initial weights and the shuffling.
    device : None, str or torch.device
        Where the learning runs; default CPU. ``fit`` and ``partial_fit`` refuse a
        device this machine lacks (e.g. ``"cuda"`` without CUDA) with a ValueError.

    Attributes
    ----------
    components_ : ndarray, shape (1, n_features)
    mean_ : ndarray, shape (n_features,)
    n_components_ : int
    n_features_in_ : int
    n_samples_seen_ : int
    n_iter_ : int
        Epochs (passes over data) done.
    n_steps_ : int
        Weight updates done.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)) * np.array([3.0, 1.0, 0.5])
    >>> pca = OjaPCA(learning_rate=0.02, n_epochs=10, random_state=0).fit(X)
    >>> np.round(np.abs(pca.components_), 1)
    array([[1., 0., 0.]])
    >>> pca.transform(X).shape
    (500, 1)
    """

    _rule: ClassVar[LocalRule] = Oja()

    def __init__(
        self,
        *,
        learning_rate: float = 0.01,
        learning_rate_decay: float = 0.1,
        n_epochs: int = 20,
        batch_size: int = 32,
        center: bool = True,
        random_state: Any = None,
        device: Any = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.center = center
        self.random_state = random_state
        self.device = device

    def _wanted_components(self) -> int:
        return 1


class SangerPCA(_HebbianPCA):
    r"""Leading principal components by Sanger's generalized Hebbian algorithm.

    Linear units :math:`y = W (x - \bar x)` learn with
    :math:`W \leftarrow W + \eta_e (\langle y x^\top \rangle
    - \mathrm{LT}(\langle y y^\top \rangle) W)` over shuffled mini-batches
    (:class:`hebbian.rules.Sanger`; Sanger 1989), with
    :math:`\eta_e = \eta / (1 + d\, e)` in epoch ``e``. Row ``i`` of ``components_``
    converges to the ``i``-th principal component (unit norm, up to its sign).

    Parameters
    ----------
    n_components : int
        Number of components (rows of ``components_``), at most ``n_features``.
    learning_rate, learning_rate_decay, n_epochs, batch_size, center, random_state, device
        As for :class:`OjaPCA`.

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
    mean_, n_components_, n_features_in_, n_samples_seen_, n_iter_, n_steps_
        As for :class:`OjaPCA`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)) * np.array([3.0, 1.0, 0.5])
    >>> pca = SangerPCA(n_components=2, learning_rate=0.05, n_epochs=20, random_state=0).fit(X)
    >>> np.round(np.abs(pca.components_), 1)
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """

    _rule: ClassVar[LocalRule] = Sanger()

    def __init__(
        self,
        n_components: int = 2,
        *,
        learning_rate: float = 0.01,
        learning_rate_decay: float = 0.1,
        n_epochs: int = 20,
        batch_size: int = 32,
        center: bool = True,
        random_state: Any = None,
        device: Any = None,
    ) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.center = center
        self.random_state = random_state
        self.device = device

    def _wanted_components(self) -> int:
        return check_positive_int("n_components", self.n_components)
