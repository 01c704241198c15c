"""The torch-autograd engine: same start, same trajectory as the hand-derived numpy engine."""

import numpy as np
import pytest

from app.engines import ENGINES
from app.engines.base import StepRecord
from app.engines.problem import make_problem
from app.run_config import RunConfig

CURVE_X = np.linspace(-3.0, 3.0, 5)


def records(engine: str, **config: object) -> list[StepRecord]:
    """Every record of one engine's run of the given config."""
    run_config = RunConfig.model_validate({"engine": engine, **config})
    return list(ENGINES[engine].train(run_config, make_problem(run_config), CURVE_X))


def assert_same_trajectory(left: list[StepRecord], right: list[StepRecord], rel: float) -> None:
    """Both runs agree step by step in loss, weights before and after, and gradient."""
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.step == b.step
        assert a.loss == pytest.approx(b.loss, rel=rel), f"loss at step {a.step}"
        assert a.params == pytest.approx(b.params, rel=rel), f"params at step {a.step}"
        assert a.grads == pytest.approx(b.grads, rel=rel), f"grads at step {a.step}"
        assert a.updated == pytest.approx(b.updated, rel=rel), f"updated at step {a.step}"


@pytest.mark.parametrize("seed", [0, 9, 2**40])
def test_same_seed_gives_same_initial_weights_in_both_engines(seed: int) -> None:
    """Both engines start from the same a, b, c, d for a seed, and the first record's params are them."""
    config = RunConfig(seed=seed, steps=1, points=10)
    torch_start = ENGINES["torch-autograd"].initial_params(config)
    assert torch_start == ENGINES["numpy"].initial_params(config)
    assert records("torch-autograd", seed=seed, steps=1, points=10)[0].params == torch_start
    assert records("numpy", seed=seed, steps=1, points=10)[0].params == torch_start


def test_lecture_trajectories_agree_step_for_step() -> None:
    """With the lecture's defaults and one seed, all 2000 steps agree between the engines to ~1e-9 relative."""
    numpy_run = records("numpy", seed=0)
    torch_run = records("torch-autograd", seed=0)
    assert len(torch_run) == 2000
    assert_same_trajectory(numpy_run, torch_run, rel=1e-9)


def test_mean_reduction_trajectories_agree() -> None:
    """With the mean reduction the engines agree too (torch divides the autograd loss by n)."""
    numpy_run = records("numpy", seed=1, steps=200, points=100, reduction="mean")
    torch_run = records("torch-autograd", seed=1, steps=200, points=100, reduction="mean")
    assert_same_trajectory(numpy_run, torch_run, rel=1e-9)


def test_different_seeds_give_different_trajectories() -> None:
    """The comparison above is not vacuous: another seed starts and ends elsewhere."""
    first = records("torch-autograd", seed=0, steps=3, points=20)
    other = records("torch-autograd", seed=1, steps=3, points=20)
    assert first[0].params != other[0].params
    assert first[-1].loss != pytest.approx(other[-1].loss, rel=1e-3)


def pytorchs_own_refusal() -> str:
    """The error PyTorch raises for the lecture's update written without torch.no_grad(), from torch itself."""
    import torch

    a = torch.tensor(0.5, requires_grad=True)
    (a * 2.0).backward()
    with pytest.raises(RuntimeError) as caught:
        a -= 1e-6 * a.grad  # type: ignore[operator]
    return str(caught.value)


def test_an_update_without_no_grad_is_refused_by_pytorch_itself() -> None:
    """no_grad=false runs the lecture's update with autograd on: the first step ends in PyTorch's own error, and
    nothing is recorded; with no_grad the same config trains."""
    config = RunConfig(engine="torch-autograd", steps=3, points=10, seed=1, no_grad=False)
    stream = ENGINES["torch-autograd"].train(config, make_problem(config), CURVE_X)
    with pytest.raises(RuntimeError) as caught:
        next(stream)
    assert str(caught.value) == pytorchs_own_refusal()
    assert "leaf Variable that requires grad" in str(caught.value)
    assert len(records("torch-autograd", steps=3, points=10, seed=1)) == 3
