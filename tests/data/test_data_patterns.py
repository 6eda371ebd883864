"""Pattern generators: shapes, values, statistics against theory, seeds, refusals."""

from __future__ import annotations

import math

import pytest
import torch

from hebbian.data.patterns import (
    correlated_gaussian,
    default_spectrum,
    gaussian_clusters,
    poisson_spike_trains,
    random_binary_patterns,
)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- binary patterns


def test_binary_patterns_are_plus_minus_one_of_the_right_shape() -> None:
    patterns = random_binary_patterns(4, 100, generator=seeded())
    assert patterns.shape == (4, 100)
    assert patterns.dtype == torch.float32
    assert set(patterns.unique().tolist()) == {-1.0, 1.0}


def test_binary_patterns_are_reproducible_with_a_seed() -> None:
    first = random_binary_patterns(3, 50, generator=seeded(7))
    assert torch.equal(first, random_binary_patterns(3, 50, generator=seeded(7)))
    assert not torch.equal(first, random_binary_patterns(3, 50, generator=seeded(8)))


@pytest.mark.parametrize("bias", [0.5, 0.8, 0.1])
def test_bias_is_the_probability_of_plus_one(bias: float) -> None:
    patterns = random_binary_patterns(100, 1000, bias=bias, generator=seeded())
    fraction = (patterns == 1).double().mean().item()
    sigma = math.sqrt(bias * (1 - bias) / patterns.numel())
    assert abs(fraction - bias) < 5 * sigma


def test_extreme_biases_give_constant_patterns() -> None:
    assert (random_binary_patterns(2, 10, bias=1.0) == 1).all()
    assert (random_binary_patterns(2, 10, bias=0.0) == -1).all()


def test_binary_patterns_accept_signed_integer_dtypes() -> None:
    patterns = random_binary_patterns(2, 3, dtype=torch.int8, generator=seeded())
    assert patterns.dtype == torch.int8
    assert torch.equal(patterns.float(), random_binary_patterns(2, 3, generator=seeded()))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"count": 0, "size": 3}, ValueError, "count"),
        ({"count": 2, "size": 2.5}, TypeError, "size"),
        ({"count": 2, "size": 3, "bias": 1.5}, ValueError, "bias"),
        ({"count": 2, "size": 3, "dtype": torch.bool}, TypeError, "dtype"),
        ({"count": 2, "size": 3, "dtype": torch.uint8}, TypeError, "dtype"),
        ({"count": 2, "size": 3, "generator": 0}, TypeError, "generator"),
    ],
)
def test_binary_patterns_refuse_bad_arguments(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        random_binary_patterns(**kwargs)


# --------------------------------------------------------------------------- correlated gaussian


def test_correlated_gaussian_covariance_has_the_requested_spectrum() -> None:
    eigenvalues = [4.0, 2.0, 1.0, 0.25]
    samples, covariance = correlated_gaussian(
        10, 4, eigenvalues=eigenvalues, generator=seeded(), dtype=torch.float64
    )
    assert samples.shape == (10, 4) and covariance.shape == (4, 4)
    torch.testing.assert_close(covariance, covariance.T)
    spectrum = torch.linalg.eigvalsh(covariance).flip(0)
    torch.testing.assert_close(spectrum, torch.tensor(eigenvalues, dtype=torch.float64))
    assert not torch.allclose(covariance, torch.diag(torch.diag(covariance)), atol=1e-3)


def test_sample_covariance_converges_to_the_returned_covariance() -> None:
    samples, covariance = correlated_gaussian(200_000, 5, generator=seeded(1), dtype=torch.float64)
    assert samples.mean(0).abs().max().item() < 0.03
    empirical = samples.T @ samples / samples.shape[0]
    relative = torch.linalg.matrix_norm(empirical - covariance) / torch.linalg.matrix_norm(
        covariance
    )
    assert relative.item() < 0.02
    # The leading principal component of the cloud is the true one.
    true_pc = torch.linalg.eigh(covariance).eigenvectors[:, -1]
    sample_pc = torch.linalg.eigh(empirical).eigenvectors[:, -1]
    assert abs(torch.dot(true_pc, sample_pc).item()) > 0.999


def test_default_spectrum_is_clearly_separated() -> None:
    spectrum = default_spectrum(6)
    assert spectrum[0].item() == 5.0
    ratios = spectrum[1:] / spectrum[:-1]
    torch.testing.assert_close(ratios, torch.full((5,), 0.6, dtype=torch.float64))


def test_correlated_gaussian_is_reproducible_and_rotation_depends_on_seed() -> None:
    a = correlated_gaussian(5, 3, generator=seeded(3))
    b = correlated_gaussian(5, 3, generator=seeded(3))
    c = correlated_gaussian(5, 3, generator=seeded(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.allclose(a[1], c[1])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"eigenvalues": [1.0, 2.0]}, ValueError, "dim=3"),
        ({"eigenvalues": [1.0, -2.0, 1.0]}, ValueError, ">= 0"),
        ({"eigenvalues": [1.0, float("nan"), 1.0]}, ValueError, "finite"),
        ({"eigenvalues": [[1.0, 2.0, 3.0]]}, ValueError, "1-D"),
        ({"dtype": torch.int64}, TypeError, "floating-point"),
    ],
)
def test_correlated_gaussian_refuses_bad_arguments(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        correlated_gaussian(10, 3, **kwargs)


# --------------------------------------------------------------------------- clusters


def test_clusters_are_centred_on_their_centres_with_the_given_spread() -> None:
    centers = torch.tensor([[0.0, 0.0, 0.0], [5.0, -5.0, 1.0]])
    samples, labels = gaussian_clusters(20_000, centers, 0.5, generator=seeded())
    assert samples.shape == (40_000, 3) and labels.shape == (40_000,)
    assert labels.dtype == torch.int64
    assert labels[:20_000].eq(0).all() and labels[20_000:].eq(1).all()
    for k in range(2):
        members = samples[labels == k]
        torch.testing.assert_close(members.mean(0), centers[k], atol=0.02, rtol=0)
        torch.testing.assert_close(members.std(0), torch.full((3,), 0.5), atol=0.02, rtol=0)


def test_zero_spread_gives_the_centres_and_dtype_follows_centres() -> None:
    centers = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    samples, labels = gaussian_clusters(3, centers, 0.0)
    assert samples.dtype == torch.float64
    assert torch.equal(samples, centers.repeat_interleave(3, dim=0))
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_clusters_are_reproducible() -> None:
    a = gaussian_clusters(4, [[0.0], [1.0]], 1.0, generator=seeded(5))
    b = gaussian_clusters(4, [[0.0], [1.0]], 1.0, generator=seeded(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((0, [[0.0]], 1.0), ValueError, "n_per_cluster"),
        ((2, [0.0, 1.0], 1.0), ValueError, r"\(K, dim\)"),
        ((2, [[0.0]], -1.0), ValueError, "std"),
        ((2, torch.tensor([[1, 2]]), 1.0), TypeError, "floating-point"),
        ((2, [[float("inf")]], 1.0), ValueError, "finite"),
    ],
)
def test_clusters_refuse_bad_arguments(args, error, match) -> None:
    with pytest.raises(error, match=match):
        gaussian_clusters(*args)


# --------------------------------------------------------------------------- Poisson spikes


def test_spike_trains_have_one_row_per_time_bin() -> None:
    spikes = poisson_spike_trains([10.0, 20.0, 30.0], duration=0.5, dt=1e-3, generator=seeded())
    assert spikes.shape == (500, 3)
    assert spikes.dtype == torch.bool


def test_spike_probability_per_bin_is_rate_times_dt() -> None:
    rates = torch.tensor([0.0, 5.0, 20.0, 100.0, 1000.0])
    dt, duration = 1e-3, 100.0
    spikes = poisson_spike_trains(rates, duration, dt, generator=seeded(2))
    steps = spikes.shape[0]
    assert steps == 100_000
    counts = spikes.sum(0).double()
    p = (rates * dt).double()
    sigma = (steps * p * (1 - p)).sqrt()
    assert counts[0].item() == 0  # rate 0 never fires
    assert counts[-1].item() == steps  # rate 1/dt fires in every bin
    assert ((counts[1:4] - steps * p[1:4]).abs() < 5 * sigma[1:4]).all(), counts


def test_spike_trains_are_reproducible_and_may_be_numeric() -> None:
    a = poisson_spike_trains([50.0, 80.0], 1.0, 1e-3, generator=seeded(9))
    b = poisson_spike_trains([50.0, 80.0], 1.0, 1e-3, generator=seeded(9), dtype=torch.float32)
    assert b.dtype == torch.float32
    assert torch.equal(a.float(), b)


def test_spike_trains_are_the_spiking_generator_in_seconds() -> None:
    # one Poisson generator: the data wrapper draws exactly what poisson_spikes draws
    from hebbian.spiking.inputs import poisson_spikes

    rates = torch.tensor([5.0, 40.0, 200.0], dtype=torch.float64)
    wrapped = poisson_spike_trains(rates, 0.25, 1e-3, generator=seeded(4))
    assert torch.equal(wrapped, poisson_spikes(rates, 250, 1e-3, generator=seeded(4)))


def test_rate_times_dt_above_one_is_refused_with_the_limit() -> None:
    with pytest.raises(ValueError, match=r"rates\[1\].*> 1.*1/dt = 100 Hz"):
        poisson_spike_trains([10.0, 150.0], duration=1.0, dt=0.01)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([-1.0], 1.0, 1e-3), ">= 0"),
        (([1.0], 1e-4, 1e-3), "at least dt"),
        (([1.0], 1.0, 0.0), "dt"),
        (([1.0], -1.0, 1e-3), "duration"),
        (([], 1.0, 1e-3), "at least one rate"),
        (([float("nan")], 1.0, 1e-3), "finite"),
    ],
)
def test_spike_trains_refuse_bad_arguments(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        poisson_spike_trains(*args)


# --------------------------------------------------------------------------- devices


def test_explicit_cpu_device_gives_the_same_numbers() -> None:
    assert torch.equal(
        random_binary_patterns(3, 4, generator=seeded(), device="cpu"),
        random_binary_patterns(3, 4, generator=seeded()),
    )


@pytest.mark.cuda
def test_same_seed_gives_the_same_numbers_on_cuda() -> None:
    cpu_x, cpu_cov = correlated_gaussian(100, 4, generator=seeded(), dtype=torch.float64)
    gpu_x, gpu_cov = correlated_gaussian(
        100, 4, generator=seeded(), device="cuda", dtype=torch.float64
    )
    assert gpu_x.device.type == "cuda"
    assert torch.equal(gpu_x.cpu(), cpu_x) and torch.equal(gpu_cov.cpu(), cpu_cov)
    spikes = poisson_spike_trains([40.0, 90.0], 1.0, 1e-3, generator=seeded(), device="cuda")
    assert torch.equal(
        spikes.cpu(), poisson_spike_trains([40.0, 90.0], 1.0, 1e-3, generator=seeded())
    )
