"""The kernel learner: its gradient (loop and fast) against torch.autograd, and what it learns."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import KERNELS, correlate2d, load_sample
from cnnviz.learn import (
    TARGETS,
    LearnConfig,
    descend,
    gradient,
    gradient_loop,
    loss,
    output,
    prepare,
    start_kernel,
    steps_to_within,
    target_kernel,
    weight_step,
)

TOL = {"rtol": 1e-6, "atol": 1e-9}


def torch_gradient(picture, kernel, target_output):
    """The mean squared error's gradient for the kernel, by torch.autograd."""
    k = torch.tensor(kernel, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(picture, dtype=torch.float64)[None, None]  # (1, 1, H, W)
    out = F.conv2d(x, k[None, None])[0, 0]
    F.mse_loss(out, torch.tensor(target_output, dtype=torch.float64)).backward()
    return k.grad.numpy()


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(3, 9),
    w=st.integers(3, 9),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_loop_and_fast_gradient_equal_autograd(h, w, kh, kw, seed):
    """Input x error summed over window positions is the gradient torch computes."""
    rng = np.random.default_rng(seed)
    picture = rng.normal(size=(h, w))
    kernel = rng.normal(size=(kh, kw))
    target_output = rng.normal(size=(h - kh + 1, w - kw + 1))
    expected = torch_gradient(picture, kernel, target_output)
    np.testing.assert_allclose(gradient_loop(picture, kernel, target_output), expected, **TOL)
    np.testing.assert_allclose(gradient(picture, kernel, target_output), expected, **TOL)


def test_output_is_correlate2d_and_loss_is_torch_mse():
    """The learner's output is the app's correlation; its loss is torch's mean squared error."""
    rng = np.random.default_rng(3)
    picture = rng.random((12, 10)).astype(np.float32)
    kernel = KERNELS["sharpen"].weights
    np.testing.assert_allclose(output(picture, kernel), correlate2d(picture, kernel), atol=1e-5)
    target = rng.random((10, 8))
    expected = F.mse_loss(torch.tensor(output(picture, kernel)), torch.tensor(target)).item()
    assert loss(picture, kernel, target) == pytest.approx(expected, rel=1e-12)


def test_descend_matches_torch_sgd_step_by_step():
    """Every kernel of a run is what torch.optim.SGD reaches with the same rate and start."""
    image = np.random.default_rng(5).random((20, 24)).astype(np.float32)
    config = LearnConfig("sharpen", rate=0.05, steps=25, seed=7)
    run = descend(image, config)
    x = torch.tensor(run.picture, dtype=torch.float64)[None, None]
    y = torch.tensor(run.target_output, dtype=torch.float64)
    k = torch.tensor(start_kernel(7), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.SGD([k], lr=config.rate)
    for t in range(config.steps):
        np.testing.assert_allclose(run.kernels[t], k.detach().numpy(), rtol=1e-5, atol=1e-6)
        optimiser.zero_grad()
        value = F.mse_loss(F.conv2d(x, k[None, None])[0, 0], y)
        assert run.losses[t] == pytest.approx(value.item(), rel=1e-5)
        value.backward()
        optimiser.step()
    np.testing.assert_allclose(run.kernels[-1], k.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_weight_step_writes_out_the_update_autograd_makes():
    """The written-out update of one weight: total x 2/N is autograd's gradient, and
    old - rate x gradient is the next kernel of the run."""
    run = descend(load_sample("camera", size=64), LearnConfig("sobel_x", steps=10, seed=1))
    for step, cell in [(0, (0, 0)), (3, (1, 2)), (9, (2, 1))]:
        one = weight_step(run, step, cell)
        grad = torch_gradient(run.picture, run.kernels[step], run.target_output)
        assert one.gradient == pytest.approx(grad[cell], rel=1e-6, abs=1e-9)
        assert one.gradient == pytest.approx(2 / one.count * one.total, rel=1e-12)
        assert one.count == run.target_output.size
        assert one.new == pytest.approx(run.kernels[step + 1][cell], abs=1e-5)
        sizes = [abs(t.product) for t in one.largest]
        assert len(sizes) == 5 and sizes == sorted(sizes, reverse=True)
        for t in one.largest:  # each term is the pixel under the weight times the error there
            assert t.pixel == pytest.approx(run.picture[t.row + cell[0], t.col + cell[1]])
            assert t.product == pytest.approx(t.pixel * t.error, rel=1e-12)


def test_the_loss_falls_for_every_target():
    """From a random start, 300 steps make the loss at least 100 times smaller."""
    image = load_sample("coins", size=64)
    for target in TARGETS:
        run = descend(image, LearnConfig(target, steps=300, seed=2))
        assert not run.blew_up
        assert run.losses[-1] < run.losses[0] / 100, target


def test_it_recovers_sobel_x_on_the_camera_to_a_hundredth():
    """On the camera sample, gradient descent finds Sobel x to within 0.01 in every cell."""
    run = descend(load_sample("camera", size=256), LearnConfig("sobel_x", steps=2_000, seed=0))
    step = steps_to_within(run, 1e-2)
    print(f"Sobel x on the camera: every cell within 0.01 after {step} steps")
    assert step is not None
    np.testing.assert_allclose(run.kernels[-1], KERNELS["sobel_x"].weights, atol=1e-2)


def test_a_learning_rate_too_large_stops_the_run_with_finite_numbers():
    """Steps too large make the loss run away: the run stops early, every number finite."""
    run = descend(load_sample("camera", size=64), LearnConfig("sobel_x", rate=5.0, steps=2000))
    assert run.blew_up and run.steps < 2000
    assert np.isfinite(run.kernels).all() and np.isfinite(run.losses).all()
    assert len(run.losses) == len(run.kernels)


def test_start_and_hidden_kernel_follow_the_seed():
    """The same seed gives the same start and hidden kernel; another seed, others."""
    np.testing.assert_array_equal(start_kernel(4), start_kernel(4))
    assert not np.array_equal(start_kernel(4), start_kernel(5))
    one, two = target_kernel(LearnConfig("hidden", seed=4)), target_kernel(LearnConfig("hidden"))
    assert one.shape == (3, 3) and not np.array_equal(one, two)
    np.testing.assert_array_equal(target_kernel(LearnConfig("sobel_x")), KERNELS["sobel_x"].weights)


def test_prepare_centres_the_picture_and_refuses_flat_or_tiny_ones():
    """The learning picture averages 0 and spreads 1; a flat or 3-pixel picture is refused."""
    picture = prepare(np.random.default_rng(0).random((3, 100, 80)))
    assert picture.shape == (48, 38)
    assert abs(float(picture.mean())) < 1e-5 and float(picture.std()) == pytest.approx(1, 1e-5)
    with pytest.raises(ValueError, match="flat"):
        prepare(np.full((20, 20), 0.5))
    with pytest.raises(ValueError, match="at least 4"):
        prepare(np.random.default_rng(0).random((3, 20)))


@pytest.mark.parametrize(
    "bad", [{"target": "blur"}, {"rate": float("nan")}, {"rate": -1.0}, {"steps": 0}]
)
def test_config_refuses_what_it_cannot_run(bad):
    """An unknown target, a rate that is not a positive number or no steps: ValueError."""
    with pytest.raises(ValueError):
        LearnConfig(**{"target": "sobel_x", **bad})
