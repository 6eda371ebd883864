"""k-means on integer data: exact nearest centroids, exact means, majority labels."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

from hebbian import _random
from hebbian.kmeans import KMeans, fit_kmeans, label_centroids, nearest_centroid, predict


def brute_force_nearest(x: torch.Tensor, sums: torch.Tensor, counts: torch.Tensor) -> list[int]:
    """argmin_c ||x - S_c / n_c||^2 in exact rationals, ties to the lower index."""
    centroids = [
        [Fraction(int(s), int(n)) for s in row] for row, n in zip(sums, counts, strict=True)
    ]
    chosen = []
    for point in x.tolist():
        distances = [
            (sum((Fraction(int(p)) - c) ** 2 for p, c in zip(point, centre, strict=True)), index)
            for index, centre in enumerate(centroids)
        ]
        chosen.append(min(distances)[1])
    return chosen


def random_state_with_ties(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Small integer points and centroids, some centroids equal under other sums and counts."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 4, (60, 3), generator=g)
    counts = torch.randint(1, 4, (7,), generator=g)
    sums = torch.randint(0, 4, (7, 3), generator=g) * counts[:, None]  # integer centroids
    sums[2], counts[2] = sums[5] * 2, counts[5] * 2  # the same centroid as 5, one index lower
    sums[6], counts[6] = sums[0], counts[0]  # a duplicate of 0
    sums[3] = sums[3] + 1  # a centroid that is not an integer point
    return x, sums, counts


# -- the exact assignment ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_the_nearest_centroid_is_the_exact_one_including_ties_to_the_lower_index(seed) -> None:
    x, sums, counts = random_state_with_ties(seed)
    assert nearest_centroid(x, sums, counts).tolist() == brute_force_nearest(x, sums, counts)


def test_a_point_halfway_between_two_centroids_goes_to_the_lower_index() -> None:
    sums, counts = torch.tensor([[6, 0], [0, 0]]), torch.tensor([3, 1])  # (2, 0) and (0, 0)
    x = torch.tensor([[1, 0], [1, 5], [1, -5], [3, 0]])
    assert nearest_centroid(x, sums, counts).tolist() == [0, 0, 0, 0]
    assert nearest_centroid(x, sums.flip(0), counts.flip(0)).tolist() == [0, 0, 0, 1]


def test_a_gap_below_float64_resolution_is_decided_exactly() -> None:
    # x = 2**20 and centroids 1/n and 1/(n + 1) away: squared distances differ by about
    # 2 / n**3 = 2e-15, far below the resolution 2**-12 of the float64 f_c ~ 2**40.
    x, n = 2**20, 10**5
    sums = torch.tensor([[x * n - 1], [x * (n + 1) + 1]])
    counts = torch.tensor([n, n + 1])
    points = torch.tensor([[x]])
    assert nearest_centroid(points, sums, counts).tolist() == [1]
    assert nearest_centroid(points, sums.flip(0), counts.flip(0)).tolist() == [0]
    assert brute_force_nearest(points, sums, counts) == [1]


def test_distances_too_large_for_int64_are_compared_in_python_integers() -> None:
    # ||n x - S||^2 = 2**104 here: past int64, so the exact path uses Python integers.
    n = 2**10
    sums = torch.tensor([[2**52], [-(2**52)], [2**52 - 1]])
    counts = torch.tensor([n, n, n])
    assert nearest_centroid(torch.tensor([[0]]), sums[:2], counts[:2]).tolist() == [0]
    assert nearest_centroid(torch.tensor([[0]]), sums, counts).tolist() == [2]


def test_floats_holding_integers_give_the_integer_result() -> None:
    x, sums, counts = random_state_with_ties(0)
    expected = nearest_centroid(x, sums, counts)
    for dtype in (torch.float32, torch.float64, torch.uint8):
        assert torch.equal(nearest_centroid(x.to(dtype), sums, counts), expected)


def test_larger_random_data_matches_brute_force() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 17, (300, 8), generator=g)  # 8x8-digit-like pixel range
    model = fit_kmeans(x, 12, iterations=3, generator=g)
    assert model.assignment.tolist() == brute_force_nearest(x, model.sums, model.counts)


# -- fitting --------------------------------------------------------------------------


def test_the_initial_centroids_are_k_distinct_points_of_a_seeded_permutation() -> None:
    x = torch.arange(40).view(20, 2)
    model = fit_kmeans(x, 5, iterations=0, generator=torch.Generator().manual_seed(4))
    chosen = _random.permutation(20, torch.Generator().manual_seed(4))[:5]
    assert torch.equal(model.sums, x[chosen])
    assert model.counts.tolist() == [1] * 5
    assert (model.iterations_run, model.converged) == (0, False)
    assert torch.equal(model.assignment, nearest_centroid(x, model.sums, model.counts))


def test_centroids_are_exact_means_of_their_points_and_the_assignment_is_nearest() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (400, 10), generator=g, dtype=torch.uint8)
    model = fit_kmeans(x, 9, iterations=50, generator=g)
    assert model.converged and 1 <= model.iterations_run < 50
    assert model.sums.dtype == model.counts.dtype == model.assignment.dtype == torch.int64
    for c in range(9):
        members = x[model.assignment == c].long()
        assert int(model.counts[c]) == members.shape[0]  # converged: no cluster is empty here
        assert torch.equal(model.sums[c], members.sum(dim=0))
    assert torch.equal(model.centroids, model.sums.double() / model.counts.double()[:, None])
    assert torch.equal(model.assignment, nearest_centroid(x, model.sums, model.counts))


def test_the_iteration_cap_stops_early_with_the_assignment_nearest_to_the_centroids() -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.randint(0, 256, (500, 6), generator=g)
    model = fit_kmeans(x, 20, iterations=1, generator=torch.Generator().manual_seed(0))
    assert (model.iterations_run, model.converged) == (1, False)
    assert torch.equal(model.assignment, nearest_centroid(x, model.sums, model.counts))


def test_an_empty_cluster_keeps_its_previous_centroid() -> None:
    # Five equal points: the three initial centroids are equal, every point goes to the
    # lowest index, and centroids 1 and 2 keep their initial point (sum x, count 1).
    x = torch.tensor([[3, 4]] * 5)
    model = fit_kmeans(x, 3, generator=torch.Generator().manual_seed(0))
    assert model.assignment.tolist() == [0] * 5
    assert model.sums.tolist() == [[15, 20], [3, 4], [3, 4]]
    assert model.counts.tolist() == [5, 1, 1]
    assert (model.iterations_run, model.converged) == (1, True)


def test_the_same_seed_gives_the_same_model() -> None:
    x = torch.randint(0, 256, (300, 5), generator=torch.Generator().manual_seed(5))
    first = fit_kmeans(x, 7, generator=torch.Generator().manual_seed(11))
    second = fit_kmeans(x, 7, generator=torch.Generator().manual_seed(11))
    assert torch.equal(first.sums, second.sums) and torch.equal(first.counts, second.counts)
    assert torch.equal(first.assignment, second.assignment)
    assert first.iterations_run == second.iterations_run


def test_the_model_does_not_depend_on_the_thread_count(threads) -> None:
    x = torch.randint(0, 256, (3000, 196), generator=torch.Generator().manual_seed(6))
    models = []
    for count in (1, 2):
        with threads(count):
            models.append(
                fit_kmeans(x, 40, iterations=5, generator=torch.Generator().manual_seed(0))
            )
    assert torch.equal(models[0].sums, models[1].sums)
    assert torch.equal(models[0].counts, models[1].counts)
    assert torch.equal(models[0].assignment, models[1].assignment)


@pytest.mark.cuda
def test_cuda_gives_the_cpu_model() -> None:
    x = torch.randint(0, 256, (2000, 64), generator=torch.Generator().manual_seed(7))
    cpu = fit_kmeans(x, 30, iterations=10, generator=torch.Generator().manual_seed(0))
    gpu = fit_kmeans(x.cuda(), 30, iterations=10, generator=torch.Generator().manual_seed(0))
    assert gpu.sums.device.type == "cuda"
    assert torch.equal(cpu.sums, gpu.sums.cpu()) and torch.equal(cpu.counts, gpu.counts.cpu())
    assert torch.equal(cpu.assignment, gpu.assignment.cpu())
    tied_x, sums, counts = random_state_with_ties(0)
    assert nearest_centroid(tied_x.cuda(), sums.cuda(), counts.cuda()).tolist() == (
        brute_force_nearest(tied_x, sums, counts)
    )


# -- labels and predictions -----------------------------------------------------------


def test_each_centroid_takes_its_majority_class_ties_to_the_lower_and_none_gives_minus_one() -> (
    None
):
    assignment = torch.tensor([0, 0, 0, 1, 1, 1, 1, 3])
    labels = torch.tensor([4, 2, 4, 3, 1, 1, 3, 0])
    # centroid 0: two 4s; 1: two 1s and two 3s (tie -> 1); 2: no points; 3: one 0
    assert label_centroids(assignment, labels, 4, 5).tolist() == [4, 1, -1, 0]


def test_predict_gives_the_label_of_the_nearest_centroid() -> None:
    x = torch.tensor([[0, 0], [0, 2], [10, 10], [12, 10], [30, 30]])
    labels = torch.tensor([1, 1, 0, 0, 2])
    model = fit_kmeans(x[:4], 2, generator=torch.Generator().manual_seed(0))
    centroid_labels = label_centroids(model.assignment, labels[:4], 2, 3)
    assert predict(model, centroid_labels, x).tolist() == [1, 1, 0, 0, 0]
    assert torch.equal(predict(model, centroid_labels, x[:4]), labels[:4])


def test_a_centroid_without_label_is_never_correct() -> None:
    model = KMeans(torch.tensor([[0], [10]]), torch.tensor([1, 1]), torch.tensor([0]), 0, False)
    predictions = predict(model, torch.tensor([0, -1]), torch.tensor([[9]]))
    assert predictions.tolist() == [-1]


# -- refusals -------------------------------------------------------------------------

POINTS = torch.zeros(4, 2, dtype=torch.uint8)
G = torch.Generator().manual_seed(0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: fit_kmeans(POINTS, 5, generator=G),
            ValueError,
            "k must be <= the number of points N = 4, got 5",
        ),
        (lambda: fit_kmeans(POINTS, 0, generator=G), ValueError, "k must be an int >= 1, got 0"),
        (
            lambda: fit_kmeans(POINTS, 2.0, generator=G),
            TypeError,
            "k must be an int, got float 2.0",
        ),
        (
            lambda: fit_kmeans(POINTS, 2, iterations=-1, generator=G),
            ValueError,
            "iterations must be an int >= 0, got -1",
        ),
        (
            lambda: fit_kmeans(POINTS, 2, generator=None),
            TypeError,
            "generator must be a CPU torch.Generator, got None",
        ),
        (
            lambda: fit_kmeans(POINTS[0], 1, generator=G),
            ValueError,
            "x must be 2-D (points, features), got shape (2,)",
        ),
        (
            lambda: fit_kmeans(POINTS.numpy(), 1, generator=G),
            TypeError,
            "x must be a torch.Tensor, got ndarray",
        ),
        (
            lambda: fit_kmeans(POINTS.bool(), 1, generator=G),
            TypeError,
            "x must have an integer or floating-point dtype, got torch.bool",
        ),
        (
            lambda: fit_kmeans(POINTS + 0.5, 1, generator=G),
            ValueError,
            "x must hold integer values (e.g. pixels 0..255), got torch.float32 values such as 0.5",
        ),
        (
            lambda: fit_kmeans(torch.full((4, 1), 2**52), 1, generator=G),
            ValueError,
            "x must have N * max|x| <= 2**53, got 4 * 4503599627370496",
        ),
        (
            lambda: nearest_centroid(
                POINTS, torch.zeros(3, 2, dtype=torch.int64), torch.tensor([1, 0, 1])
            ),
            ValueError,
            "counts must all be >= 1, got minimum 0",
        ),
        (
            lambda: nearest_centroid(POINTS, torch.zeros(3, 2), torch.ones(3, dtype=torch.int64)),
            TypeError,
            "sums must be an int64 torch.Tensor, got torch.float32",
        ),
        (
            lambda: nearest_centroid(
                POINTS, torch.zeros(3, 3, dtype=torch.int64), torch.ones(3, dtype=torch.int64)
            ),
            ValueError,
            "x must have 3 features, got shape (4, 2)",
        ),
        (
            lambda: nearest_centroid(
                POINTS, torch.zeros(3, 2, dtype=torch.int64), torch.ones(2, dtype=torch.int64)
            ),
            ValueError,
            "counts must have one entry per row of sums (3), got 2",
        ),
        (
            lambda: label_centroids(torch.tensor([0, 3]), torch.tensor([0, 1]), 3, 2),
            ValueError,
            "assignment must lie in 0..2, got values 0..3",
        ),
        (
            lambda: label_centroids(torch.tensor([0, 1]), torch.tensor([0.0, 1.0]), 3, 2),
            TypeError,
            "labels must be an integer torch.Tensor, got torch.float32",
        ),
        (
            lambda: label_centroids(torch.tensor([0, 1]), torch.tensor([0]), 3, 2),
            ValueError,
            "labels must have the shape (2,) of assignment, got (1,)",
        ),
        (
            lambda: predict("model", torch.tensor([0]), POINTS),
            TypeError,
            "model must be a KMeans from fit_kmeans, got str",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line_naming_the_argument(call, error, message) -> None:
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)
