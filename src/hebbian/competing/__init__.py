r"""Competing hidden units: Krotov & Hopfield's unsupervised rule and its top layer.

Krotov & Hopfield, "Unsupervised learning by competing hidden units", PNAS 116 (16),
7723-7731 (2019), arXiv:1806.10181. A layer of ``H`` hidden units with weights
``W`` (``H x N``) learns from inputs ``v`` (``N``) without labels; a supervised top
layer is then trained on the frozen hidden layer.

**Unsupervised rule.** The currents are inner products in the p-norm metric,
:math:`I_\mu = \sum_i \operatorname{sign}(W_{\mu i}) |W_{\mu i}|^{p-1} v_i`. For each
sample the strongest unit gets :math:`g = 1`, the ``k``-th strongest
:math:`g = -\Delta`, all others 0; the change summed over a batch,
:math:`\Delta W_{\mu i} = \sum_b g_{b\mu} (v_{bi} - I_{b\mu} W_{\mu i})`, is applied
divided by its largest magnitude with a rate annealed linearly to zero over the
epochs. For a unit that only wins, :math:`\frac{d}{dt}\lVert W_\mu \rVert_p^p = p\,
g I_\mu (1 - \lVert W_\mu \rVert_p^p)`: its weights converge to the unit sphere of
the p-norm.

**Top layer.** :math:`c_\alpha = \tanh(\beta \sum_\mu S_{\alpha\mu} h_\mu)` on
:math:`h = \operatorname{ReLU}(W \hat v)^n`, trained with the loss
:math:`\sum_\alpha |c_\alpha - t_\alpha|^m` (or cross-entropy).

Modules:

* :mod:`~hebbian.competing.params`: :class:`CompetingParams`, :class:`Init`, the two
  named variants :class:`AntiHebbian` and :class:`Homeostasis` (defaults: the
  published rule) and the checks of ``p``, ``k``, ``delta``;
* :mod:`~hebbian.competing.rule`: the pure maths, :func:`power_weights`,
  :func:`hidden_currents`, :func:`competition`, :func:`competing_update` (returns
  ``dW``), :func:`normalised_increment`, :func:`annealed_rate`, :func:`p_norms`;
* :mod:`~hebbian.competing.training`: :func:`initial_weights`,
  :func:`competing_epoch` and :func:`competing_epoch_outcome` (one shuffled pass,
  exact ranking, row-sparse updates or a reduced dense step; the second also returns
  each unit's wins, counted on the device) and the one loop :func:`fit_competing`;
* :mod:`~hebbian.competing.distributed`: data-parallel training with
  :mod:`torch.distributed` (also importable as :mod:`hebbian.distributed`);
* :mod:`~hebbian.competing.top_layer`: :func:`hidden_features`, :class:`TopLayer`,
  :class:`CompetingClassifier`, :func:`top_layer_loss`, :func:`supervised_epoch`,
  :func:`top_layer_epoch`, :func:`accuracy` and :class:`BackpropBaseline`;
* :mod:`~hebbian.competing.estimator`: :class:`CompetingHiddenUnits`, a
  scikit-learn style transformer.
"""

from hebbian.competing.estimator import CompetingHiddenUnits
from hebbian.competing.params import AntiHebbian, CompetingParams, Homeostasis, Init
from hebbian.competing.rule import (
    annealed_rate,
    competing_update,
    competition,
    hidden_currents,
    normalised_increment,
    p_norms,
    power_weights,
)
from hebbian.competing.top_layer import (
    BackpropBaseline,
    CompetingClassifier,
    TopLayer,
    TopLoss,
    accuracy,
    cosine_rate,
    hidden_features,
    power_loss,
    set_learning_rate,
    supervised_epoch,
    top_layer_epoch,
    top_layer_loss,
)
from hebbian.competing.training import (
    EpochOutcome,
    Reduce,
    competing_epoch,
    competing_epoch_outcome,
    fit_competing,
    initial_weights,
)

__all__ = [
    "AntiHebbian",
    "BackpropBaseline",
    "CompetingClassifier",
    "CompetingHiddenUnits",
    "CompetingParams",
    "EpochOutcome",
    "Homeostasis",
    "Init",
    "Reduce",
    "TopLayer",
    "TopLoss",
    "accuracy",
    "annealed_rate",
    "competing_epoch",
    "competing_epoch_outcome",
    "competing_update",
    "competition",
    "cosine_rate",
    "fit_competing",
    "hidden_currents",
    "hidden_features",
    "initial_weights",
    "normalised_increment",
    "p_norms",
    "power_loss",
    "power_weights",
    "set_learning_rate",
    "supervised_epoch",
    "top_layer_epoch",
    "top_layer_loss",
]
