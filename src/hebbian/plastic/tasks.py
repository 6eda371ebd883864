r"""Episode generators for the tasks of the differentiable-plasticity papers.

* :class:`PatternTask`: binary pattern memorisation and completion (Miconi, Clune &
  Stanley, ICML 2018, section 4.1): a few random ±1 patterns are each shown several
  times, then one of them is shown with half its bits zeroed, and the network must
  complete it;
* :class:`ImageTask`: the same with images (section 4.3), an upper or lower half erased;
* :class:`OneShotTask`: N-way K-shot classification episodes (section 4.2);
* :class:`CueRewardTask`: cue-reward association (Miconi et al., ICLR 2019, section
  4.1): the target cue of each episode is only revealed through rewards;
* :class:`StimulusResponseTask`: the same task with the trial layout and rewards of
  the paper's experiment (cues one per step among blank steps, trials of random length,
  a response cue, rewards of ±1 given as inputs), for actor-critic training.

Every sampler takes a ``torch.Generator``; numbers are drawn on the generator's device
(the CPU for the recipes' ``run.generator``) and then moved to ``device``, so a seed gives
the same episodes on every device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from hebbian import _random
from hebbian._checks import (
    check_dtype,
    check_floating_tensor,
    check_in_range,
    check_positive,
    check_positive_int,
)

__all__ = [
    "CueRewardEpisodes",
    "CueRewardTask",
    "ImageTask",
    "MemorisationEpisode",
    "OneShotEpisode",
    "OneShotTask",
    "PatternTask",
    "StimulusResponseEpisodes",
    "StimulusResponseTask",
    "bit_error",
]


def _random_subsets(batch: int, size: int, count: int, generator: torch.Generator) -> torch.Tensor:
    """``(batch, size)`` bool masks with exactly ``count`` True entries, uniformly placed."""
    ranks = (
        _random.uniform((batch, size), generator, draw_dtype=torch.float32)
        .argsort(dim=1)
        .argsort(dim=1)
    )
    return ranks < count


class MemorisationEpisode(NamedTuple):
    """A batch of memorisation episodes (patterns or images).

    Attributes
    ----------
    inputs : Tensor, shape (T, B, N + 1)
        External input of each neuron at each step; the last neuron is a bias neuron
        whose input is ``input_scale`` at every step.
    target : Tensor, shape (B, N)
        The complete item the network must produce at the last step.
    erased : Tensor, shape (B, N), bool
        The entries zeroed in the cue.
    """

    inputs: torch.Tensor
    target: torch.Tensor
    erased: torch.Tensor


@dataclass(frozen=True)
class _Schedule:
    presentation_steps: int
    gap_steps: int
    cycles: int
    test_steps: int
    input_scale: float

    def steps(self, items: int) -> int:
        return self.cycles * items * (self.presentation_steps + self.gap_steps) + self.test_steps


class _ScheduledTask:
    """The schedule of a task that shows items, then a cue (its dataclass has the fields)."""

    presentation_steps: int
    gap_steps: int
    cycles: int
    test_steps: int
    input_scale: float

    def _check_schedule(self) -> None:
        """Check the schedule's fields, for the task's ``__post_init__``."""
        check_positive_int("presentation_steps", self.presentation_steps)
        check_positive_int("gap_steps", self.gap_steps, minimum=0)
        check_positive_int("cycles", self.cycles)
        check_positive_int("test_steps", self.test_steps)
        check_positive("input_scale", self.input_scale)

    @property
    def _schedule(self) -> _Schedule:
        return _Schedule(
            self.presentation_steps, self.gap_steps, self.cycles, self.test_steps, self.input_scale
        )


def _memorisation_inputs(
    items: torch.Tensor, cue: torch.Tensor, schedule: _Schedule, generator: torch.Generator
) -> torch.Tensor:
    """Inputs (T, B, N + 1): each cycle shows every item in a random order, then the cue.

    ``items`` is (B, P, N) and ``cue`` (B, N), both on the draw device.
    """
    batch, count, size = items.shape
    draw = items.device
    steps = schedule.steps(count)
    inputs = items.new_zeros(steps, batch, size + 1)
    inputs[:, :, size] = 1.0  # the bias neuron
    block = schedule.presentation_steps + schedule.gap_steps
    rows = torch.arange(batch, device=draw)
    t = 0
    for _ in range(schedule.cycles):
        order = _random.uniform((batch, count), generator, draw_dtype=torch.float32).argsort(dim=1)
        for k in range(count):
            shown = items[rows, order[:, k]]  # (B, N)
            inputs[t : t + schedule.presentation_steps, :, :size] = shown
            t += block
    inputs[t:, :, :size] = cue
    return inputs * schedule.input_scale


@dataclass(frozen=True)
class PatternTask(_ScheduledTask):
    r"""Binary pattern memorisation and completion (Miconi et al. 2018, section 4.1).

    Each episode draws ``patterns`` balanced ±1 patterns of ``pattern_size`` bits
    (exactly half +1 when the size is even). In each of ``cycles`` cycles every pattern
    is shown, in a random order, for ``presentation_steps`` steps followed by
    ``gap_steps`` steps of zero input; then one of the patterns, with
    ``erased_fraction`` of its bits set to 0, is shown for ``test_steps`` steps. Inputs
    are multiplied by ``input_scale``. The network has ``pattern_size + 1`` neurons
    (one bias neuron) and must output the complete pattern at the last step.

    The defaults are the paper's 1000-bit task (the authors' code: 6 steps per
    presentation, 4 empty steps, 2 cycles, inputs scaled by 20), 106 steps an episode.

    Attributes
    ----------
    pattern_size : int
        Bits of each pattern (at least 2).
    patterns : int
        Patterns shown in each episode.
    presentation_steps : int
        Steps each item is shown for, in each cycle.
    gap_steps : int
        Steps of zero input after each presentation.
    cycles : int
        How many times every item is shown, each time in a new random order.
    test_steps : int
        Steps the cue (the erased item) is shown for at the end.
    input_scale : float
        Factor multiplying every input.
    erased_fraction : float
        Fraction of the test pattern's bits set to 0 in the cue.

    Examples
    --------
    >>> task = PatternTask(pattern_size=8, patterns=2, presentation_steps=1, gap_steps=1,
    ...                    cycles=1, test_steps=2)
    >>> episode = task.sample(3, generator=torch.Generator().manual_seed(0))
    >>> task.steps, tuple(episode.inputs.shape), tuple(episode.target.shape)
    (6, (6, 3, 9), (3, 8))
    >>> episode.erased.sum(dim=1).tolist(), episode.target.sum(dim=1).tolist()
    ([4, 4, 4], [0.0, 0.0, 0.0])
    """

    pattern_size: int = 1000
    patterns: int = 5
    presentation_steps: int = 6
    gap_steps: int = 4
    cycles: int = 2
    test_steps: int = 6
    input_scale: float = 20.0
    erased_fraction: float = 0.5

    def __post_init__(self) -> None:
        check_positive_int("pattern_size", self.pattern_size, minimum=2)
        check_positive_int("patterns", self.patterns)
        self._check_schedule()
        check_in_range("erased_fraction", self.erased_fraction, 0.0, 1.0)

    @property
    def neurons(self) -> int:
        """Network size: one neuron per bit and a bias neuron."""
        return self.pattern_size + 1

    @property
    def steps(self) -> int:
        """Steps per episode."""
        return self._schedule.steps(self.patterns)

    def sample(
        self,
        batch: int,
        *,
        generator: torch.Generator,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> MemorisationEpisode:
        """Draw ``batch`` episodes (see :class:`MemorisationEpisode`)."""
        check_positive_int("batch", batch)
        dtype = check_dtype("dtype", dtype)
        draw = _random.draw_device(generator)
        n, p = self.pattern_size, self.patterns
        positive = _random_subsets(batch * p, n, n // 2, generator)  # balanced patterns
        items = torch.where(positive, 1.0, -1.0).reshape(batch, p, n)  # (B, P, N)
        tested = _random.integers(p, (batch,), generator)
        target = items[torch.arange(batch, device=draw), tested]  # (B, N)
        erased = _random_subsets(batch, n, round(self.erased_fraction * n), generator)
        cue = target.masked_fill(erased, 0.0)
        inputs = _memorisation_inputs(items, cue, self._schedule, generator)
        return MemorisationEpisode(
            inputs.to(device=device, dtype=dtype),
            target.to(device=device, dtype=dtype),
            erased.to(device=device),
        )


def bit_error(
    output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Fraction of bits whose sign is wrong, per episode, shape (B,).

    An output of exactly 0 counts as wrong. With ``mask`` (B, N) bool, only the masked
    bits count (e.g. the erased ones).

    >>> bit_error(torch.tensor([[0.9, -0.2, 0.0, 0.5]]), torch.tensor([[1.0, 1.0, 1.0, 1.0]]))
    tensor([0.5000])
    """
    output = check_floating_tensor("output", output, ndim=2)
    target = check_floating_tensor("target", target, shape=tuple(output.shape))
    wrong = (torch.sign(output) != target).to(output.dtype)  # (B, N)
    if mask is None:
        return wrong.mean(dim=1)
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != output.shape:
        raise ValueError(f"mask must be a bool tensor of shape {tuple(output.shape)}")
    weights = mask.to(output.dtype)
    return (wrong * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


@dataclass(frozen=True)
class ImageTask(_ScheduledTask):
    r"""Image memorisation and half-image completion (Miconi et al. 2018, section 4.3).

    Each episode shows ``images`` images (pixels mapped from [0, 1] to [-1, 1]) in the
    schedule of :class:`PatternTask`, then one of them with its upper or lower half (at
    random) set to 0; the network must produce the whole image at the last step.

    Attributes
    ----------
    images : int
        Images shown in each episode.
    presentation_steps : int
        Steps each item is shown for, in each cycle.
    gap_steps : int
        Steps of zero input after each presentation.
    cycles : int
        How many times every item is shown, each time in a new random order.
    test_steps : int
        Steps the cue (the erased item) is shown for at the end.
    input_scale : float
        Factor multiplying every input.

    Examples
    --------
    >>> task = ImageTask(images=2, presentation_steps=1, gap_steps=0, cycles=1, test_steps=1)
    >>> pool = torch.rand(10, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> episode = task.sample(pool, 3, generator=torch.Generator().manual_seed(1))
    >>> tuple(episode.inputs.shape), episode.erased.sum(dim=1).tolist()
    ((3, 3, 17), [8, 8, 8])
    """

    images: int = 3
    presentation_steps: int = 6
    gap_steps: int = 4
    cycles: int = 2
    test_steps: int = 6
    input_scale: float = 1.0

    def __post_init__(self) -> None:
        check_positive_int("images", self.images)
        self._check_schedule()

    @property
    def steps(self) -> int:
        """Steps per episode."""
        return self._schedule.steps(self.images)

    def sample(
        self,
        pool: torch.Tensor,
        batch: int,
        *,
        generator: torch.Generator,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> MemorisationEpisode:
        """Draw ``batch`` episodes from ``pool`` (M, H, W) images in [0, 1].

        The images of one episode are distinct; ``target`` and ``erased`` are flattened
        to (B, H*W).
        """
        pool = check_floating_tensor("pool", pool, ndim=3)
        check_positive_int("batch", batch)
        dtype = check_dtype("dtype", dtype)
        count, height, width = pool.shape
        if count < self.images:
            raise ValueError(f"pool must hold at least images={self.images} images, got {count}")
        if height < 2:
            raise ValueError(f"pool images must be at least 2 pixels high, got {height}")
        draw = _random.draw_device(generator)
        chosen = (
            _random.uniform((batch, count), generator, draw_dtype=torch.float32)
            .topk(self.images)
            .indices
        )
        flat = pool.to(draw).reshape(count, height * width) * 2 - 1  # [-1, 1]
        items = flat[chosen]  # (B, P, H*W)
        tested = _random.integers(self.images, (batch,), generator)
        target = items[torch.arange(batch, device=draw), tested]  # (B, H*W)
        upper = _random.uniform((batch,), generator, draw_dtype=torch.float32) < 0.5
        in_upper = (torch.arange(height, device=draw) < height // 2)[:, None]  # (H, 1)
        rows = torch.where(upper[:, None, None], in_upper, ~in_upper)  # (B, H, 1)
        erased = rows.expand(batch, height, width).reshape(batch, height * width)
        cue = target.masked_fill(erased, 0.0)
        inputs = _memorisation_inputs(items, cue, self._schedule, generator)
        return MemorisationEpisode(
            inputs.to(device=device, dtype=dtype),
            target.to(device=device, dtype=dtype),
            erased.to(device=device),
        )


class OneShotEpisode(NamedTuple):
    """A batch of N-way K-shot episodes.

    Attributes
    ----------
    support : Tensor, shape (B, ways * shots, H, W)
        The labelled examples, in a random order.
    support_labels : Tensor, shape (B, ways * shots), int64 in [0, ways)
    query : Tensor, shape (B, H, W)
        One unlabelled example of one of the episode's classes (never in ``support``).
    query_label : Tensor, shape (B,), int64
    classes : Tensor, shape (B, ways), int64
        The data set's class behind each episode label.
    """

    support: torch.Tensor
    support_labels: torch.Tensor
    query: torch.Tensor
    query_label: torch.Tensor
    classes: torch.Tensor


@dataclass(frozen=True)
class OneShotTask:
    """N-way K-shot classification episodes (Miconi et al. 2018, section 4.2).

    An episode picks ``ways`` classes among those allowed, gives them the labels
    ``0 .. ways-1`` in a random order, shows ``shots`` labelled examples of each and asks
    for the label of one more example of one of them.

    Attributes
    ----------
    ways : int
        Classes in each episode (at least 2).
    shots : int
        Labelled examples of each class in each episode.

    Examples
    --------
    >>> images = torch.arange(40.0).reshape(20, 1, 2)
    >>> labels = torch.arange(20) % 4  # 4 classes of 5 images
    >>> task = OneShotTask(ways=2, shots=1)
    >>> e = task.sample(images, labels, 8, generator=torch.Generator().manual_seed(0))
    >>> tuple(e.support.shape), tuple(e.query.shape)
    ((8, 2, 1, 2), (8, 1, 2))
    >>> e.support_labels.sort(dim=1).values[0].tolist()
    [0, 1]
    """

    ways: int = 5
    shots: int = 1

    def __post_init__(self) -> None:
        check_positive_int("ways", self.ways, minimum=2)
        check_positive_int("shots", self.shots)

    def sample(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch: int,
        *,
        generator: torch.Generator,
        classes: torch.Tensor | None = None,
    ) -> OneShotEpisode:
        """Draw ``batch`` episodes from ``images`` (M, H, W) with ``labels`` (M,).

        ``classes`` restricts the episodes to these class ids (e.g. the meta-training
        or the meta-test classes); default all classes present in ``labels``. Each
        class used needs at least ``shots + 1`` images. The result is on the device of
        ``images``.
        """
        images = check_floating_tensor("images", images, ndim=3)
        if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
            raise TypeError("labels must be an int64 tensor")
        if labels.shape != (images.shape[0],):
            raise ValueError(
                f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}"
            )
        check_positive_int("batch", batch)
        draw = _random.draw_device(generator)
        cpu_labels = labels.to(draw)
        allowed = cpu_labels.unique() if classes is None else classes.to(draw, torch.int64).unique()
        if allowed.numel() < self.ways:
            raise ValueError(
                f"classes must hold at least ways={self.ways} classes, got {allowed.numel()}"
            )
        order = torch.argsort(cpu_labels, stable=True)  # indices grouped by class
        counts = torch.bincount(cpu_labels, minlength=int(allowed.max()) + 1)
        starts = torch.cumsum(counts, 0) - counts
        if bool((counts[allowed] < self.shots + 1).any()):
            raise ValueError(f"every class used needs at least shots + 1 = {self.shots + 1} images")
        # the episode's classes, in the order of their labels 0 .. ways-1
        picks = _random.uniform((batch, allowed.numel()), generator, draw_dtype=torch.float32)
        episode_classes = allowed[picks.topk(self.ways, dim=1).indices]  # (B, ways)
        query_label = _random.integers(self.ways, (batch,), generator)
        # shots + 1 distinct images of each class (the extra one is the query's, if needed)
        per_class = self.shots + 1
        class_counts = counts[episode_classes][:, :, None]  # (B, ways, 1)
        offsets = torch.floor(
            _random.uniform((batch, self.ways, per_class), generator, draw_dtype=torch.float32)
            * class_counts
        ).long()
        for _ in range(100):  # resample the rare repeats
            ordered = offsets.sort(dim=2).values
            repeats = (ordered[:, :, 1:] == ordered[:, :, :-1]).any(dim=2)  # (B, ways)
            if not bool(repeats.any()):
                break
            fresh = _random.uniform(
                (batch, self.ways, per_class), generator, draw_dtype=torch.float32
            )
            fresh = torch.floor(fresh * class_counts).long()
            offsets = torch.where(repeats[:, :, None], fresh, offsets)
        chosen = order[starts[episode_classes][:, :, None] + offsets]  # (B, ways, shots + 1)
        rows = torch.arange(batch, device=draw)
        support_index = chosen[:, :, : self.shots].reshape(batch, -1)  # (B, ways * shots)
        support_labels = torch.arange(self.ways, device=draw).repeat_interleave(self.shots)
        support_labels = support_labels.expand(batch, -1)
        shuffle = _random.uniform(
            (batch, self.ways * self.shots), generator, draw_dtype=torch.float32
        )
        shuffle = shuffle.argsort(dim=1)
        support_index = support_index.gather(1, shuffle)
        support_labels = support_labels.gather(1, shuffle)
        query_index = chosen[rows, query_label, self.shots]  # (B,)
        device = images.device
        return OneShotEpisode(
            images[support_index.to(device)],
            support_labels.to(device),
            images[query_index.to(device)],
            query_label.to(device),
            episode_classes.to(device),
        )


def _random_signs(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Random ±1 cue bits of ``shape``, each +1 with probability 1/2 (float32, draw device).

    One float32 uniform draw per bit: +1 below 0.5, -1 from 0.5.
    """
    return torch.where(_random.uniform(shape, generator, draw_dtype=torch.float32) < 0.5, 1.0, -1.0)


class CueRewardEpisodes(NamedTuple):
    """The hidden structure of a batch of cue-reward episodes.

    Attributes
    ----------
    cues : Tensor, shape (B, cues, cue_size)
        The episode's ±1 cues.
    target : Tensor, shape (B,), int64
        Which cue is rewarded.
    pairs : Tensor, shape (B, trials, 2), int64
        The two distinct cues shown at each trial.
    """

    cues: torch.Tensor
    target: torch.Tensor
    pairs: torch.Tensor


@dataclass(frozen=True)
class CueRewardTask:
    r"""Cue-reward association (after Miconi et al., ICLR 2019, section 4.1).

    Each episode has ``cues`` random ±1 cues of ``cue_size`` bits, one of which is the
    target. Each of ``trials`` trials shows a random pair of distinct cues for
    ``stimulus_steps`` steps, then a response step (the pair still shown, with a
    prompt) at which the network answers 1 ("go": the target is in the pair) or 0
    ("no-go"), then a feedback step carrying the reward and the answer given. Going is
    rewarded +1 when the target is in the pair and -1 when it is not; not going gives 0.
    The target is never shown as such: only the rewards of the trials where the network
    went tell it which cue it is, within the episode. Answering at random earns 0 on
    average; always answering right earns 0.5 a trial (half the pairs hold the target).

    A pair is shown as the sum of its two cues, so that it does not depend on their
    order. Input layout (``input_size = cue_size + 5``): the pair, response prompt,
    reward, answer given (one-hot, 2), bias.

    Attributes
    ----------
    cue_size : int
        Bits of each cue.
    cues : int
        Cues in each episode (at least 2), one of them the target.
    trials : int
        Trials in each episode.
    stimulus_steps : int
        Steps each pair of cues is shown for before the response step.

    Examples
    --------
    >>> task = CueRewardTask(cue_size=4, cues=3, trials=2)
    >>> e = task.sample(5, generator=torch.Generator().manual_seed(0))
    >>> tuple(e.cues.shape), tuple(e.pairs.shape), task.input_size, task.steps_per_trial
    ((5, 3, 4), (5, 2, 2), 9, 3)
    >>> bool((e.pairs[:, :, 0] != e.pairs[:, :, 1]).all())
    True
    """

    cue_size: int = 20
    cues: int = 4
    trials: int = 20
    stimulus_steps: int = 1

    def __post_init__(self) -> None:
        check_positive_int("cue_size", self.cue_size)
        check_positive_int("cues", self.cues, minimum=2)
        check_positive_int("trials", self.trials)
        check_positive_int("stimulus_steps", self.stimulus_steps)

    @property
    def input_size(self) -> int:
        """Width of one input vector."""
        return self.cue_size + 5

    @property
    def steps_per_trial(self) -> int:
        """Stimulus steps, one response step and one feedback step."""
        return self.stimulus_steps + 2

    def sample(
        self,
        batch: int,
        *,
        generator: torch.Generator,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> CueRewardEpisodes:
        """Draw ``batch`` episodes: cues, targets and the pairs of every trial."""
        check_positive_int("batch", batch)
        dtype = check_dtype("dtype", dtype)
        cues = _random_signs((batch, self.cues, self.cue_size), generator)
        target = _random.integers(self.cues, (batch,), generator)
        picks = _random.uniform(
            (batch, self.trials, self.cues), generator, draw_dtype=torch.float32
        )
        pairs = picks.topk(2, dim=2).indices  # two distinct cues in a random order
        return CueRewardEpisodes(
            cues.to(device=device, dtype=dtype), target.to(device), pairs.to(device)
        )

    def _blank(self, episodes: CueRewardEpisodes) -> torch.Tensor:
        inputs = episodes.cues.new_zeros(episodes.cues.shape[0], self.input_size)
        inputs[:, -1] = 1.0  # bias
        return inputs

    def stimulus(self, episodes: CueRewardEpisodes, trial: int) -> torch.Tensor:
        """The input (B, input_size) of the stimulus steps of ``trial``: the pair's sum."""
        cues = episodes.cues
        rows = torch.arange(cues.shape[0], device=cues.device)
        pair = episodes.pairs[:, trial]  # (B, 2)
        inputs = self._blank(episodes)
        inputs[:, : self.cue_size] = cues[rows, pair[:, 0]] + cues[rows, pair[:, 1]]
        return inputs

    def prompt(self, episodes: CueRewardEpisodes, trial: int) -> torch.Tensor:
        """The input (B, input_size) of the response step of ``trial``: pair and prompt."""
        inputs = self.stimulus(episodes, trial)
        inputs[:, self.cue_size] = 1.0
        return inputs

    def correct_answers(self, episodes: CueRewardEpisodes) -> torch.Tensor:
        """:meth:`correct_answer` of every trial, shape (B, trials) int64."""
        return torch.stack([self.correct_answer(episodes, t) for t in range(self.trials)], dim=1)

    def correct_answer(self, episodes: CueRewardEpisodes, trial: int) -> torch.Tensor:
        """1 where the target is in the pair of ``trial``, else 0, shape (B,) int64."""
        return (episodes.pairs[:, trial] == episodes.target[:, None]).any(dim=1).long()

    def feedback(
        self, episodes: CueRewardEpisodes, trial: int, answer: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The reward (B,) for ``answer`` (B,) int64 at ``trial``, and the feedback input.

        ``answer`` 1 earns +1 if the target is in the pair and -1 if not; 0 earns 0.
        """
        present = self.correct_answer(episodes, trial).to(episodes.cues.dtype)
        reward = torch.where(answer == 1, 2 * present - 1, torch.zeros_like(present))
        inputs = self._blank(episodes)
        inputs[:, self.cue_size + 1] = reward
        rows = torch.arange(answer.shape[0], device=answer.device)
        inputs[rows, self.cue_size + 2 + answer] = 1.0
        return reward, inputs


class StimulusResponseEpisodes(NamedTuple):
    """A batch of episodes of :class:`StimulusResponseTask`, laid out step by step.

    Attributes
    ----------
    cues : Tensor, shape (B, cues, cue_size)
        The episode's distinct ±1 cues.
    target : Tensor, shape (B,), int64
        Which cue is the target.
    shown : Tensor, shape (B, T), int64
        What each step shows: -1 nothing, ``0 .. cues-1`` that cue, ``cues`` the
        response cue.
    trial : Tensor, shape (B, T), int64
        The trial each step belongs to (0, 1, ...).
    target_shown : Tensor, shape (B, T), bool
        Whether the target is among the cues of the step's trial.
    """

    cues: torch.Tensor
    target: torch.Tensor
    shown: torch.Tensor
    trial: torch.Tensor
    target_shown: torch.Tensor

    @property
    def response(self) -> torch.Tensor:
        """The response steps, (B, T) bool."""
        return self.shown == self.cues.shape[1]


@dataclass(frozen=True)
class StimulusResponseTask:
    r"""The cue-reward association task of Backpropamine (Miconi et al., ICLR 2019, 4.1).

    The layout of the authors' code (their "stimulus-response" task, ``sr/srbatch.py``
    in ``uber-research/backpropamine``). Each episode draws ``cues`` distinct random ±1
    cues of ``cue_size`` bits and makes one of them the target. The episode is
    ``episode_steps`` steps of back-to-back trials. A trial lasts :math:`L` steps,
    :math:`L` uniform in ``min_trial_steps .. max_trial_steps``: a blank first step; then,
    in a random order, ``cues_per_trial`` distinct cues (drawn afresh for each trial),
    one per step, among :math:`L - 3 -` ``cues_per_trial`` blank steps; then the
    response cue; then a blank last step. The network acts at every step (0 "no
    response", 1 "response"); only its action at the response step counts: it earns
    ``+reward`` if it responds exactly when the target was among the trial's cues and
    ``-reward`` otherwise. The reward arrives as an input at the next step, which is how
    the network learns, within the episode, which cue is the target. The last trial is
    cut short by the end of the episode.

    Input layout (``input_size = cue_size + 6``): the cue shown (zeros on blank steps),
    the response cue, a bias (1), the time ``t / episode_steps``, the reward of the
    previous step, the previous action (one-hot, 2; zeros at the first step). The
    authors' input has one more entry, always 0.

    Guessing earns 0 on average, as does always giving the same answer (half the trials
    show the target, with the defaults); an agent that knows the target earns
    ``reward`` at every trial, about 18.2 per default episode (18.20 trials reach their
    response step, mean of 2,000 episodes).

    Attributes
    ----------
    cue_size : int
        Bits of each cue (the authors: 20).
    cues : int
        Cues in each episode, one of them the target (the authors: 4).
    cues_per_trial : int
        Distinct cues each trial shows (the authors: ``cues // 2``).
    min_trial_steps, max_trial_steps : int
        Bounds of the trial length :math:`L` (the authors: 5 and 8, from
        ``cues // 2 + 3 + randint(cues)``); ``min_trial_steps`` is at least
        ``cues_per_trial + 3``.
    episode_steps : int
        Steps in each episode (the authors: 120).
    reward : float
        Size of the reward (the authors: 1).

    Examples
    --------
    >>> task = StimulusResponseTask(cue_size=4, episode_steps=12)
    >>> e = task.sample(2, generator=torch.Generator().manual_seed(0))
    >>> tuple(e.shown.shape), task.input_size
    ((2, 12), 10)
    >>> [int(s) for s in e.shown[0, :5]], bool(e.response[0, e.trial[0] == 0].sum() == 1)
    ([-1, -1, -1, 3, 2], True)
    """

    cue_size: int = 20
    cues: int = 4
    cues_per_trial: int = 2
    min_trial_steps: int = 5
    max_trial_steps: int = 8
    episode_steps: int = 120
    reward: float = 1.0

    def __post_init__(self) -> None:
        check_positive_int("cue_size", self.cue_size)
        check_positive_int("cues", self.cues, minimum=2)
        if self.cues > 2**self.cue_size:
            raise ValueError(
                f"cues must be at most 2**cue_size = {2**self.cue_size} (distinct cues), "
                f"got {self.cues}"
            )
        check_positive_int("cues_per_trial", self.cues_per_trial)
        if self.cues_per_trial >= self.cues:
            raise ValueError(
                f"cues_per_trial must be below cues = {self.cues}, got {self.cues_per_trial}"
            )
        check_positive_int("min_trial_steps", self.min_trial_steps, minimum=self.cues_per_trial + 3)
        check_positive_int("max_trial_steps", self.max_trial_steps, minimum=self.min_trial_steps)
        check_positive_int("episode_steps", self.episode_steps)
        check_positive("reward", self.reward)

    @property
    def input_size(self) -> int:
        """Width of one input vector."""
        return self.cue_size + 6

    def sample(
        self,
        batch: int,
        *,
        generator: torch.Generator,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> StimulusResponseEpisodes:
        """Draw ``batch`` episodes (see :class:`StimulusResponseEpisodes`)."""
        check_positive_int("batch", batch)
        dtype = check_dtype("dtype", dtype)
        draw = _random.draw_device(generator)
        cues = self._distinct_cues(batch, generator)
        target = _random.integers(self.cues, (batch,), generator)
        trials = self.episode_steps // self.min_trial_steps + 1  # they fill the episode
        longest, k = self.max_trial_steps, self.cues_per_trial
        span = self.max_trial_steps - self.min_trial_steps + 1
        length = self.min_trial_steps + _random.integers(span, (batch, trials), generator)
        picks = _random.uniform((batch, trials, self.cues), generator, draw_dtype=torch.float32)
        chosen = picks.topk(k, dim=2).indices  # (B, M, k): the trial's cues, distinct
        # the L - 3 middle steps: the k cues at random places among blank steps
        middle = length - 3  # (B, M)
        keys = _random.uniform((batch, trials, longest - 3), generator, draw_dtype=torch.float32)
        slot = torch.arange(longest - 3, device=draw)
        keys = torch.where(slot < middle[:, :, None], keys, 2.0)  # unused slots rank last
        rank = keys.argsort(dim=2).argsort(dim=2)  # (B, M, longest - 3)
        cue_at = chosen.gather(2, rank.clamp(max=k - 1))
        middle_shown = torch.where(rank < k, cue_at, -1)
        # one trial: blank, the middle steps, the response cue, blank; then flattened
        position = torch.arange(longest, device=draw)  # (longest,)
        L = length[:, :, None]  # (B, M, 1)
        steps = torch.full((batch, trials, longest), -1, dtype=torch.int64, device=draw)
        steps[:, :, 1 : longest - 2] = middle_shown
        steps = torch.where(position == L - 2, self.cues, steps)
        steps = torch.where((position == L - 1) | (position == 0), -1, steps)
        valid = position < L  # (B, M, longest)
        index = torch.arange(trials, device=draw)[None, :, None].expand_as(steps)
        has_target = (chosen == target[:, None, None]).any(dim=2)  # (B, M)
        at = valid.flatten(1).cumsum(dim=1) - 1  # each valid step's place in the episode
        keep = valid.flatten(1) & (at < self.episode_steps)
        shape = (batch, self.episode_steps)
        shown = torch.empty(shape, dtype=torch.int64, device=draw)
        trial = torch.empty(shape, dtype=torch.int64, device=draw)
        rows = torch.arange(batch, device=draw)[:, None].expand_as(at)[keep]
        shown[rows, at[keep]] = steps.flatten(1)[keep]
        trial[rows, at[keep]] = index.flatten(1)[keep]
        target_shown = has_target.gather(1, trial)
        return StimulusResponseEpisodes(
            cues.to(device=device, dtype=dtype),
            target.to(device),
            shown.to(device),
            trial.to(device),
            target_shown.to(device),
        )

    def _distinct_cues(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        """(B, cues, cue_size) ±1 cues, all distinct within each episode (redrawn if not)."""
        shape = (batch, self.cues, self.cue_size)
        cues = _random_signs(shape, generator)
        for _ in range(1000):
            same = (cues[:, :, None, :] == cues[:, None, :, :]).all(dim=3)  # (B, cues, cues)
            repeated = same.triu(diagonal=1).any(dim=(1, 2))  # (B,)
            if not bool(repeated.any()):
                return cues
            fresh = _random_signs(shape, generator)
            cues = torch.where(repeated[:, None, None], fresh, cues)
        raise ValueError(f"could not draw {self.cues} distinct cues of {self.cue_size} bits")

    def rewards(
        self, episodes: StimulusResponseEpisodes, step: int, action: torch.Tensor
    ) -> torch.Tensor:
        """The reward (B,) of ``action`` (B,) int64 at ``step``: ±``reward`` or 0.

        Response steps earn ±``reward``, every other step 0.

        The network is right when it responds (1) exactly when the target was among
        the trial's cues.
        """
        right = (action == 1) == episodes.target_shown[:, step]
        earned = torch.where(right, self.reward, -self.reward).to(episodes.cues.dtype)
        return torch.where(episodes.response[:, step], earned, torch.zeros_like(earned))

    def stimuli(self, episodes: StimulusResponseEpisodes) -> torch.Tensor:
        """The inputs that do not depend on the network, (T, B, cue_size + 3).

        At each step: the cue shown (zeros on blank steps), the response cue, the bias
        and the time ``t / episode_steps``; :meth:`inputs` appends the previous reward and
        action.
        """
        cues = episodes.cues
        batch, n, steps = cues.shape[0], self.cue_size, self.episode_steps
        shown = episodes.shown.T  # (T, B)
        is_cue = (shown >= 0) & (shown < self.cues)
        rows = torch.arange(batch, device=cues.device)[None, :]  # (1, B)
        stimuli = cues.new_zeros(steps, batch, n + 3)
        stimuli[:, :, :n] = cues[rows, shown.clamp(0, self.cues - 1)] * is_cue[:, :, None]
        stimuli[:, :, n] = (shown == self.cues).to(cues.dtype)
        stimuli[:, :, n + 1] = 1.0  # bias
        time = torch.arange(steps, device=cues.device, dtype=cues.dtype) / steps
        stimuli[:, :, n + 2] = time[:, None]
        return stimuli

    def inputs(
        self,
        stimulus: torch.Tensor,
        previous_reward: torch.Tensor | None,
        previous_action: torch.Tensor | None,
    ) -> torch.Tensor:
        """One step's input (B, input_size): ``stimulus``, previous reward and action.

        ``stimulus`` is one step of :meth:`stimuli`, (B, cue_size + 3);
        ``previous_reward`` (B,) and ``previous_action`` (B,) int64 are None at the
        first step (zeros).
        """
        batch = stimulus.shape[0]
        feedback = stimulus.new_zeros(batch, 3)
        if previous_reward is not None:
            feedback[:, 0] = previous_reward
        if previous_action is not None:
            rows = torch.arange(batch, device=stimulus.device)
            feedback[rows, 1 + previous_action] = 1.0
        return torch.cat([stimulus, feedback], dim=1)
