"""``neuromod-cue-reward``: cue-reward association (Miconi et al. ICLR 2019, 4.1).

Neuromodulated plastic networks against non-modulated ones and non-plastic baselines,
meta-trained with Adam; all randomness from ``run.generator``, every logged epoch
checkpointed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from hebbian._checks import check_in_range, check_memory, check_positive, check_positive_int
from hebbian.experiments.base import Expectation, Recipe
from hebbian.experiments.plastic._shared import (
    TOPIC,
    check_models,
    check_multiple,
    curves,
    model_means,
    within_episode,
)
from hebbian.plastic import (
    CueRewardTask,
    ModelKind,
    cue_reward_model,
    cue_reward_step,
    play_cue_reward,
)
from hebbian.runs import Run, Trainer

__all__ = ["NEUROMOD_CUE_REWARD", "CueRewardConfig", "run_cue_reward"]


@dataclass(frozen=True)
class CueRewardConfig:
    """Settings of ``neuromod-cue-reward``.

    Attributes
    ----------
    task : CueRewardTask
        The task (:class:`hebbian.plastic.CueRewardTask`), settings ``task.cue_size``
        and so on.
    models : tuple of ModelKind
        ``retroactive``, ``modulated`` (the neuromodulated plastic networks), ``plastic``
        (clipped Hebb without neuromodulation), ``rnn`` (non-plastic) and ``lstm``.
    hidden : int
        Recurrent neurons of every network (LSTM units for the LSTM).
    steps, batch_size, steps_per_epoch : int
        Adam steps, episodes per step, and steps between logged points.
    learning_rate : float
        Adam's step size.
    max_grad_norm : float
        Before each Adam step the gradient's global norm is clipped to this value
        (``torch.nn.utils.clip_grad_norm_``); 2.0 is the authors' value (``--gc 2.0`` in
        their cue-reward code). 0 turns clipping off. Without it simple modulation's
        gradient norm reaches ~1e5 and it stays at chance (the ``*_grad_norm`` metrics
        log the norm before clipping). With it, simple modulation still stays at chance
        in 3 of seeds 0-4 (a stall with small gradients; docs/RESULTS.md).
    eta, alpha_init, modulator_std : float
        Initial plasticity rate (of the eligibility trace for ``retroactive``), scale of
        the initial plasticity coefficients, and standard deviation of the initial
        neuromodulator weights. They are small so that no trace starts at the clipping
        bound, where it passes no gradient: with ``eta=0.1`` and ``modulator_std``
        ``1/sqrt(hidden)`` the traces saturate within an episode and, in our trials,
        no plastic network learned in 1,000 steps.
    test_episodes : int
        Fresh episodes for the final numbers (answers: the most likely ones).
    """

    task: CueRewardTask = field(default_factory=CueRewardTask)
    models: tuple[ModelKind, ...] = (
        ModelKind.RETROACTIVE,
        ModelKind.MODULATED,
        ModelKind.PLASTIC,
        ModelKind.RNN,
        ModelKind.LSTM,
    )
    hidden: int = 64
    steps: int = 1000
    batch_size: int = 16
    steps_per_epoch: int = 50
    learning_rate: float = 3e-3
    max_grad_norm: float = 2.0
    eta: float = 0.01
    alpha_init: float = 0.1
    modulator_std: float = 0.01
    test_episodes: int = 512

    def __post_init__(self) -> None:
        check_models(self.models, tuple(ModelKind))
        check_positive_int("hidden", self.hidden)
        check_positive_int("steps", self.steps)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("steps_per_epoch", self.steps_per_epoch)
        check_positive_int("test_episodes", self.test_episodes)
        check_positive("learning_rate", self.learning_rate)
        check_positive("max_grad_norm", self.max_grad_norm, allow_zero=True)
        check_in_range("eta", self.eta, 0.0, 1.0)
        check_positive("alpha_init", self.alpha_init)
        check_positive("modulator_std", self.modulator_std, allow_zero=True)
        check_multiple("steps", self.steps, "steps_per_epoch", self.steps_per_epoch)
        steps, h = self.task.trials * self.task.steps_per_trial, self.hidden
        check_memory(  # per model: weights with Adam state, the traces of every step
            f"hidden={h}, batch_size={self.batch_size}, trials={self.task.trials}, "
            f"test_episodes={self.test_episodes} (weights, Adam state, and the Hebbian traces "
            "of every step kept for backpropagation)",
            4 * len(self.models) * (15 * h * h + 2 * self.batch_size * steps * h * h
                                    + 2 * self.test_episodes * h * h),
        )  # fmt: skip


def run_cue_reward(config: CueRewardConfig, run: Run) -> dict[str, Any]:
    """Train each network to find, within each episode, which cue is rewarded."""
    task = config.task
    models = {
        kind.value: cue_reward_model(
            kind,
            task.input_size,
            config.hidden,
            eta=config.eta,
            alpha_init=config.alpha_init,
            modulator_std=config.modulator_std,
            generator=run.generator,
        ).to(run.device)
        for kind in config.models
    }
    optimisers = {
        name: torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        for name, model in models.items()
    }
    half = task.trials // 2

    def epoch_fn(epoch: int) -> dict[str, Any]:
        keys = ("loss", "late_accuracy", "late_reward", "grad_norm")
        sums = {name: dict.fromkeys(keys, 0.0) for name in models}
        for _ in range(config.steps_per_epoch):
            episodes = task.sample(config.batch_size, generator=run.generator, device=run.device)
            correct = task.correct_answers(episodes)
            for name, model in models.items():
                loss, logits, rewards, norm = cue_reward_step(
                    model,
                    optimisers[name],
                    task,
                    episodes,
                    run.generator,
                    max_grad_norm=config.max_grad_norm,
                )
                right = (logits.argmax(dim=2) == correct).float()
                sums[name]["loss"] += loss
                sums[name]["late_accuracy"] += right[:, half:].mean().item()
                sums[name]["late_reward"] += rewards[:, half:].mean().item()
                sums[name]["grad_norm"] += norm
        metrics: dict[str, Any] = {"steps": epoch * config.steps_per_epoch}
        metrics.update(model_means(sums, config.steps_per_epoch))
        return metrics

    Trainer(run, models, optimisers).train(config.steps // config.steps_per_epoch, epoch_fn)

    test = task.sample(config.test_episodes, generator=run.generator, device=run.device)
    truth = task.correct_answers(test)
    results: dict[str, Any] = {
        "trials": task.trials,
        "chance_accuracy": 0.5,
        "chance_reward": 0.0,
        "best_reward": 0.5,
    }
    by_trial = {}
    with torch.no_grad():
        for name, model in models.items():
            _, answers, rewards = play_cue_reward(model, task, test, run.generator, greedy=True)
            right = (answers == truth).float()
            by_trial[name] = right.mean(dim=0).cpu()
            results[f"{name}_late_accuracy"] = right[:, half:].mean().item()
            results[f"{name}_late_reward"] = rewards[:, half:].mean().item()
            results[f"{name}_first_trial_accuracy"] = right[:, 0].mean().item()
            results[f"{name}_last_trial_accuracy"] = right[:, -1].mean().item()
    fig, ax = curves(
        run,
        [(f"{name}_late_accuracy", name) for name in models],
        "steps",
        "fraction right, second half of the episode",
        "cue-reward association",
    )
    ax.axhline(0.5, color="k", linestyle=":", linewidth=1, label="chance: 0.5")
    ax.legend(fontsize=8)
    run.save_figure(
        fig,
        "training",
        "Fraction of right answers (the network's most likely answer) over the second half "
        "of each training episode, against Adam steps; the answers that earned the rewards "
        "were drawn from the network's softmax.",
    )
    run.save_figure(
        within_episode(by_trial),
        "within_episode",
        "After training, on fresh test episodes (greedy answers): the fraction of right "
        "answers at each trial. A network that learns from the rewards starts at chance "
        "(0.5) and improves as the episode goes on.",
    )
    return results


_CUE_NAMES = {
    ModelKind.RETROACTIVE: "retroactive neuromodulation",
    ModelKind.MODULATED: "simple neuromodulation",
    ModelKind.PLASTIC: "clipped Hebbian plasticity without modulation",
    ModelKind.RNN: "a non-plastic RNN",
    ModelKind.LSTM: "an LSTM",
}


def _describe_cue_reward(config: CueRewardConfig) -> str:
    models = ", ".join(_CUE_NAMES[kind] for kind in config.models)
    clipping = (
        f"the gradient's norm clipped to {config.max_grad_norm:g} before each step"
        if config.max_grad_norm > 0
        else "without gradient clipping"
    )
    return (
        "Backpropamine (Miconi, Rawal, Clune & Stanley, ICLR 2019, section 4.1): the network "
        "computes its own plasticity rate M(t) = tanh(w_M . x(t)), either applied directly, "
        "Hebb <- clip(Hebb + M(t) x(t) x(t-1)^T), or retroactively through an eligibility "
        f"trace. In each episode one of {config.task.cues} random {config.task.cue_size}-bit "
        f"cues is the target; each of {config.task.trials} trials shows two cues and the "
        "network answers "
        "go (the target is among them) or no-go. Going earns +1 if the target is there and "
        "-1 if not, no-go earns 0: only these rewards tell the network which cue is the "
        "target. Unlike the paper, which trained with advantage actor-critic for millions "
        f"of episodes, the networks ({config.hidden} neurons each) are meta-trained here by "
        f"cross-entropy on their answers for {config.steps} Adam steps of "
        f"{config.batch_size} episodes, {clipping} (within an episode the only "
        f"information is still the reward). Compared: {models}. Paper: the neuromodulated "
        "networks learn the task, the non-modulated ones do not (scored here as at least 75% "
        "and at most 60% of the second half's answers right)."
    )


def _cue_reward_expectations(config: CueRewardConfig) -> list[Expectation]:
    source = "paper: Miconi et al. 2019, 4.1, "
    rules_ = []
    for kind in config.models:
        name = kind.value
        if kind in (ModelKind.RETROACTIVE, ModelKind.MODULATED):
            rules_.append(
                Expectation(
                    f"{name}_late_accuracy", 0.75, source + "neuromodulated networks learn it",
                    relation="at_least",
                )
            )  # fmt: skip
        else:
            rules_.append(
                Expectation(
                    f"{name}_late_accuracy", 0.6, source + "non-modulated networks do not",
                    relation="at_most",
                )
            )  # fmt: skip
    return rules_


NEUROMOD_CUE_REWARD = Recipe(
    name="neuromod-cue-reward",
    summary="neuromodulated plastic networks learn which cue is rewarded, within each episode",
    topic=TOPIC,
    description=_describe_cue_reward,
    expectations=_cue_reward_expectations,
    config_type=CueRewardConfig,
    run=run_cue_reward,
    tour={
        "task.trials": 6,
        "hidden": 16,
        "steps": 20,
        "batch_size": 8,
        "steps_per_epoch": 10,
        "test_episodes": 32,
    },
)
