"""The torch-autograd engine: same start, same trajectory as the hand-derived numpy engine."""

import numpy as np
import pytest
import torch

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


def autograds_gradients(params: tuple[float, ...], config: RunConfig, frozen: set[str]) -> list[float]:
    """The oracle: the cubic's loss at `params` differentiated by torch autograd, 0 for a weight left constant."""
    problem = make_problem(config)
    x, y = torch.from_numpy(problem.x), torch.from_numpy(problem.y)
    weights = [
        torch.tensor(p, dtype=torch.float64, requires_grad=n not in frozen) for n, p in zip("abcd", params, strict=True)
    ]
    a, b, c, d = weights
    loss = (a + b * x + c * x**2 + d * x**3 - y).pow(2).sum()
    tracked = [w for w in weights if w.requires_grad]
    found = iter(torch.autograd.grad(loss, tracked))
    return [next(found).item() if w.requires_grad else 0.0 for w in weights]


def test_a_frozen_weight_never_moves_and_the_others_descend_without_it() -> None:
    """requires_grad=False on c: c keeps its first value every step, its gradient is none (read as 0), and the
    other weights' gradients are autograd's for the loss with c a constant."""
    config = RunConfig(engine="torch-autograd", steps=30, points=40, seed=5, frozen=["c"])
    got = records("torch-autograd", steps=30, points=40, seed=5, frozen=["c"])
    start = ENGINES["torch-autograd"].initial_params(config)[2]
    assert all(r.params[2] == start and r.updated[2] == start and r.grads[2] == 0.0 for r in got)
    for record in got:
        np.testing.assert_allclose(record.grads, autograds_gradients(record.params, config, {"c"}), rtol=1e-10)
    assert got[-1].loss < got[0].loss
    free = records("torch-autograd", steps=30, points=40, seed=5)
    assert free[-1].updated[2] != start  # unfrozen, c moves


def test_freezing_every_weight_leaves_backward_nothing_and_pytorch_says_so() -> None:
    with pytest.raises(RuntimeError) as oracle:
        (torch.tensor(1.0) * 2).sum().backward()
    config = RunConfig(engine="torch-autograd", steps=3, points=10, frozen=["a", "b", "c", "d"])
    with pytest.raises(RuntimeError) as caught:
        next(ENGINES["torch-autograd"].train(config, make_problem(config), CURVE_X))
    assert str(caught.value) == str(oracle.value)
