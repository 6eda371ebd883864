"""Recipes: reproducible experiments, registered by name.

``RECIPES`` lists them in tour order; :func:`get_recipe` finds one by name.
"""

from __future__ import annotations

from dataclasses import replace

from hebbian.experiments.base import Recipe, build_config, execute
from hebbian.experiments.competing import KROTOV_DIGITS, KROTOV_FASHION
from hebbian.experiments.hopfield import DENSE_CAPACITY, HOPFIELD_CAPACITY, HOPFIELD_IMAGES
from hebbian.experiments.local_rules import (
    BCM_SELECTIVITY,
    HEBB_RUNAWAY,
    OJA_DIGITS,
    SANGER_DIGITS,
)
from hebbian.experiments.plastic import (
    NEUROMOD_CUE_REWARD,
    PLASTIC_IMAGES,
    PLASTIC_ONESHOT,
    PLASTIC_PATTERNS,
)
from hebbian.experiments.spiking import (
    HODGKIN_HUXLEY,
    SONG_ABBOTT,
    STDP_WINDOW,
    TRIPLET_FREQUENCY,
)

__all__ = ["RECIPES", "TOUR_RECIPES", "Recipe", "build_config", "execute", "get_recipe"]

RECIPES: tuple[Recipe, ...] = (
    OJA_DIGITS,
    SANGER_DIGITS,
    BCM_SELECTIVITY,
    HEBB_RUNAWAY,
    HOPFIELD_CAPACITY,
    DENSE_CAPACITY,
    HOPFIELD_IMAGES,
    STDP_WINDOW,
    SONG_ABBOTT,
    HODGKIN_HUXLEY,
    TRIPLET_FREQUENCY,
    KROTOV_DIGITS,
    KROTOV_FASHION,
    PLASTIC_PATTERNS,
    # the tour shows the small pattern task only (issue 5); these run with `hebbian run`
    replace(PLASTIC_IMAGES, in_tour=False),
    replace(PLASTIC_ONESHOT, in_tour=False),
    replace(NEUROMOD_CUE_REWARD, in_tour=False),
)

TOUR_RECIPES: tuple[Recipe, ...] = tuple(r for r in RECIPES if r.in_tour)


def get_recipe(name: str) -> Recipe:
    """Return the recipe called ``name``; an unknown name lists the valid ones.

    >>> get_recipe("sanger-digits").topic
    'Hebbian learning'
    """
    for recipe in RECIPES:
        if recipe.name == name:
            return recipe
    valid = ", ".join(r.name for r in RECIPES)
    raise ValueError(f"unknown recipe {name!r}; valid recipes: {valid}")
