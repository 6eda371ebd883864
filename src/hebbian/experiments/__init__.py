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
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

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
        """Import the defining module and return the recipe (``in_tour`` as registered)."""
        recipe = getattr(importlib.import_module(self.module), self.attribute)
        return recipe if recipe.in_tour == self.in_tour else replace(recipe, in_tour=self.in_tour)


_LOCAL = "hebbian.experiments.local_rules"
_HOPFIELD = "hebbian.experiments.hopfield"
_SPIKING = "hebbian.experiments.spiking"
_COMPETING = "hebbian.experiments.competing"
_PLASTIC = "hebbian.experiments.plastic"

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


_ENTRY = re.compile(r"^(?P<names>[A-Za-z_][\w, ]*?)\s*(?::\s*(?P<type>.*))?$")


def _attributes_section(doc: str) -> dict[str, str]:
    """``{name: first line of its description}`` from a numpydoc ``Attributes`` section."""
    lines = doc.expandtabs().splitlines()
    meanings: dict[str, str] = {}
    inside, names, indent, continued = False, [], None, False
    for number, line in enumerate(lines):
        stripped = line.strip()
        following = lines[number + 1].strip() if number + 1 < len(lines) else ""
        if stripped in ("Attributes", "Parameters") and set(following) == {"-"}:
            inside, names, indent = stripped == "Attributes", [], len(line) - len(line.lstrip())
            continue
        if not inside or set(stripped) == {"-"}:
            continue
        level = len(line) - len(line.lstrip())
        if stripped and level <= indent and following and set(following) == {"-"}:
            inside = False  # the next section starts
            continue
        if not stripped:
            continue
        if level <= indent:
            match = _ENTRY.match(stripped)
            found = [n.strip() for n in match["names"].split(",")] if match else []
            found = [n for n in found if n]
            # a list of names may wrap: "a, b,\n    c : float" documents a, b and c
            names = [*names, *found] if continued else found
            continued = stripped.endswith(",")
            for name in names:
                meanings.setdefault(name, "")
        else:
            continued = False
            for name in names:
                meanings[name] = f"{meanings[name]} {stripped}".strip()
    return {name: _first_sentence(text) for name, text in meanings.items()}


_ROLE = re.compile(r":\w+:`~?([^`]+)`")


def _first_sentence(text: str, width: int = 110) -> str:
    """The first sentence of a description, without reST markup, at most ``width`` long."""
    text = _ROLE.sub(r"\1", text).replace("``", "")
    end = re.search(r"(?<!\.)\.(?!\.)(\s|$)", text)  # not the dots of "0 .. n"
    sentence = text[: end.start() + 1] if end else text
    if len(sentence) > width:
        sentence = sentence[: width - 1].rsplit(" ", 1)[0] + "…"
    return sentence.rstrip()


def setting_meanings(config_type: type) -> dict[str, str]:
    """``{setting: one-line meaning}`` for every field of a config dataclass.

    The meanings come from the numpydoc ``Attributes`` sections of the class and its
    bases (the first documentation of a name along the MRO wins); an entry such as
    ``learning_rate, final_learning_rate : float`` documents each name it lists. A
    field documented nowhere maps to ``""``.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Demo:
    ...     '''Settings.
    ...
    ...     Attributes
    ...     ----------
    ...     rate, final_rate : float
    ...         Learning rates at the start and the end.
    ...     '''
    ...     rate: float = 0.1
    ...     final_rate: float = 0.0
    ...     steps: int = 3
    >>> setting_meanings(Demo)
    {'rate': 'Learning rates at the start and the end.', \
'final_rate': 'Learning rates at the start and the end.', 'steps': ''}
    """
    import dataclasses

    documented: dict[str, str] = {}
    for klass in config_type.__mro__:
        for name, meaning in _attributes_section(klass.__doc__ or "").items():
            if meaning and not documented.get(name):
                documented[name] = meaning
    return {f.name: documented.get(f.name, "") for f in dataclasses.fields(config_type)}


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
