"""Recipes: reproducible experiments, registered by name.

``RECIPES`` lists them in tour order; :func:`get_recipe` finds one by name.

Importing this package is cheap: :data:`REGISTRY` holds each recipe's name, summary,
topic and the module that defines it, so ``hebbian --help`` and ``hebbian list``
answer without importing torch. A recipe's module (and torch with it) is imported
only when the recipe itself is asked for, by :func:`get_recipe` or through
``RECIPES``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hebbian.experiments.settings import setting_meanings

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from hebbian.experiments.base import Recipe

__all__ = [
    "RECIPES",
    "REGISTRY",
    "TOUR_RECIPES",
    "Recipe",
    "RecipeEntry",
    "build_config",
    "execute",
    "get_recipe",
    "recipe_entry",
    "setting_meanings",
]


@dataclass(frozen=True)
class RecipeEntry:
    """What ``hebbian list`` and the tour need to know of a recipe without importing it.

    Attributes
    ----------
    name : str
        The recipe's name (``hebbian run NAME``).
    summary : str
        Its one-line summary; equal to the recipe's own ``summary``.
    topic : str
        The tour section it belongs to.
    in_tour : bool
        Whether ``hebbian tour`` runs it.
    module : str
        The module that defines the recipe.
    attribute : str
        The recipe's name in that module.
    """

    name: str
    summary: str
    topic: str
    in_tour: bool
    module: str
    attribute: str

    def load(self) -> Recipe:
        """Import the defining module and return the recipe."""
        recipe: Recipe = getattr(importlib.import_module(self.module), self.attribute)
        return recipe


_LOCAL = "hebbian.experiments.local_rules"
_HOPFIELD = "hebbian.experiments.hopfield"
_SPIKING = "hebbian.experiments.spiking"
_COMPETING = "hebbian.experiments.competing"
_PLASTIC = "hebbian.experiments.plastic"
_DEEP = "hebbian.experiments.deep"

# tour order; tests/test_cli_commands.py checks every line against the recipe itself
REGISTRY: tuple[RecipeEntry, ...] = (
    RecipeEntry(
        "oja-digits",
        "Oja's rule finds the first principal component of the 8x8 digits",
        "Hebbian learning", True, _LOCAL, "OJA_DIGITS",
    ),
    RecipeEntry(
        "sanger-digits",
        "Sanger's generalized Hebbian algorithm finds the ordered principal components",
        "Hebbian learning", True, _LOCAL, "SANGER_DIGITS",
    ),
    RecipeEntry(
        "bcm-selectivity",
        "BCM neurons with a sliding threshold become selective to one input pattern",
        "Hebbian learning", True, _LOCAL, "BCM_SELECTIVITY",
    ),
    RecipeEntry(
        "hebb-runaway",
        "plain Hebb's weights grow without bound; Oja's rule keeps them at unit norm",
        "Hebbian learning", True, _LOCAL, "HEBB_RUNAWAY",
    ),
    RecipeEntry(
        "hopfield-capacity",
        "recall against the load P/N for Hebb, Storkey and pseudo-inverse, with theory",
        "Hopfield memories", True, _HOPFIELD, "HOPFIELD_CAPACITY",
    ),
    RecipeEntry(
        "dense-capacity",
        "dense associative memory capacity grows like N^(n-1) with the interaction order",
        "Hopfield memories", True, _HOPFIELD, "DENSE_CAPACITY",
    ),
    RecipeEntry(
        "hopfield-images",
        "classical vs modern Hopfield recall of stored images from masked and noisy cues",
        "Hopfield memories", True, _HOPFIELD, "HOPFIELD_IMAGES",
    ),
    RecipeEntry(
        "stdp-window",
        "the STDP learning window from pairing protocols, with exponential fits",
        "Spiking neurons and STDP", True, _SPIKING, "STDP_WINDOW",
    ),
    RecipeEntry(
        "song-abbott",
        "Song-Abbott: additive STDP makes weights bimodal and regulates the output rate",
        "Spiking neurons and STDP", True, _SPIKING, "SONG_ABBOTT",
    ),
    RecipeEntry(
        "hodgkin-huxley",
        "Hodgkin-Huxley: action potential, f-I curve and the current thresholds",
        "Spiking neurons and STDP", True, _SPIKING, "HODGKIN_HUXLEY",
    ),
    RecipeEntry(
        "triplet-frequency",
        "the triplet rule's frequency dependence that the pair rule lacks",
        "Spiking neurons and STDP", True, _SPIKING, "TRIPLET_FREQUENCY",
    ),
    RecipeEntry(
        "diehl-cook-digits",
        "Diehl & Cook: STDP learns the 8x8 digits without labels, against k-means",
        "Spiking neurons and STDP", True, _SPIKING, "DIEHL_COOK_DIGITS",
    ),
    RecipeEntry(
        "diehl-cook-fashion",
        "Diehl & Cook: STDP with lateral inhibition learns Fashion-MNIST without labels",
        "Spiking neurons and STDP", False, _SPIKING, "DIEHL_COOK_FASHION",
    ),
    RecipeEntry(
        "diehl-cook-mnist",
        "Diehl & Cook: STDP learns MNIST digits without labels (the paper's data)",
        "Spiking neurons and STDP", False, _SPIKING, "DIEHL_COOK_MNIST",
    ),
    RecipeEntry(
        "krotov-digits",
        "competing hidden units on the 8x8 digits: prototypes, unit norms, accuracy",
        "Competing hidden units", True, _COMPETING, "KROTOV_DIGITS",
    ),
    RecipeEntry(
        "krotov-fashion",
        "competing hidden units on Fashion-MNIST at 2000 units vs random features, backprop",
        "Competing hidden units", False, _COMPETING, "KROTOV_FASHION",
    ),
    RecipeEntry(
        "krotov-mnist",
        "competing hidden units on MNIST at the paper's settings (2000 units, p 3, k 7)",
        "Competing hidden units", False, _COMPETING, "KROTOV_MNIST",
    ),
    RecipeEntry(
        "softhebb-digits",
        "SoftHebb, hard WTA and Krotov conv nets on the 8x8 digits: filters, probes",
        "Deep Hebbian networks", True, _DEEP, "SOFTHEBB_DIGITS",
    ),
    RecipeEntry(
        "softhebb-fashion",
        "SoftHebb conv net on Fashion-MNIST vs hard WTA, random features, backprop",
        "Deep Hebbian networks", False, _DEEP, "SOFTHEBB_FASHION",
    ),
    RecipeEntry(
        "softhebb-cifar10",
        "the paper's SoftHebb CIFAR-10 network (96-384-1536) vs random features, backprop",
        "Deep Hebbian networks", False, _DEEP, "SOFTHEBB_CIFAR10",
    ),
    RecipeEntry(
        "hebbian-filters",
        "SoftHebb filters from whitened natural-image patches: oriented and localised",
        "Deep Hebbian networks", False, _DEEP, "HEBBIAN_FILTERS",
    ),
    RecipeEntry(
        "plastic-patterns",
        "a plastic recurrent network learns to memorise and complete binary patterns",
        "Differentiable plasticity", True, _PLASTIC, "PLASTIC_PATTERNS",
    ),
    # the tour shows the small pattern task only (issue 5); these run with `hebbian run`
    RecipeEntry(
        "plastic-images",
        "a plastic network completes a half-erased image after seeing it once among three",
        "Differentiable plasticity", False, _PLASTIC, "PLASTIC_IMAGES",
    ),
    RecipeEntry(
        "plastic-oneshot",
        "5-way 1-shot classification of unseen classes with a plastic output layer",
        "Differentiable plasticity", False, _PLASTIC, "PLASTIC_ONESHOT",
    ),
    RecipeEntry(
        "neuromod-cue-reward",
        "neuromodulated plastic networks learn which cue is rewarded, within each episode",
        "Differentiable plasticity", False, _PLASTIC, "NEUROMOD_CUE_REWARD",
    ),
    RecipeEntry(
        "backpropamine-cue-reward",
        "the paper's cue-reward task by actor-critic: modulated plastic networks vs the rest",
        "Differentiable plasticity", False, _PLASTIC, "BACKPROPAMINE_CUE_REWARD",
    ),
)  # fmt: skip


def recipe_entry(name: str) -> RecipeEntry:
    """Return the registry entry of ``name``; an unknown name lists the valid ones.

    >>> recipe_entry("oja-digits").topic
    'Hebbian learning'
    """
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    valid = ", ".join(e.name for e in REGISTRY)
    raise ValueError(f"unknown recipe {name!r}; valid recipes: {valid}")


def get_recipe(name: str) -> Recipe:
    """Return the recipe called ``name``; an unknown name lists the valid ones.

    >>> get_recipe("sanger-digits").topic
    'Hebbian learning'
    """
    return recipe_entry(name).load()


def __getattr__(name: str) -> Any:
    """Import the recipes (and torch) only when ``RECIPES`` and friends are used."""
    if name == "RECIPES":
        value: Any = tuple(entry.load() for entry in REGISTRY)
    elif name == "TOUR_RECIPES":
        value = tuple(entry.load() for entry in REGISTRY if entry.in_tour)
    elif name in ("Recipe", "build_config", "execute"):
        value = getattr(importlib.import_module("hebbian.experiments.base"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
