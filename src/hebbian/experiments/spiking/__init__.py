"""Recipes for spiking neurons and STDP: the STDP window, Song-Abbott, Hodgkin-Huxley, triplets.

One module per recipe:

* :mod:`~hebbian.experiments.spiking.window`, ``stdp-window``: pairing protocols (60
  pairings at 1 Hz, Bi & Poo 1998) give the learning window; exponential fits recover
  the configured time constants.
* :mod:`~hebbian.experiments.spiking.song_abbott`, ``song-abbott``: Song, Miller &
  Abbott (2000): 1000 Poisson inputs onto one conductance-based LIF neuron with additive
  STDP; the weights become bimodal and the output rate is regulated.
* :mod:`~hebbian.experiments.spiking.hodgkin_huxley`, ``hodgkin-huxley``: the action
  potential, the f-I curve and the thresholds for one spike and for repetitive firing of
  the 1952 squid axon model.
* :mod:`~hebbian.experiments.spiking.triplet`, ``triplet-frequency``: weight change
  against pairing frequency for the triplet rule (Pfister & Gerstner 2006) and the pair
  rule.
* :mod:`~hebbian.experiments.spiking.diehl_cook`, ``diehl-cook-digits``,
  ``diehl-cook-fashion``, ``diehl-cook-mnist``: STDP with lateral inhibition learns
  images without labels (Diehl & Cook 2015), against k-means of the same size.

The models, the protocols and the measurements live in :mod:`hebbian.spiking`; these
modules hold the recipes' configs, runs and figures. Every public name of the former
single module ``hebbian.experiments.spiking`` is re-exported here.
"""

from hebbian.experiments.spiking._shared import TOPIC
from hebbian.experiments.spiking.diehl_cook import (
    DIEHL_COOK_DIGITS,
    DIEHL_COOK_FASHION,
    DIEHL_COOK_MNIST,
    DiehlCookConfig,
    run_diehl_cook,
)
from hebbian.experiments.spiking.hodgkin_huxley import (
    HH_MAX_DT,
    HH_ONSET_RATE,
    HH_REFERENCE_RATES,
    HH_REPETITIVE_THRESHOLD,
    HH_SINGLE_SPIKE_THRESHOLD,
    HODGKIN_HUXLEY,
    HHConfig,
    run_hodgkin_huxley,
)
from hebbian.experiments.spiking.song_abbott import SONG_ABBOTT, SongAbbottConfig, run_song_abbott
from hebbian.experiments.spiking.triplet import (
    TRIPLET_FREQUENCY,
    TRIPLET_PAIR_RULE,
    UNBOUNDED,
    VISUAL_CORTEX_FULL,
    VISUAL_CORTEX_MINIMAL,
    TripletFrequencyConfig,
    run_triplet_frequency,
)
from hebbian.experiments.spiking.window import (
    BI_POO_RULE,
    STDP_WINDOW,
    WindowConfig,
    run_stdp_window,
)

__all__ = [
    "BI_POO_RULE",
    "DIEHL_COOK_DIGITS",
    "DIEHL_COOK_FASHION",
    "DIEHL_COOK_MNIST",
    "HH_MAX_DT",
    "HH_ONSET_RATE",
    "HH_REFERENCE_RATES",
    "HH_REPETITIVE_THRESHOLD",
    "HH_SINGLE_SPIKE_THRESHOLD",
    "HODGKIN_HUXLEY",
    "SONG_ABBOTT",
    "STDP_WINDOW",
    "TOPIC",
    "TRIPLET_FREQUENCY",
    "TRIPLET_PAIR_RULE",
    "UNBOUNDED",
    "VISUAL_CORTEX_FULL",
    "VISUAL_CORTEX_MINIMAL",
    "DiehlCookConfig",
    "HHConfig",
    "SongAbbottConfig",
    "TripletFrequencyConfig",
    "WindowConfig",
    "run_diehl_cook",
    "run_hodgkin_huxley",
    "run_song_abbott",
    "run_stdp_window",
    "run_triplet_frequency",
]
