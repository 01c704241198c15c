"""The hand-derived graph of the numpy and torch-tensors engines: the lecture's equations, labelled as the
reduction makes them, each node's numbers what torch autograd gives for the same loss."""

import numpy as np
import pytest
import torch

from app.engines import ENGINES
from app.engines.problem import make_problem
from app.graph.hand_graph import hand_graph
from app.run_config import RunConfig


@pytest.mark.parametrize(
    ("reduction", "loss_label", "grad_label"),
    [
        ("sum", "L = Σ (ŷ − y)²", "dL/dŷ = 2(ŷ − y)"),
        ("mean", "L = (1/n) Σ (ŷ − y)²", "dL/dŷ = 2(ŷ − y)/n"),
    ],
)
def test_dl_dy_pred_says_and_carries_what_autograd_computes(reduction: str, loss_label: str, grad_label: str) -> None:
    """dL/dŷ's node reads the derivative of the run's own loss and its value is that derivative, one number a point,
    equal to torch's gradient of the loss with respect to ŷ; the leaf gradients too."""
    config = RunConfig.model_validate({"engine": "numpy", "steps": 3, "points": 50, "reduction": reduction})
    problem = make_problem(config)
    stream = ENGINES["numpy"].train(config, problem, np.linspace(-1.0, 1.0, 5))
    record = stream.send(None)
    graph, trace = hand_graph(record, problem, config)
    nodes = {node.id: node for node in graph.nodes}
    assert nodes["n0"].label == loss_label
    assert nodes["n1"].label == grad_label

    weights = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in record.params]
    x, y = torch.from_numpy(problem.x.astype(np.float64)), torch.from_numpy(problem.y.astype(np.float64))
    y_pred = weights[0] + weights[1] * x + weights[2] * x**2 + weights[3] * x**3
    y_pred.retain_grad()
    loss = (y_pred - y).pow(2).sum() if reduction == "sum" else (y_pred - y).pow(2).mean()
    loss.backward()
    expected = y_pred.grad.numpy()
    value = nodes["n1"].forward
    assert value is not None and value.shape == (problem.x.size,)
    assert value.norm == pytest.approx(float(np.linalg.norm(expected)), rel=1e-9)
    assert value.values == pytest.approx(expected[: len(value.values)].tolist(), rel=1e-9)
    assert trace.grad_in["n1"].norm == pytest.approx(value.norm, rel=1e-12)
    assert loss.item() == pytest.approx(record.loss, rel=1e-9)
    for name, weight in zip("abcd", weights, strict=True):
        assert trace.leaf_grads[name] == pytest.approx(float(weight.grad), rel=1e-9)
