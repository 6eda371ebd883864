"""hebbian: Hebbian learning and synaptic plasticity in PyTorch.

The package is organised by topic; ``docs/ARCHITECTURE.md`` describes the layout:

* :mod:`hebbian.rules`: local learning rules as pure functions returning ``dw``, and rule objects;
* :mod:`hebbian.layers`: ``HebbianLinear``, the one module that applies a rule to weights;
* :mod:`hebbian.estimators`: scikit-learn style estimators for the PCA-like rules;
* :mod:`hebbian.competing`: Krotov & Hopfield's competing hidden units (rule, training,
  distributed training, top layer, estimator);
* :mod:`hebbian.hopfield`: classical, dense and modern Hopfield memories, and their theory;
* :mod:`hebbian.spiking`: LIF and Hodgkin-Huxley neurons, Poisson inputs, STDP, networks
  and protocols;
* :mod:`hebbian.plastic`: differentiable plasticity and neuromodulation;
* :mod:`hebbian.data`: the MNIST-family reader, the data registry and pattern generators;
* :mod:`hebbian.runs`: run folders with config, metrics, checkpoints, resume, and the trainer;
* :mod:`hebbian.report`: figures and the HTML report;
* :mod:`hebbian.experiments`: recipes that reproduce published results, by name;
* :mod:`hebbian.cli`: the ``hebbian`` command.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
