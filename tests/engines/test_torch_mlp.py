"""The network engine: its layer norms, gradients and Adam steps equal an independently built copy's."""

import math

import numpy as np
import pytest
import torch

from app.engines import ENGINES
from app.engines.problem import make_problem
from app.run_config import RunConfig

CURVE_X = np.linspace(-math.pi, math.pi, 41)


def independent_copy(config: RunConfig) -> torch.nn.Sequential:
    """The network the config describes, written out by hand, drawn from the same seed as PyTorch draws it."""
    with torch.random.fork_rng():
        torch.manual_seed(config.initial_seed)
        model = torch.nn.Sequential(
            torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1), torch.nn.Flatten(0, 1)
        )
    return model.double()


def norms(tensors: list[torch.Tensor]) -> list[float]:
    """Each tensor's L2 norm."""
    return [float(t.detach().norm()) for t in tensors]


@pytest.mark.parametrize("zero_grad", [True, False])
def test_records_match_an_independent_network_trained_by_adam(zero_grad: bool) -> None:
    """Loss, layer norms before and after, and gradient norms equal a hand-built copy's for 5 Adam steps."""
    config = RunConfig(engine="torch-mlp", seed=3, steps=5, zero_grad=zero_grad)
    assert config.layers == [16, "tanh"]
    problem = make_problem(config)
    records = list(ENGINES["torch-mlp"].train(config, problem, CURVE_X))

    model = independent_copy(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    x, y = torch.from_numpy(problem.x).unsqueeze(-1), torch.from_numpy(problem.y)
    for record in records:
        assert record.params == pytest.approx(norms(list(model.parameters())), rel=1e-12)
        loss = ((model(x) - y) ** 2).sum()
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        assert record.loss == pytest.approx(loss.item(), rel=1e-12)
        assert record.grads == pytest.approx(norms([p.grad for p in model.parameters()]), rel=1e-12)
        optimizer.step()
        assert record.updated == pytest.approx(norms(list(model.parameters())), rel=1e-12)


def test_names_follow_the_layer_list() -> None:
    """Every Linear layer contributes a weight and a bias, named by its place in the Sequential."""
    config = RunConfig(engine="torch-mlp", layers=[8, "relu", 4, "softmax", 3, "sigmoid"])
    names = ENGINES["torch-mlp"].names(config)
    assert names == ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias")
    assert len(ENGINES["torch-mlp"].initial_params(config)) == len(names)


def test_a_small_network_learns_sin() -> None:
    """1 → 16 → Tanh → 1 with Adam fits sin(x) closely in 1500 steps: its curve nears the truth."""
    config = RunConfig(engine="torch-mlp", seed=0, steps=1500)
    stream = ENGINES["torch-mlp"].train(config, make_problem(config), CURVE_X)
    first = next(stream)
    for t in range(1, config.steps):
        last = stream.send(t == config.steps - 1)  # as a Run does: the curve is asked for the step it shows
    assert last.loss < first.loss / 1000
    assert last.curve is not None
    assert np.max(np.abs(last.curve - np.sin(CURVE_X))) < 0.05


def test_layers_are_validated() -> None:
    """Widths must lie in 1..256 and activations be the lecture's; the error names the layers field."""
    for layers in ([0], [300], ["gelu"], [4] * 9):
        with pytest.raises(ValueError, match="layers"):
            RunConfig(engine="torch-mlp", layers=layers)
