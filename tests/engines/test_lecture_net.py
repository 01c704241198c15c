"""The lecture's 2-in, 2-out network: its data, its drawing and its steps against a hand-built copy."""

import numpy as np
import pytest
import torch

from app.engines import ENGINES
from app.engines.lecture_net import DRAWN_SAMPLES
from app.run_config import RunConfig

SPEC = ENGINES["lecture-net"]


def test_data_are_two_inputs_and_two_outputs_from_the_seed() -> None:
    """points-by-2 inputs on the x range and points-by-2 targets, the same for the same seed, not for another."""
    config = RunConfig(engine="lecture-net", seed=4, points=300, x_min=-2, x_max=2)
    problem = SPEC.make_problem(config)
    assert problem.x.shape == (300, 2) and problem.y.shape == (300, 2)
    assert problem.x.min() >= -2 and problem.x.max() <= 2
    np.testing.assert_array_equal(problem.y, SPEC.make_problem(config).y)
    assert not np.array_equal(problem.y, SPEC.make_problem(config.model_copy(update={"seed": 5})).y)


def test_drawing_plots_predictions_against_targets_in_ascending_order() -> None:
    """The page gets 2 * DRAWN_SAMPLES targets, sorted, on the diagonal, as an "outputs" view."""
    config = RunConfig(engine="lecture-net", seed=4)
    problem = SPEC.make_problem(config)
    drawing = SPEC.drawing(config, problem, np.empty(0))
    assert drawing.view == "outputs" and (drawing.x_label, drawing.y_label) == ("target", "prediction")
    assert drawing.grid.shape == (2 * DRAWN_SAMPLES,)
    assert np.all(np.diff(drawing.grid) >= 0)
    np.testing.assert_array_equal(drawing.truth, drawing.grid)
    assert set(np.round(drawing.grid, 12)) <= set(np.round(problem.y[:DRAWN_SAMPLES].ravel(), 12))


def test_steps_match_a_hand_built_copy_of_the_slide() -> None:
    """Loss, layer norms and the drawn predictions equal Sequential(Linear(2,3), Sigmoid(), Linear(3,2)) by hand."""
    config = RunConfig(engine="lecture-net", seed=2, steps=4, reduction="mean", learning_rate=0.5)
    problem = SPEC.make_problem(config)
    drawing = SPEC.drawing(config, problem, np.empty(0))
    stream = SPEC.train(config, problem, drawing.grid)

    with torch.random.fork_rng():
        torch.manual_seed(config.initial_seed)
        model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 2))
    model = model.double()
    x, y = torch.from_numpy(problem.x), torch.from_numpy(problem.y)
    record = next(stream)
    for t in range(config.steps):
        if t:
            record = stream.send(True)
        assert record.params == pytest.approx([float(p.detach().norm()) for p in model.parameters()], rel=1e-12)
        y_pred = model(x)
        loss = ((y_pred - y) ** 2).mean()
        model.zero_grad()
        loss.backward()
        assert record.loss == pytest.approx(loss.item(), rel=1e-12)
        assert record.grads == pytest.approx([float(p.grad.norm()) for p in model.parameters()], rel=1e-12)
        assert record.curve is not None
        drawn = sorted(
            zip(problem.y[:DRAWN_SAMPLES].ravel(), y_pred.detach().numpy()[:DRAWN_SAMPLES].ravel(), strict=True)
        )
        np.testing.assert_allclose(record.curve, [prediction for _, prediction in drawn], rtol=1e-12)
        with torch.no_grad():
            for param in model.parameters():
                param -= config.lr * param.grad


def test_the_network_learns_its_data() -> None:
    """With the default rate the loss falls far below where it starts."""
    config = RunConfig(engine="lecture-net", seed=1)
    records = list(SPEC.train(config, SPEC.make_problem(config), np.empty(0)))
    assert records[-1].loss < records[0].loss / 100
