"""Krotov & Hopfield's competing hidden units as a scikit-learn transformer.

:class:`CompetingHiddenUnits` learns with :func:`hebbian.competing.training.competing_epoch`
and transforms with :func:`hebbian.competing.top_layer.hidden_features`. Like every
estimator of the library it stores its settings untouched in ``__init__`` and checks
them at ``fit`` (and ``partial_fit``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hebbian._checks import check_in_range, check_memory, check_positive_int
from hebbian._sklearn import TorchInputMixin, generator_from_random_state
from hebbian.competing.params import CompetingParams
from hebbian.competing.top_layer import hidden_features
from hebbian.competing.training import competing_epoch, initial_weights

__all__ = ["CompetingHiddenUnits"]


class CompetingHiddenUnits(
    TorchInputMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    r"""Krotov & Hopfield's competing hidden units as a scikit-learn transformer.

    ``fit`` learns the weights ``components_`` (``n_hidden x n_features``) with the
    unsupervised rule (:func:`competing_epoch`) from fresh initial weights, for
    ``n_epochs`` epochs with the rate annealed linearly from ``learning_rate`` towards
    0; ``partial_fit`` makes one more epoch, continuing the schedule (past
    ``n_epochs`` it keeps the last rate, ``learning_rate / n_epochs``); ``transform``
    returns the hidden activity :func:`hidden_features`,
    :math:`\operatorname{ReLU}(\hat x W^\top)^n`, with each sample scaled to unit
    length. Follow it with a linear classifier in a
    :class:`sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    n_hidden : int
        Hidden units ``H`` (paper: 2000).
    p : float
        Exponent of the p-norm metric (paper: 3).
    k : int
        Rank of the anti-Hebbian unit, 2 <= k <= n_hidden (paper: 7).
    delta : float
        Anti-Hebbian strength (paper: 0.4).
    learning_rate : float
        :math:`\varepsilon_0` (authors' notebook: 0.02).
    batch_size : int
        Samples per update (notebook: 100); at most the number of samples is used.
    n_epochs : int
        Epochs of ``fit`` and the length of the annealing schedule (notebook: 200).
    power : float
        :math:`n` of ``transform`` (paper: 4.5; 1 gives rectified linear features).
    random_state : None, int or numpy.random.RandomState
        Seeds a local ``torch.Generator`` for the initial weights and the shuffling.
    device : None, str or torch.device
        Where the learning runs; default CPU. ``fit`` and ``partial_fit`` refuse a
        device this machine lacks (e.g. ``"cuda"`` without CUDA) with a ValueError.

    Attributes
    ----------
    components_ : ndarray, shape (n_hidden, n_features)
        The learned weights ``W``.
    n_features_in_ : int
    n_iter_ : int
        Epochs made.
    n_steps_ : int
        Weight updates made.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data / 16
    >>> model = CompetingHiddenUnits(n_hidden=20, p=2.0, k=2, n_epochs=5, random_state=0)
    >>> model.fit_transform(X).shape
    (1797, 20)
    """

    components_: np.ndarray
    n_features_in_: int
    n_iter_: int
    n_steps_: int
    _generator_state: torch.Tensor

    def __init__(
        self,
        n_hidden: int = 2000,
        *,
        p: float = 3.0,
        k: int = 7,
        delta: float = 0.4,
        learning_rate: float = 0.02,
        batch_size: int = 100,
        n_epochs: int = 200,
        power: float = 4.5,
        random_state: Any = None,
        device: Any = None,
    ) -> None:
        self.n_hidden = n_hidden
        self.p = p
        self.k = k
        self.delta = delta
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.power = power
        self.random_state = random_state
        self.device = device

    def _params(self, n_samples: int, n_features: int) -> CompetingParams:
        check_in_range("power", self.power, 1.0, math.inf)
        check_positive_int("n_hidden", self.n_hidden)
        check_memory(  # the float64 draw, the weights and a copy of the data
            f"n_hidden={self.n_hidden} (weights for {n_features} features)",
            16 * self.n_hidden * n_features,
        )
        return CompetingParams(
            hidden_units=self.n_hidden,
            p=self.p,
            k=self.k,
            delta=self.delta,
            learning_rate=self.learning_rate,
            batch_size=min(check_positive_int("batch_size", self.batch_size), n_samples),
            epochs=self.n_epochs,
        )

    @property
    def _n_features_out(self) -> int:
        return int(self.components_.shape[0])

    def _epochs(self, X: np.ndarray, n_epochs: int, generator: torch.Generator) -> None:
        params = self._params(*X.shape)
        device = self._device()
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        data = torch.tensor(X, dtype=dtype, device=device)  # (n, N), a copy
        weight = torch.as_tensor(self.components_, dtype=dtype).to(device)  # (H, N)
        try:
            for _ in range(n_epochs):
                done = min(self.n_iter_, params.epochs - 1)  # keep the last rate past E
                weight = competing_epoch(weight, data, params, done, generator)
                self.n_iter_ += 1
                self.n_steps_ += data.shape[0] // params.batch_size
        finally:
            self.components_ = weight.cpu().numpy()
            self._generator_state = generator.get_state()

    def fit(self, X: Any, y: Any = None) -> CompetingHiddenUnits:
        """Learn the weights from scratch with ``n_epochs`` epochs over ``X``.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        X = self._validate(X, reset=True)
        self._epochs(X, self.n_epochs, self._start(X))
        return self

    def _start(self, X: np.ndarray) -> torch.Generator:
        """Check the settings, draw fresh weights; return the generator that drew them."""
        params = self._params(*X.shape)
        self._device()  # refuse a device this machine lacks before drawing any weights
        generator = generator_from_random_state(self.random_state)
        weight = initial_weights(params.hidden_units, X.shape[1], params, generator)
        self.components_ = weight.double().numpy().astype(X.dtype)
        self.n_iter_ = 0
        self.n_steps_ = 0
        return generator

    def partial_fit(self, X: Any, y: Any = None) -> CompetingHiddenUnits:
        """One more epoch over ``X`` (from fresh weights on the first call).

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
            generator = self._start(X)
        else:
            self._params(*X.shape)
            self._device()
            if self.n_hidden != self.components_.shape[0]:
                raise ValueError(
                    f"n_hidden changed from {self.components_.shape[0]} to {self.n_hidden} "
                    "since the first partial_fit; call fit instead"
                )
            generator = torch.Generator()
            generator.set_state(self._generator_state)
        self._epochs(X, 1, generator)
        return self

    def transform(self, X: Any) -> np.ndarray:
        r"""Hidden activity :math:`\operatorname{ReLU}(\hat x W^\top)^n`, ``(n_samples, n_hidden)``.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, n_hidden)
        """
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False)
        check_in_range("power", self.power, 1.0, math.inf)
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        weight = torch.as_tensor(self.components_).to(dtype)  # (H, N)
        features = hidden_features(torch.tensor(X), weight, self.power)  # (n, H)
        return features.numpy()
