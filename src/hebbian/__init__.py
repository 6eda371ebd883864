"""hebbian: Hebbian learning and synaptic plasticity in PyTorch.

The package is organised by topic (see ``DESIGN.md`` in the project notes):

* :mod:`hebbian.rules`: local learning rules as pure functions returning ``dw``;
* :mod:`hebbian.layers`: ``HebbianLinear``, a module that holds weights and applies a rule;
* :mod:`hebbian.estimators`: scikit-learn style estimators for the PCA-like rules;
* :mod:`hebbian.data`: the MNIST-family reader, the data registry and pattern generators;
* :mod:`hebbian.runs`: run folders with config, metrics, checkpoints and resume;
* :mod:`hebbian.experiments`: recipes that reproduce published results, by name;
* :mod:`hebbian.cli`: the ``hebbian`` command.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
