"""Deep Hebbian layers, blocks, networks and the linear probe."""

from __future__ import annotations

import pytest
import torch

from hebbian._checks import NonFiniteWeightsError
from hebbian.deep import (
    ChannelStandardisation,
    EndToEnd,
    HardWTA,
    HebbianBlock,
    HebbianConv2d,
    HebbianDense,
    HebbianNetwork,
    KrotovHopfield,
    LinearProbe,
    Pooling,
    PoolSpec,
    SoftHebb,
    TrainingMode,
    fit_probe,
    norm_dependent_rates,
    pooled_features,
    unfold_patches,
)


def images(n: int = 12, seed: int = 0) -> torch.Tensor:
    return torch.rand(
        n, 2, 6, 6, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )


def conv(out: int = 4, rule: SoftHebb | HardWTA | KrotovHopfield | None = None) -> HebbianConv2d:
    g = torch.Generator().manual_seed(1)
    chosen = SoftHebb() if rule is None else rule
    return HebbianConv2d(2, out, 3, chosen, 0.05, padding=1, generator=g, dtype=torch.float64)


def test_conv_step_is_the_rule_on_unfolded_patches_with_the_norm_dependent_rate() -> None:
    layer, x = conv(), images()
    before = layer.weight.detach().clone()
    patches = unfold_patches(x, (3, 3), padding=(1, 1))
    flat = before.reshape(4, -1)
    mean = SoftHebb().change(patches, flat) / patches.shape[0]
    expected = before + (norm_dependent_rates(flat, 0.05, 0.5)[:, None] * mean).reshape(
        before.shape
    )
    increment = layer.plasticity_step(x)
    assert torch.allclose(layer.weight, expected, rtol=0, atol=1e-15)
    assert torch.allclose(before + increment, layer.weight, rtol=0, atol=0)
    assert int(layer.steps) == 1


def test_conv_forward_is_a_plain_convolution_and_initial_norms_follow_init_norm() -> None:
    layer, x = conv(out=64), images()
    assert torch.equal(layer(x), torch.nn.functional.conv2d(x, layer.weight, padding=1))
    norms = layer.weight_norms()
    assert 2.0 < norms.median().item() < 3.0  # init_norm 2.5 over 18 inputs per kernel


def test_dense_layer_learns_from_every_image() -> None:
    layer = HebbianDense(
        72, 3, HardWTA(), 0.1, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    x = images()
    before = layer.weight.detach().clone()
    layer.plasticity_step(x)
    expected = before + 0.1 * HardWTA().change(x.reshape(12, -1), before) / 12
    assert torch.allclose(layer.weight, expected, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="x must hold 72 values per sample, got shape"):
        layer(torch.zeros(2, 5, dtype=torch.float64))


def test_a_step_that_would_make_weights_non_finite_changes_nothing() -> None:
    layer = conv(rule=HardWTA())
    x = images()
    x[0, 0, 0, 0] = float("inf")
    before = layer.weight.detach().clone()
    with pytest.raises(NonFiniteWeightsError, match="hard-wta"):
        layer.plasticity_step(x)
    assert torch.equal(layer.weight, before) and int(layer.steps) == 0


def test_layer_refuses_bad_settings_and_inputs() -> None:
    with pytest.raises(TypeError, match=r"rule must be a hebbian\.deep rule"):
        HebbianConv2d(1, 2, 3, "softhebb", 0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0, got -1"):
        HebbianConv2d(1, 2, 3, SoftHebb(), -1)
    with pytest.raises(ValueError, match=r"x must have the layer's dtype torch\.float64"):
        conv()(torch.zeros(1, 2, 6, 6))


def test_standardisation_equals_batch_norm_without_affine() -> None:
    x = images(8) * 3 + 1
    ours, reference = (
        ChannelStandardisation(2, dtype=torch.float64),
        torch.nn.BatchNorm2d(2, affine=False).double(),
    )
    for _ in range(3):
        assert torch.allclose(ours.learn(x), reference(x), atol=1e-12)
    assert torch.allclose(ours.running_mean, reference.running_mean, atol=1e-12)
    assert torch.allclose(ours.running_var, reference.running_var, atol=1e-12)
    ours.eval(), reference.eval()
    assert torch.allclose(ours(x), reference(x), atol=1e-12)


def test_standardisation_in_training_mode_backpropagates_like_batch_norm() -> None:
    ours, reference = (
        ChannelStandardisation(2, dtype=torch.float64),
        torch.nn.BatchNorm2d(2, affine=False).double(),
    )
    x = (images(8) * 3 + 1).requires_grad_(True)
    weights = images(8, seed=1)
    (grad_ours,) = torch.autograd.grad((ours(x) * weights).sum(), x)
    (grad_reference,) = torch.autograd.grad((reference(x) * weights).sum(), x)
    assert torch.allclose(grad_ours, grad_reference, atol=1e-10)
    assert torch.allclose(ours.running_var, reference.running_var, atol=1e-12)


def two_blocks(mode_rule: SoftHebb | HardWTA | KrotovHopfield | None = None) -> HebbianNetwork:
    g = torch.Generator().manual_seed(5)
    rule = SoftHebb() if mode_rule is None else mode_rule
    first = HebbianConv2d(2, 4, 3, rule, 0.05, padding=1, generator=g, dtype=torch.float64)
    second = HebbianConv2d(4, 6, 3, rule, 0.05, padding=1, generator=g, dtype=torch.float64)
    return HebbianNetwork(
        [
            HebbianBlock(first, power=0.7, pool=PoolSpec(Pooling.MAX, 2, 2, 0)),
            HebbianBlock(second, power=1.4, pool=PoolSpec(Pooling.AVERAGE, 3, 3, 0)),
        ]
    )


def test_greedy_training_trains_each_block_on_the_frozen_blocks_below() -> None:
    x = images(20)
    net = two_blocks()
    steps = net.fit_epoch(x, batch_size=5, generator=torch.Generator().manual_seed(0))
    assert steps == 8
    # by hand: block 0 over its pass, then block 1 over a second pass of the same generator
    ref = two_blocks()
    g = torch.Generator().manual_seed(0)
    ref.fit_block(0, x, batch_size=5, generator=g)
    first_after = ref.block_list[0].conv.weight.detach().clone()
    ref.fit_block(1, x, batch_size=5, generator=g)
    assert torch.equal(ref.block_list[0].conv.weight, first_after)  # frozen below
    for ours, theirs in zip(net.state_dict().values(), ref.state_dict().values(), strict=True):
        assert torch.equal(ours, theirs)


def test_simultaneous_training_updates_every_block_on_every_batch() -> None:
    x = images(20)
    net = two_blocks(HardWTA())
    assert (
        net.fit_epoch(
            x,
            batch_size=10,
            mode=TrainingMode.SIMULTANEOUS,
            generator=torch.Generator().manual_seed(0),
        )
        == 4
    )
    assert [int(b.conv.steps) for b in net.block_list] == [2, 2]


def test_features_do_not_depend_on_the_batch_they_are_computed_in() -> None:
    x = images(20)
    net = two_blocks(KrotovHopfield(p=2.0, k=2))
    net.fit_epoch(x, batch_size=5, generator=torch.Generator().manual_seed(0))
    whole = net.features(x)
    assert whole.shape == (20, 6)
    assert torch.allclose(net.features(x, batch_size=3), whole, rtol=0, atol=1e-14)
    assert net.features(x, depth=1).shape == (20, 4 * 3 * 3)


def test_data_parallel_settings_are_checked() -> None:
    net, x = two_blocks(), images()
    with pytest.raises(ValueError, match="reduce must sum over the processes"):
        net.fit_epoch(x, batch_size=2, world_size=2, rank=0)
    with pytest.raises(ValueError, match="rank must be below world_size 2, got 2"):
        net.fit_epoch(x, batch_size=2, world_size=2, rank=2, reduce=lambda t: t)


def test_probe_gradients_pass_gradcheck_in_float64() -> None:
    g = torch.Generator().manual_seed(0)
    probe = LinearProbe(5, 3, generator=g, dtype=torch.float64)
    features = torch.randn(4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 2, 1, 2])

    def loss(f: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        scores = f @ weight.T + bias
        return torch.nn.functional.cross_entropy(scores, labels)

    weight = probe.weight.detach().clone().requires_grad_(True)
    bias = probe.bias.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(loss, (features, weight, bias))
    probe.eval()
    assert torch.allclose(probe(features), features @ probe.weight.T + probe.bias)


def test_probe_learns_separable_features() -> None:
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(200) % 2
    features = torch.randn(200, 4, generator=g) + 3.0 * labels[:, None]
    probe = LinearProbe(4, 2, dropout=0.2, generator=g)
    records = fit_probe(
        probe, features, labels, g, epochs=10, learning_rate=3e-2, test=(features, labels)
    )
    assert records[-1]["test_accuracy"] > 0.9 and records[-1]["loss"] < records[0]["loss"]


def test_a_standardised_probe_reads_each_feature_in_training_units() -> None:
    g = torch.Generator().manual_seed(1)
    features = torch.randn(300, 3, generator=g, dtype=torch.float64) * torch.tensor(
        [1.0, 100.0, 0.0], dtype=torch.float64
    ) + torch.tensor([0.0, 50.0, 7.0], dtype=torch.float64)
    probe = LinearProbe(3, 2, generator=g, dtype=torch.float64)
    probe.standardise(features)
    assert torch.allclose(probe.mean, features.mean(0))
    scaled = (features - probe.mean) * probe.scale
    assert torch.allclose(scaled[:, :2].std(0, unbiased=False), torch.ones(2, dtype=torch.float64))
    assert torch.equal(scaled[:, 2], torch.zeros(300, dtype=torch.float64))  # a constant: 0
    probe.eval()
    assert torch.allclose(probe(features), scaled @ probe.weight.T + probe.bias)
    fresh = LinearProbe(3, 2, generator=g, dtype=torch.float64)
    fit_probe(fresh, features, torch.arange(300) % 2, g, epochs=1)  # standardises by default
    assert torch.equal(fresh.scale, probe.scale)
    kept = LinearProbe(3, 2, generator=g, dtype=torch.float64)
    fit_probe(kept, features, torch.arange(300) % 2, g, epochs=1, standardise=False)
    assert torch.equal(kept.scale, torch.ones(3, dtype=torch.float64))


def test_end_to_end_head_reads_batch_standardised_features() -> None:
    x = images(8)
    head = LinearProbe(6, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    model = EndToEnd(two_blocks(), head, 2)
    model.train()
    model(x)  # a training pass: the batch's statistics, running estimates updated
    pooled = pooled_features(model.net(x), 2)  # the network in training mode too
    assert torch.allclose(model.standardise.running_mean, 0.1 * pooled.mean(0))
    model.eval()
    features = pooled_features(model.net(x), 2)
    expected = (features - model.standardise.running_mean) / torch.sqrt(
        model.standardise.running_var + 1e-5
    )
    assert torch.allclose(model(x), expected @ head.weight.T + head.bias)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_network_on_cuda_equals_cpu() -> None:
    x = images(20)
    cpu = two_blocks()
    gpu = two_blocks().to("cuda")
    cpu.fit_epoch(x, batch_size=5, generator=torch.Generator().manual_seed(0))
    gpu.fit_epoch(x.cuda(), batch_size=5, generator=torch.Generator().manual_seed(0))
    for ours, theirs in zip(cpu.state_dict().values(), gpu.state_dict().values(), strict=True):
        assert torch.allclose(ours, theirs.cpu(), atol=1e-10)
    assert torch.allclose(cpu.features(x), gpu.features(x.cuda()).cpu(), atol=1e-10)


def test_probe_dropout_masks_come_from_its_generator() -> None:
    features = torch.ones(6, 50, dtype=torch.float64)
    probes = [
        LinearProbe(
            50, 2, dropout=0.4, generator=torch.Generator().manual_seed(9), dtype=torch.float64
        )
        for _ in range(2)
    ]
    first, second = (p(features) for p in probes)
    assert torch.equal(first, second)  # same generator state, same masks
    again = probes[0](features)
    assert not torch.equal(first, again)  # a new mask each call
    probes[0].eval()
    assert torch.allclose(probes[0](features), features @ probes[0].weight.T + probes[0].bias)
