"""The spiking recipes reproduce their theory (small settings, to keep the suite fast)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from hebbian.experiments.base import Recipe, build_config, execute
from hebbian.experiments.spiking import (
    HODGKIN_HUXLEY,
    SONG_ABBOTT,
    STDP_WINDOW,
    TRIPLET_FREQUENCY,
)


def run_recipe(recipe: Recipe, folder: Path, **overrides: Any) -> dict[str, Any]:
    """Run at the tour's settings (and ``overrides``); every declared expectation is met."""
    config = build_config(recipe.config_type, {**recipe.tour, **overrides})
    summary = execute(recipe, config, folder)
    for figure in summary["figures"]:
        assert (folder / figure["file"]).stat().st_size > 0
        assert "{" not in figure["caption"]  # captions are text, not raw dicts
    if not overrides:
        assert recipe.expectations(config), f"{recipe.name} declares no expectations"
        assert [v for v in summary["verdicts"] if not v["met"]] == []
    return summary["results"]


def test_stdp_window_fits_recover_the_configured_time_constants(tmp_path: Path) -> None:
    results = run_recipe(STDP_WINDOW, tmp_path)
    # the fits are exact up to rounding; the results quote them without the rounding noise
    assert results["fitted_tau_plus_ms"] == 16.8
    assert results["fitted_tau_minus_ms"] == 33.7
    assert results["fitted_amplitude_plus"] == pytest.approx(60 * 0.01, rel=1e-9)
    assert results["fitted_amplitude_minus"] == pytest.approx(60 * 0.0055, rel=1e-9)
    assert results["max_deviation_from_isolated_pairs_percent"] == 0.0
    assert not any(key.endswith("relative_error") for key in results)
    # pairings 1 s apart do not interact: each change is 60 times the isolated-pair window
    changes = dict(zip(results["delta_t_ms"], results["weight_change_percent"], strict=True))
    assert changes[10.0] == pytest.approx(100 * 60 * 0.01 * math.exp(-10 / 16.8), rel=1e-9)
    assert changes[-20.0] == pytest.approx(-100 * 60 * 0.0055 * math.exp(-20 / 33.7), rel=1e-9)


def test_triplet_rule_is_frequency_dependent_and_pair_rule_is_not(tmp_path: Path) -> None:
    results = run_recipe(TRIPLET_FREQUENCY, tmp_path)
    freqs = results["frequencies_hz"]
    low, high = freqs.index(0.1), freqs.index(50.0)
    minimal = results["weight_change_percent"]["triplet_minimal"]
    # 0.1 Hz, by hand: no pre-post LTP (A2+ = 0, o2 has decayed), post-pre LTD A2- e^{-10/33.7}
    assert minimal["pre_post"][low] == pytest.approx(0.0, abs=1e-9)
    assert minimal["post_pre"][low] == pytest.approx(-100 * 60 * 7.1e-3 * math.exp(-10 / 33.7))
    for name in ("triplet_full", "triplet_minimal"):
        change = results["weight_change_percent"][name]
        assert change["post_pre"][low] < -20 and change["post_pre"][high] > 20  # LTD -> LTP
        assert change["pre_post"][high] > change["pre_post"][low] + 50
        assert change["pre_post"] == sorted(change["pre_post"])  # LTP grows with frequency
    pair = results["weight_change_percent"]["pair"]
    # the pair rule: opposite signs at low frequency, the same small change at high frequency
    assert pair["pre_post"][low] > 10 and pair["post_pre"][low] < -10
    assert abs(pair["pre_post"][high] - pair["post_pre"][high]) < 2
    assert pair["pre_post"][high] <= 0 and pair["post_pre"][high] <= 0


def test_song_abbott_weights_go_to_the_bounds_and_the_rate_is_regulated(tmp_path: Path) -> None:
    results = run_recipe(SONG_ABBOTT, tmp_path, duration=20.0, epochs=2, probe=0.5)
    slow, fast = results["per_input_rate"]["15Hz"], results["per_input_rate"]["30Hz"]
    # before learning, doubling the input rate multiplies the output rate many times over
    assert fast["initial_rate_hz"] > 5 * slow["initial_rate_hz"]
    # after learning the output rates are close and the fast network's rate has collapsed
    assert fast["final_rate_hz"] < 2 * slow["final_rate_hz"]
    assert fast["final_rate_hz"] < 0.2 * fast["initial_rate_hz"]
    # weights leave the uniform start (20% within 10% of a bound) for the bounds
    assert slow["fraction_near_zero"] + slow["fraction_near_max"] > 0.25
    assert slow["end_to_middle_ratio"] > 1.3
    assert fast["fraction_near_zero"] > 0.3


def test_hodgkin_huxley_recipe_thresholds_and_traces(tmp_path: Path) -> None:
    # a short run: the reference rates and the repetitive threshold need the full settings
    # (see the recipe's defaults); test_spiking_neurons checks the rate at 10 uA/cm2
    results = run_recipe(
        HODGKIN_HUXLEY,
        tmp_path,
        duration=0.015,
        epochs=1,
        currents=(0.0, 20.0),
        single_range=(2.2, 2.3),
        repetitive_range=(6.0, 6.1),
        fine_step=0.05,
        trace_current=10.0,
        trace_duration=0.01,
    )
    assert results["resting_potential_mv"] == pytest.approx(-65.0, abs=0.5)
    assert results["spike_peak_mv"] > 0.0
    assert results["single_spike_threshold"] == pytest.approx(2.25)  # 2.2 is silent
    assert results["spike_counts"] == [0, 2]  # 20 uA/cm2: spikes at about 1.3 and 13 ms


def test_song_abbott_resumes_exactly_after_an_interruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hebbian.experiments.spiking import song_abbott as spiking

    g_max = 0.05  # A+ = 0.01 g_max, A- = 1.05 A+, as in Brian2's example
    settings = {
        "network.n_inputs": 200,
        "network.stdp.w_max": g_max,
        "network.stdp.a_plus": 0.01 * g_max,
        "network.stdp.a_minus": 1.05 * (0.01 * g_max),
        "duration": 0.6,
        "epochs": 3,
        "probe": 0.1,
        "raster_duration": 0.1,
    }
    config = build_config(SONG_ABBOTT.config_type, {**SONG_ABBOTT.tour, **settings})
    straight = execute(SONG_ABBOTT, config, tmp_path / "straight")["results"]

    real, calls = spiking.song_abbott_run, []

    def dies_in_epoch_three(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 4:  # epoch 1: probe + run; epoch 2: run; epoch 3: killed
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(spiking, "song_abbott_run", dies_in_epoch_three)
    with pytest.raises(KeyboardInterrupt):
        execute(SONG_ABBOTT, config, tmp_path / "resumed")
    monkeypatch.setattr(spiking, "song_abbott_run", real)
    resumed = execute(SONG_ABBOTT, config, tmp_path / "resumed", resume=True)["results"]
    assert min(straight["final_rate_hz"]) > 0  # the networks did fire (and learn)
    assert resumed == straight


@pytest.mark.parametrize(
    ("recipe", "settings", "message"),
    [
        # a derived number of steps of zero names the settings that make it, with values
        (
            HODGKIN_HUXLEY,
            {"dt": 1.0},
            r"duration / epochs must be a whole number >= 1 of steps dt, got duration = 0.2 s, "
            r"epochs = 2 and dt = 1 s \(0.1 steps\)",
        ),
        (HODGKIN_HUXLEY, {"dt": 1e-4}, r"dt must be at most 5e-05 s .* got dt = 0.0001 s"),
        (HODGKIN_HUXLEY, {"trace_duration": 1e-7}, r"trace_duration must be a whole number"),
        (SONG_ABBOTT, {"probe": 1e-6}, r"probe must be a whole number >= 1 of steps dt"),
        (SONG_ABBOTT, {"dt": 3e-4}, r"got duration = 60 s, epochs = 6 and dt = 0.0003 s"),
        (STDP_WINDOW, {"resolution": 1.0}, r"delta_t_step must be a whole number .* resolution"),
        (TRIPLET_FREQUENCY, {"resolution": 1.0}, r"delta_t must be a whole number .* resolution"),
        # sizes that cannot fit are refused before anything is allocated
        (STDP_WINDOW, {"pairings": 10**9}, r"pairings=1000000000 \(41 protocols.* would need "),
        (TRIPLET_FREQUENCY, {"pairings": 10**9}, r"pairings=1000000000 .* would need "),
        (SONG_ABBOTT, {"network.n_inputs": 10**9}, r"network.n_inputs=1000000000.* would need "),
        (HODGKIN_HUXLEY, {"fine_step": 1e-9}, r"fine_step=1e-09 .* would need .* this machine has"),
    ],
)
def test_settings_that_cannot_run_are_refused_in_one_line_naming_them(
    recipe: Recipe, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        build_config(recipe.config_type, {**recipe.tour, **settings})
    assert "\n" not in str(caught.value)


def test_hodgkin_huxley_run_that_diverges_stops_with_one_line_naming_dt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hebbian.experiments.spiking import hodgkin_huxley as spiking

    monkeypatch.setattr(spiking, "HH_MAX_DT", 1.0)  # let a too-large dt through the config
    config = build_config(
        HODGKIN_HUXLEY.config_type,
        {
            "dt": 2e-4,
            "duration": 0.02,
            "epochs": 1,
            "currents": (0.0, 10.0),
            "single_range": (2.2, 2.3),
            "repetitive_range": (6.0, 6.1),
            "fine_step": 0.1,
            "trace_duration": 0.01,
        },
    )
    with pytest.raises(
        ValueError, match=r"epoch 1: dt = 0.0002 s is too large: RK4 diverged at the currents"
    ):
        execute(HODGKIN_HUXLEY, config, tmp_path)


DIEHL_COOK_TINY = {
    "network.n_excitatory": 10,
    "network.presentation": 0.05,
    "network.rest": 0.01,
    "train_images": 32,
    "epochs": 2,
    "parallel_images": 8,
    "label_images": 120,
    "test_images": 60,
    "kmeans_iterations": 5,
}


def test_diehl_cook_digits_runs_scores_both_learners_and_draws_its_figures(
    tmp_path: Path,
) -> None:
    from hebbian.experiments.spiking import DIEHL_COOK_DIGITS

    results = run_recipe(DIEHL_COOK_DIGITS, tmp_path, **DIEHL_COOK_TINY)
    assert results["train_images"] == 32
    assert 0.0 <= results["test_accuracy"] <= 1.0
    assert 0.1 < results["kmeans_test_accuracy"] <= 1.0  # 10 centroids beat chance
    assert results["accuracy_minus_kmeans"] == pytest.approx(  # rounded to 6 decimals
        results["test_accuracy"] - results["kmeans_test_accuracy"], abs=1e-6
    )
    files = {f["file"] for f in execute_summary(tmp_path)["figures"]}
    assert files == {"weights.png", "assignments.png", "rates.png"}


def execute_summary(folder: Path) -> dict[str, Any]:
    import json

    return json.loads((folder / "summary.json").read_text())


def test_diehl_cook_resumes_exactly_after_an_interruption(
    tmp_path: Path, killed_and_resumed: Any
) -> None:
    from hebbian.experiments.spiking import DIEHL_COOK_DIGITS

    config = build_config(DIEHL_COOK_DIGITS.config_type, DIEHL_COOK_TINY)
    straight = execute(DIEHL_COOK_DIGITS, config, tmp_path / "straight")["results"]
    resumed = killed_and_resumed(DIEHL_COOK_DIGITS, config, tmp_path / "resumed")["results"]
    for key in ("test_accuracy", "kmeans_test_accuracy", "theta_mean_mv", "test_spikes_per_image"):
        assert resumed[key] == straight[key]


@pytest.mark.filterwarnings("ignore::hebbian.data.DatasetDigestWarning")  # tiny stand-ins
def test_diehl_cook_mnist_reads_mnist_and_would_judge_the_papers_accuracy(
    tmp_path: Path, tiny_mnist: Path
) -> None:
    from hebbian.experiments.spiking import DIEHL_COOK_MNIST

    settings = {**DIEHL_COOK_TINY, "label_images": None, "test_images": None}
    config = build_config(DIEHL_COOK_MNIST.config_type, settings)
    summary = execute(DIEHL_COOK_MNIST, config, tmp_path / "run", data_dir=tiny_mnist)
    assert summary["results"]["dataset"] == "mnist"
    assert "MNIST" in summary["description"]
    paper = build_config(DIEHL_COOK_MNIST.config_type, {"network.n_excitatory": 400})
    rules = {rule.result: rule for rule in DIEHL_COOK_MNIST.expectations(paper)}
    assert rules["test_accuracy"].expected == 0.870  # Diehl & Cook 2015, 400 neurons
