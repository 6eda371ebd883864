"""``backpropamine-cue-reward``: the paper's cue-reward task, trained by actor-critic.

Backpropamine (Miconi, Rawal, Clune & Stanley, ICLR 2019, section 4.1) in the form of
the paper's experiment: the trial layout, the ±1 rewards given as inputs and the
advantage actor-critic outer loop of the authors' code (``sr/`` in
``uber-research/backpropamine``). Every model draws its randomness from
``run.generator`` and is checkpointed with its optimiser at every logged epoch.
"""

from __future__ import annotations

import math
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
from hebbian.plastic import ModelKind
from hebbian.plastic.models import (
    actor_critic_model,
    play_stimulus_response,
    stimulus_response_step,
)
from hebbian.plastic.tasks import StimulusResponseEpisodes, StimulusResponseTask
from hebbian.runs import Run, Trainer

__all__ = ["BACKPROPAMINE_CUE_REWARD", "BackpropamineConfig", "run_backpropamine"]

_MODULATED = (ModelKind.RETROACTIVE, ModelKind.MODULATED)
_ALLOWED = (ModelKind.RETROACTIVE, ModelKind.MODULATED, ModelKind.PLASTIC, ModelKind.RNN)

# The paper's size (the authors' command line in sr/README.md), for a GPU.
FULL_SIZE = {"hidden": 200, "iterations": 200_000, "iterations_per_epoch": 1000}


@dataclass(frozen=True)
class BackpropamineConfig:
    """Settings of ``backpropamine-cue-reward``.

    The defaults are the authors' (``sr/README.md`` and ``sr/srbatch.py`` of
    ``uber-research/backpropamine``: ``--hs 200 --lr 1e-4 --eps 1e-6 --bs 30 --gc 2.0
    --bent 0.1 --eplen 120 --ni 4 --cs 20 --nbiter 200000``, ``gr`` 0.9, ``blossv``
    0.1) except the size of the network and the length of training, cut so that the
    CPU runs it in minutes: ``--set hidden=200 --set iterations=200000`` is the paper's
    (6 million episodes).

    Attributes
    ----------
    task : StimulusResponseTask
        The task (:class:`hebbian.plastic.tasks.StimulusResponseTask`), settings
        ``task.cue_size``, ``task.episode_steps`` and so on.
    models : tuple of ModelKind
        ``retroactive`` and ``modulated`` (retroactive and simple neuromodulation),
        ``plastic`` (clipped Hebbian plasticity without modulation), ``rnn``
        (non-plastic): the paper's four.
    hidden : int
        Recurrent neurons of every network (the paper: 200).
    iterations, batch_size, iterations_per_epoch : int
        Adam steps (the paper: 200,000), episodes per step (30), and steps between
        logged points.
    learning_rate, adam_eps : float
        Adam's step size (1e-4) and epsilon (1e-6).
    max_grad_norm : float
        The gradient's global norm is clipped to this before every step (2.0); 0 turns
        clipping off.
    gamma, value_coef, concentration_coef : float
        The discount of the returns (0.9), the weight of the value loss (0.1) and of
        the penalty on concentrated policies (0.1;
        :mod:`hebbian.plastic.actor_critic`).
    eta, alpha_init, weight_std : float
        Initial plasticity rate (the eligibility trace's, for ``retroactive``; 0.1),
        scale of the initial plasticity coefficients (0.01) and standard deviation of
        the initial recurrent weights (0.01).
    test_episodes : int
        Fresh episodes for the final numbers.
    """

    task: StimulusResponseTask = field(default_factory=StimulusResponseTask)
    models: tuple[ModelKind, ...] = _ALLOWED
    hidden: int = 32
    iterations: int = 400
    batch_size: int = 30
    iterations_per_epoch: int = 20
    learning_rate: float = 1e-4
    adam_eps: float = 1e-6
    max_grad_norm: float = 2.0
    gamma: float = 0.9
    value_coef: float = 0.1
    concentration_coef: float = 0.1
    eta: float = 0.1
    alpha_init: float = 0.01
    weight_std: float = 0.01
    test_episodes: int = 300

    def __post_init__(self) -> None:
        check_models(self.models, _ALLOWED)
        check_positive_int("hidden", self.hidden)
        check_positive_int("iterations", self.iterations)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("iterations_per_epoch", self.iterations_per_epoch)
        check_positive_int("test_episodes", self.test_episodes)
        check_positive("learning_rate", self.learning_rate)
        check_positive("adam_eps", self.adam_eps)
        check_positive("max_grad_norm", self.max_grad_norm, allow_zero=True)
        check_in_range("gamma", self.gamma, 0.0, 1.0)
        check_positive("value_coef", self.value_coef, allow_zero=True)
        check_positive("concentration_coef", self.concentration_coef, allow_zero=True)
        check_in_range("eta", self.eta, 0.0, 1.0)
        check_positive("alpha_init", self.alpha_init, allow_zero=True)
        check_positive("weight_std", self.weight_std, allow_zero=True)
        check_multiple(
            "iterations", self.iterations, "iterations_per_epoch", self.iterations_per_epoch
        )
        h, steps = self.hidden, self.task.episode_steps
        batch = max(self.batch_size, self.test_episodes)
        check_memory(  # one model at a time: weights and Adam state, ~8 (B, N, N) per step
            f"hidden={h}, batch_size={self.batch_size}, test_episodes={self.test_episodes}, "
            f"task.episode_steps={steps} (the Hebbian and eligibility traces of every step, "
            "kept for backpropagation)",
            4 * (15 * h * h + 8 * self.batch_size * steps * h * h + 4 * batch * h * h),
        )


def _right_responses(episodes: StimulusResponseEpisodes, rewards: torch.Tensor) -> torch.Tensor:
    """(B, T) float: 1 at response steps answered right, 0 elsewhere."""
    return (episodes.response & (rewards > 0)).to(rewards.dtype)


def _late(episodes: StimulusResponseEpisodes) -> torch.Tensor:
    """(B, T) bool: the response steps of the second half of the episode."""
    steps = episodes.shown.shape[1]
    late = torch.arange(steps, device=episodes.shown.device) >= steps // 2
    return episodes.response & late


def run_backpropamine(config: BackpropamineConfig, run: Run) -> dict[str, Any]:
    """Meta-train each network by A2C to find, within each episode, the rewarded cue."""
    task = config.task
    models = {
        kind.value: actor_critic_model(
            kind,
            task.input_size,
            config.hidden,
            eta=config.eta,
            weight_std=config.weight_std,
            alpha_init=config.alpha_init,
            generator=run.generator,
        ).to(run.device)
        for kind in config.models
    }
    optimisers = {
        name: torch.optim.Adam(model.parameters(), lr=config.learning_rate, eps=config.adam_eps)
        for name, model in models.items()
    }

    def epoch_fn(epoch: int) -> dict[str, Any]:
        keys = ("loss", "reward", "late_right", "grad_norm")
        sums = {name: dict.fromkeys(keys, 0.0) for name in models}
        for _ in range(config.iterations_per_epoch):
            episodes = task.sample(config.batch_size, generator=run.generator, device=run.device)
            late = _late(episodes).to(torch.float32)
            for name, model in models.items():
                loss, rewards, norm = stimulus_response_step(
                    model,
                    optimisers[name],
                    task,
                    episodes,
                    run.generator,
                    gamma=config.gamma,
                    value_coef=config.value_coef,
                    concentration_coef=config.concentration_coef,
                    max_grad_norm=config.max_grad_norm,
                )
                right = _right_responses(episodes, rewards)
                sums[name]["loss"] += loss
                sums[name]["reward"] += rewards.sum(dim=1).mean().item()
                sums[name]["late_right"] += ((right * late).sum() / late.sum()).item()
                sums[name]["grad_norm"] += norm
        n = config.iterations_per_epoch
        metrics: dict[str, Any] = {
            "iterations": epoch * n,
            "episodes": epoch * n * config.batch_size,
        }
        metrics.update(model_means(sums, n))
        return metrics

    epochs = config.iterations // config.iterations_per_epoch
    Trainer(run, models, optimisers).train(epochs, epoch_fn)

    test = task.sample(config.test_episodes, generator=run.generator, device=run.device)
    late = _late(test).to(torch.float32)
    responses = test.response.sum(dim=1).to(torch.float32)  # (B,) trials answered
    results: dict[str, Any] = {
        "mean_trials_per_episode": responses.mean().item(),
        "chance_reward": 0.0,
        "best_reward": task.reward * responses.mean().item(),
    }
    by_trial: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for name, model in models.items():
            for greedy in (False, True):
                _, _, _, rewards = play_stimulus_response(
                    model, task, test, run.generator, greedy=greedy
                )
                per_episode = rewards.sum(dim=1)  # (B,)
                right = _right_responses(test, rewards)
                key = f"{name}_greedy" if greedy else name
                results[f"{key}_reward"] = per_episode.mean().item()
                results[f"{key}_reward_sem"] = per_episode.std().item() / math.sqrt(
                    config.test_episodes
                )
                results[f"{key}_late_right"] = ((right * late).sum() / late.sum()).item()
                if not greedy:
                    by_trial[name] = _by_trial(test, right)
    names = [kind.value for kind in config.models]
    modulated = [kind.value for kind in config.models if kind in _MODULATED]
    others = [kind.value for kind in config.models if kind not in _MODULATED]
    if modulated and others:
        best_other = max(results[f"{name}_reward"] for name in others)
        results["non_modulated_best_reward"] = best_other
        for name in modulated:
            results[f"{name}_margin"] = results[f"{name}_reward"] - best_other

    fig, ax = curves(
        run,
        [(f"{name}_reward", name) for name in names],
        "episodes",
        "reward per episode (mean of the logged steps)",
        "cue-reward association, A2C",
    )
    ax.axhline(0.0, color="k", linestyle=":", linewidth=1, label="chance: 0")
    ax.legend(fontsize=8)
    run.save_figure(
        fig,
        "reward",
        "Training reward per episode (the sum of the +1/-1 rewards of its trials, actions "
        "drawn from the policy), mean over each logged stretch of Adam steps, against the "
        f"episodes seen. Knowing the target earns about {results['best_reward']:.1f}; "
        "guessing, or always giving the same answer, 0. The paper's Figure 1 (right) "
        "plots this quantity.",
    )
    run.save_figure(
        within_episode(by_trial),
        "within_episode",
        "After training, on fresh test episodes (actions drawn from the policy): the "
        "fraction of right responses at each trial. A network that learns from the "
        "rewards starts at chance (0.5) and improves as the episode goes on.",
    )
    return results


def _by_trial(episodes: StimulusResponseEpisodes, right: torch.Tensor) -> torch.Tensor:
    """Fraction right at each trial that every test episode answers, (trials,) on the CPU."""
    response = episodes.response
    trials = int(response.sum(dim=1).min())  # trials every episode reaches the end of
    rows = []
    for b in range(response.shape[0]):
        rows.append(right[b][response[b]][:trials])
    return torch.stack(rows).mean(dim=0).cpu()


_NAMES = {
    ModelKind.RETROACTIVE: "retroactive neuromodulation",
    ModelKind.MODULATED: "simple neuromodulation",
    ModelKind.PLASTIC: "clipped Hebbian plasticity without modulation",
    ModelKind.RNN: "a non-plastic RNN",
}


def _describe(config: BackpropamineConfig) -> str:
    task = config.task
    models = ", ".join(_NAMES[kind] for kind in config.models)
    clipping = (
        f"gradient norm clipped to {config.max_grad_norm:g}"
        if config.max_grad_norm > 0
        else "no gradient clipping"
    )
    full = " ".join(f"--set {key}={value}" for key, value in FULL_SIZE.items())
    return (
        "Backpropamine (Miconi, Rawal, Clune & Stanley, ICLR 2019, section 4.1), the "
        "cue-reward association task as the paper ran it (the authors' code, sr/ in "
        f"uber-research/backpropamine). Each episode has {task.cues} random "
        f"{task.cue_size}-bit cues, one of them the target, and {task.episode_steps} "
        f"steps of trials {task.min_trial_steps}-{task.max_trial_steps} steps long: "
        f"{task.cues_per_trial} cues shown one per step among blank steps, then a "
        "response cue; responding exactly when the target was shown earns +1, anything "
        "else -1, and the reward arrives as an input at the next step. Networks of "
        f"{config.hidden} neurons ({models}) are meta-trained by advantage actor-critic "
        f"(discount {config.gamma:g}, value weight {config.value_coef:g}, concentration "
        f"penalty {config.concentration_coef:g}) with Adam (step {config.learning_rate:g}, "
        f"eps {config.adam_eps:g}), {clipping}, for {config.iterations} steps of "
        f"{config.batch_size} episodes. The paper trained 200 neurons for 200,000 steps "
        "(6 million episodes, 10 seeds): modulated networks learn the task, the "
        "non-modulated plastic network and the RNN do not. That size is "
        f"`{full}`, a job for a GPU: at 200 neurons one step took about 10 s on one CPU "
        "core here, so 200,000 steps would take weeks. The defaults are cut to run "
        "here in minutes (0.2% of the paper's steps), so the verdict below is about "
        "this size, not the paper's."
    )


def _expectations(config: BackpropamineConfig) -> list[Expectation]:
    modulated = [kind for kind in config.models if kind in _MODULATED]
    others = [kind for kind in config.models if kind not in _MODULATED]
    if not modulated or not others:
        return []
    return [
        Expectation(
            f"{kind.value}_margin",
            1.0,
            "paper: Miconi et al. 2019, 4.1 and Fig. 1: modulated networks earn more reward "
            "than the non-modulated ones (here: at least 1 reward per test episode more "
            "than the best of them)",
            relation="at_least",
        )
        for kind in modulated
    ]


BACKPROPAMINE_CUE_REWARD = Recipe(
    name="backpropamine-cue-reward",
    summary="the paper's cue-reward task by actor-critic: modulated plastic networks vs the rest",
    topic=TOPIC,
    description=_describe,
    expectations=_expectations,
    config_type=BackpropamineConfig,
    run=run_backpropamine,
    tour={
        "task.episode_steps": 20,
        "hidden": 8,
        "iterations": 4,
        "batch_size": 4,
        "iterations_per_epoch": 2,
        "test_episodes": 8,
    },
)
