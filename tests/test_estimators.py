"""Tests for hebbian.estimators: OjaPCA and SangerPCA with scikit-learn's manners."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from hebbian._checks import NonFiniteWeightsError
from hebbian.estimators import OjaPCA, SangerPCA


def correlated_gaussian(
    n: int, seed: int, spectrum: tuple[float, ...] = (5.0, 3.0, 2.0, 1.0, 0.5)
) -> tuple[np.ndarray, np.ndarray]:
    """Samples with covariance Q diag(spectrum) Q^T plus an offset, and their PCs (SVD)."""
    g = torch.Generator().manual_seed(seed)
    d = len(spectrum)
    rotation, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    scale = torch.tensor(spectrum, dtype=torch.float64).sqrt()
    x = (torch.randn(n, d, generator=g, dtype=torch.float64) * scale) @ rotation.T
    x = x.numpy() + np.arange(1.0, d + 1.0)  # a non-zero mean, removed by centring
    _, _, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    return x, vt


def abs_cosines(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return np.abs(np.sum(rows * reference[: len(rows)], axis=1))


# Every check of scikit-learn's suite runs; none is skipped. (check_array_api_input
# skips itself unless SCIPY_ARRAY_API is set: the estimators compute with torch and
# numpy, not through the array API.)
@parametrize_with_checks([OjaPCA(random_state=0), SangerPCA(random_state=0)])
def test_sklearn_estimator_checks(
    estimator: BaseEstimator, check: Callable[[BaseEstimator], None]
) -> None:
    check(estimator)


def test_oja_pca_fit_transform_and_attributes() -> None:
    x, components = correlated_gaussian(3000, seed=0)
    pca = OjaPCA(learning_rate=0.02, n_epochs=10, batch_size=50, random_state=0)
    assert pca.fit(x) is pca
    assert pca.components_.shape == (1, 5)
    assert pca.n_components_ == 1 and pca.n_features_in_ == 5
    assert pca.n_iter_ == 10 and pca.n_steps_ == 10 * 60 and pca.n_samples_seen_ == 3000
    np.testing.assert_allclose(pca.mean_, x.mean(axis=0))
    assert abs_cosines(pca.components_, components)[0] >= 0.999
    assert abs(np.linalg.norm(pca.components_) - 1) < 1e-2
    projected = pca.transform(x)
    np.testing.assert_allclose(projected, (x - pca.mean_) @ pca.components_.T)
    np.testing.assert_allclose(pca.fit_transform(x), projected)  # same seed: same result
    np.testing.assert_allclose(pca.inverse_transform(projected).shape, x.shape)
    assert list(pca.get_feature_names_out()) == ["ojapca0"]


def test_sanger_pca_recovers_ordered_components() -> None:
    x, components = correlated_gaussian(3000, seed=1)
    pca = SangerPCA(
        n_components=4, learning_rate=0.05, learning_rate_decay=0.2, n_epochs=20,
        batch_size=50, random_state=0,
    )  # fmt: skip
    pca.fit(x)
    assert pca.components_.shape == (4, 5)
    cosines = abs_cosines(pca.components_, components)
    assert cosines.min() >= 0.99, cosines
    # the projections are decorrelated, with variances in decreasing order
    variances = pca.transform(x).var(axis=0)
    assert np.all(np.diff(variances) < 0)
    np.testing.assert_allclose(variances, [5.0, 3.0, 2.0, 1.0], rtol=0.1)


def test_torch_tensors_are_accepted() -> None:
    x, _ = correlated_gaussian(500, seed=2)
    from_numpy = OjaPCA(random_state=3, n_epochs=3).fit(x)
    from_torch = OjaPCA(random_state=3, n_epochs=3).fit(torch.from_numpy(x).requires_grad_())
    np.testing.assert_allclose(from_torch.components_, from_numpy.components_)
    out = from_torch.transform(torch.from_numpy(x))
    assert isinstance(out, np.ndarray) and out.shape == (500, 1)


def test_partial_fit_continues_and_fit_resets() -> None:
    x, components = correlated_gaussian(2000, seed=3)
    pca = SangerPCA(n_components=2, learning_rate=0.03, random_state=1)
    pca.partial_fit(x[:1000])
    first = pca.components_.copy()
    assert pca.n_iter_ == 1 and pca.n_samples_seen_ == 1000
    np.testing.assert_allclose(pca.mean_, x[:1000].mean(axis=0))
    pca.partial_fit(x[1000:])
    assert pca.n_iter_ == 2 and pca.n_samples_seen_ == 2000
    np.testing.assert_allclose(pca.mean_, x.mean(axis=0))  # the running mean of all
    assert not np.allclose(pca.components_, first)
    for _ in range(15):
        pca.partial_fit(x)
    assert abs_cosines(pca.components_, components).min() >= 0.99

    # fit starts afresh: same as a new estimator, whatever happened before
    pca.fit(x[:300])
    fresh = clone(pca).fit(x[:300])
    np.testing.assert_array_equal(pca.components_, fresh.components_)
    assert pca.n_iter_ == pca.n_epochs and pca.n_samples_seen_ == 300


def test_random_state_reproducibility_without_touching_the_global_seed() -> None:
    x, _ = correlated_gaussian(400, seed=4)
    torch.manual_seed(123)
    marker = torch.rand(1)
    torch.manual_seed(123)
    a = SangerPCA(n_components=3, random_state=7, n_epochs=2).fit(x)
    assert torch.equal(torch.rand(1), marker)  # the global generator was not used
    b = SangerPCA(n_components=3, random_state=7, n_epochs=2).fit(x)
    c = SangerPCA(n_components=3, random_state=8, n_epochs=2).fit(x)
    d = SangerPCA(n_components=3, random_state=np.random.RandomState(7), n_epochs=2).fit(x)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert not np.allclose(a.components_, c.components_)
    assert d.components_.shape == (3, 5)
    # partial_fit continues the same random stream after pickling
    a.partial_fit(x)
    b2 = pickle.loads(pickle.dumps(b))
    b2.partial_fit(x)
    np.testing.assert_array_equal(a.components_, b2.components_)


def test_clone_keeps_parameters_only() -> None:
    pca = SangerPCA(n_components=3, learning_rate=0.02, batch_size=10, random_state=5)
    pca.fit(np.random.default_rng(0).normal(size=(50, 4)))
    copy = clone(pca)
    assert copy.get_params() == pca.get_params()
    assert not hasattr(copy, "components_")


def test_pipeline_with_logistic_regression_on_digits() -> None:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    pipeline = make_pipeline(
        StandardScaler(),  # keeps learning_rate * lambda_1 well below 1
        SangerPCA(n_components=10, n_epochs=5, random_state=0),
        LogisticRegression(max_iter=300),
    )
    pipeline.fit(X_train, y_train)
    assert pipeline.score(X_test, y_test) > 0.5  # chance is 0.1; about 0.88 here
    assert pipeline[1].components_.shape == (10, 64)


def test_non_finite_weights_name_the_rule_and_step() -> None:
    X, _ = load_digits(return_X_y=True)  # raw pixels: lambda_1 ~ 180, so 0.1 diverges
    pca = OjaPCA(learning_rate=0.1, random_state=0)
    with pytest.raises(NonFiniteWeightsError, match=r"rule 'oja' .* at step \d+") as caught:
        pca.fit(X)
    found = re.search(r"at step (\d+)", str(caught.value))
    assert found is not None
    assert pca.n_steps_ == int(found.group(1)) - 1  # the last finite weights are kept
    assert np.isfinite(pca.components_).all()
    with pytest.raises(NonFiniteWeightsError, match="rule 'sanger'"):
        SangerPCA(n_components=2, learning_rate=0.1, random_state=0).fit(X)


def test_bad_input_is_refused() -> None:
    x, _ = correlated_gaussian(100, seed=5)
    with pytest.raises(NotFittedError):
        OjaPCA().transform(x)
    with pytest.raises(ValueError, match="n_components"):
        SangerPCA(n_components=6).fit(x)
    with pytest.raises(ValueError, match="n_components"):
        SangerPCA(n_components=0).fit(x)
    with pytest.raises(ValueError, match="learning_rate"):
        OjaPCA(learning_rate=-1.0).fit(x)
    with pytest.raises(TypeError, match="n_epochs"):
        OjaPCA(n_epochs=2.5).fit(x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        OjaPCA(batch_size=0).fit(x)
    with pytest.raises(TypeError, match="center"):
        OjaPCA(center="yes").fit(x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="random_state"):
        OjaPCA(random_state="seed").fit(x)
    with pytest.raises(ValueError, match="device"):
        OjaPCA(device="nowhere").fit(x)
    with pytest.raises(ValueError, match="NaN"):
        OjaPCA().fit(np.where(x > 3, np.nan, x))
    with pytest.raises(ValueError, match="2D array"):
        OjaPCA().fit(x[:, 0])
    fitted = OjaPCA(n_epochs=1).fit(x)
    with pytest.raises(ValueError, match="features"):
        fitted.transform(x[:, :3])
    with pytest.raises(ValueError, match="features"):
        fitted.partial_fit(x[:, :3])
    with pytest.raises(ValueError, match="columns"):
        fitted.inverse_transform(np.ones((2, 3)))
    sanger = SangerPCA(n_components=2, n_epochs=1).fit(x)
    sanger.set_params(n_components=3)
    with pytest.raises(ValueError, match="n_components changed"):
        sanger.partial_fit(x)


def test_without_centring_the_mean_is_zero() -> None:
    x, _ = correlated_gaussian(200, seed=6)
    pca = OjaPCA(center=False, n_epochs=2, random_state=0).fit(x)
    np.testing.assert_array_equal(pca.mean_, np.zeros(5))
    np.testing.assert_allclose(pca.transform(x), x @ pca.components_.T)


@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda", 3)])
def test_a_cuda_device_without_cuda_is_refused_in_one_line(
    device: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine without CUDA, fit and partial_fit name the device instead of torch's
    "not compiled with CUDA" error from inside the training loop."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    x, _ = correlated_gaussian(50, seed=8)
    for estimator in (OjaPCA(device=device), SangerPCA(n_components=2, device=device)):
        for method in (estimator.fit, estimator.partial_fit):
            with pytest.raises(ValueError, match=r"^device=.*needs CUDA, which this machine lacks"):
                method(x)


@pytest.mark.cuda
def test_learning_on_cuda_matches_cpu() -> None:
    x, _ = correlated_gaussian(300, seed=7)
    on_cpu = SangerPCA(n_components=2, n_epochs=3, random_state=0).fit(x)
    on_gpu = SangerPCA(n_components=2, n_epochs=3, random_state=0, device="cuda").fit(x)
    assert isinstance(on_gpu.components_, np.ndarray)
    np.testing.assert_allclose(on_gpu.components_, on_cpu.components_, atol=1e-8)
