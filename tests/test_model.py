"""The lesson CNN, its configs, feature maps, the dense baseline and saliency."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz.model import (
    CNN,
    LESSON_CNN,
    MLP,
    CNNConfig,
    count_parameters,
    feature_maps,
    layer_shapes,
    saliency,
    to_tensor,
)


def batch(n: int = 3, seed: int = 0) -> torch.Tensor:
    """Random pixels in [0, 1] shaped ``(n, 1, 28, 28)``."""
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_lesson_layer_shapes():
    """The lesson CNN goes 28 -> 26 -> 13 -> 11 -> 5, flattens to 1600, ends in 10 logits."""
    assert layer_shapes(LESSON_CNN) == [
        ("input", (1, 28, 28)),
        ("conv1", (32, 26, 26)),
        ("relu1", (32, 26, 26)),
        ("pool1", (32, 13, 13)),
        ("conv2", (64, 11, 11)),
        ("relu2", (64, 11, 11)),
        ("pool2", (64, 5, 5)),
        ("flatten", (1600,)),
        ("dense1", (128,)),
        ("relu3", (128,)),
        ("output", (10,)),
    ]


def test_lesson_cnn_parameter_count():
    """Conv 32 3x3, conv 64 3x3, dense 128, dense 10 make 225,034 parameters."""
    expected = (9 * 32 + 32) + (32 * 9 * 64 + 64) + (1600 * 128 + 128) + (128 * 10 + 10)
    assert count_parameters(CNN()) == expected == 225_034


def test_submodules_have_lesson_names():
    """The layers are attributes named as in the lesson, listed in order."""
    model = CNN()
    assert model.layer_names == tuple(name for name, _ in layer_shapes(LESSON_CNN))[1:]
    assert isinstance(model.conv1, torch.nn.Conv2d) and model.conv2.out_channels == 64
    assert isinstance(model.pool1, torch.nn.MaxPool2d) and model.output.out_features == 10


@pytest.mark.parametrize(
    "config",
    [
        LESSON_CNN,
        CNNConfig(channels=(8,)),
        CNNConfig(channels=(8, 16, 16), pool="avg"),
        CNNConfig(channels=(4, 8), pool="none", kernel_size=5, dense=16),
        CNNConfig(channels=(8, 8, 8), kernel_size=3, pool="max"),
    ],
)
def test_feature_maps_follow_layer_shapes(config):
    """Every feature map has the batch size plus the shape ``layer_shapes`` predicts."""
    model = CNN(config).eval()
    x = batch(2)
    maps = feature_maps(model, x)
    assert [name for name, _ in maps] == [name for name, _ in layer_shapes(config)]
    for (_, fmap), (_, shape) in zip(maps, layer_shapes(config), strict=True):
        assert tuple(fmap.shape) == (2, *shape)
    torch.testing.assert_close(maps[-1][1], model(x))


def test_pool_none_has_no_pool_layers():
    """With pool="none" there are no pool layers and the conv output is flattened directly."""
    config = CNNConfig(channels=(4,), pool="none")
    assert not any(name.startswith("pool") for name, _ in layer_shapes(config))
    assert dict(layer_shapes(config))["flatten"] == (4 * 26 * 26,)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"channels": ()}, "one to three"),
        ({"channels": (8, 8, 8, 8)}, "one to three"),
        ({"pool": "median"}, "max, avg, none"),
        ({"dropout": 1.0}, "dropout"),
        ({"channels": (8, 8, 8), "kernel_size": 5}, "does not fit"),
    ],
)
def test_bad_configs_fail_loudly(kwargs, needle):
    """Impossible configs raise ValueError explaining what is wrong."""
    with pytest.raises(ValueError, match=needle):
        CNNConfig(**kwargs)


def test_normalisation_lives_inside_the_model():
    """The model standardises pixels itself: a model with mean m, std s equals one fed (x-m)/s."""
    torch.manual_seed(0)
    plain = CNN().eval()
    normalised = CNN(mean=0.3, std=0.4).eval()
    normalised.load_state_dict(
        plain.state_dict() | {"mean": normalised.mean, "std": normalised.std}
    )
    x = batch()
    torch.testing.assert_close(normalised(x), plain((x - 0.3) / 0.4))
    assert set(dict(normalised.named_buffers())) == {"mean", "std"}


def test_dropout_only_in_training():
    """Eval mode is deterministic; train mode drops units."""
    model = CNN(CNNConfig(dropout=0.5))
    x = batch()
    model.eval()
    torch.testing.assert_close(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def test_mlp_contract():
    """The dense baseline takes the same (N, 1, 28, 28) pixels and returns (N, 10) logits."""
    model = MLP((64, 32), mean=0.5, std=0.5)
    assert model(batch(4)).shape == (4, 10)
    assert count_parameters(model) == (784 * 64 + 64) + (64 * 32 + 32) + (32 * 10 + 10)
    names = [name for name, _ in feature_maps(model, batch(1))]
    assert names == ["input", "flatten", "dense1", "relu1", "dense2", "relu2", "output"]


def test_to_tensor_scales_uint8():
    """uint8 (N, H, W) becomes float (N, 1, H, W) in [0, 1]; one (H, W) image becomes N=1."""
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = to_tensor(images)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    torch.testing.assert_close(x[0, 0], torch.tensor([[0.0, 1.0], [0.2, 0.4]]))
    assert to_tensor(images[0]).shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        to_tensor(np.zeros((1, 1, 2, 2)))


def test_saliency_is_a_unit_map_that_leaves_the_model_alone():
    """Saliency is an (H, W) map in [0, 1] peaking at 1, and the model stays frozen in eval."""
    torch.manual_seed(0)
    model = CNN().eval().requires_grad_(False)
    image = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)
    heat = saliency(model, image)
    assert heat.shape == (28, 28) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert all(p.grad is None for p in model.parameters())


def test_saliency_sees_only_the_pixels_that_matter():
    """For a model that reads only the centre pixel, saliency is 1 there and 0 elsewhere."""
    model = MLP((), num_classes=2)
    with torch.no_grad():
        model.output.weight.zero_()
        model.output.weight[1, 14 * 28 + 14] = 5.0
    heat = saliency(model, np.zeros((28, 28), np.float32), target=1)
    expected = np.zeros((28, 28), np.float32)
    expected[14, 14] = 1.0
    np.testing.assert_allclose(heat, expected)
    with pytest.raises(ValueError, match="0..1"):
        saliency(model, np.zeros((28, 28)), target=2)


def test_layer_kind_names_every_layer_of_every_network():
    """Each name layer_shapes gives has a kind; the lesson CNN's run conv, relu, pool twice."""
    from cnnviz.model import layer_kind

    kinds = [layer_kind(name) for name, _ in layer_shapes(CNNConfig())]
    assert kinds == ["input", "conv", "relu", "pool", "conv", "relu", "pool", "flatten",
                     "dense", "relu", "output"]  # fmt: skip
    for pool in ("max", "avg", "none"):
        for name, _ in layer_shapes(CNNConfig(channels=(4, 8, 16), pool=pool)):
            layer_kind(name)
    with pytest.raises(ValueError, match="not a layer name"):
        layer_kind("softmax")
