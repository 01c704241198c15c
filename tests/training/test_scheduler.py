"""A worker's scheduler stepping many runs on one thread: paced runs on the same data stepped together in batches,
every step equal to what each run's own generator gives."""

import dataclasses
import pickle
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from app.engines import ENGINES
from app.engines.base import Batching, StepRecord, Weights
from app.engines.problem import Array, Problem
from app.run_config import RunConfig
from app.training import scheduler
from app.training.channel import queue_pair
from app.training.messages import Shutdown, Start, StatusReport, StepBatch, Stepped, batch
from app.training.scheduler import serve

RUNS = 16
STEPS = 120
CURVE_POINTS = 20
TORCH_AUTOGRAD = ENGINES["torch-autograd"]


def counted_engine(sizes: list[int]) -> object:
    """torch-autograd, its batched step noting how many runs each batch held."""
    assert TORCH_AUTOGRAD.batching is not None
    step_many = TORCH_AUTOGRAD.batching.step_many

    def counting(problem: Problem, rows: Sequence[tuple[RunConfig, Weights, bool]], x: Array) -> list[StepRecord]:
        sizes.append(len(rows))
        return step_many(problem, rows, x)

    batching = Batching(step_many=counting, resume=TORCH_AUTOGRAD.batching.resume)
    return dataclasses.replace(TORCH_AUTOGRAD, name="torch-autograd-counted", batching=batching)


def train_together(configs: list[RunConfig], graph_share: float) -> tuple[dict[str, list[StepBatch]], list[str]]:
    """Every run started at once on one scheduler (in a thread, as a server without worker processes runs it):
    each run's step batches, and how each run ended."""
    web, worker = queue_pair()
    thread = threading.Thread(target=serve, args=(worker, graph_share), daemon=True)
    thread.start()
    web.send(
        [
            Start(f"r{i}", "torch-autograd-counted", config.model_dump(), CURVE_POINTS, 0.0, watched=True)
            for i, config in enumerate(configs)
        ]
    )
    batches: dict[str, list[StepBatch]] = {f"r{i}": [] for i in range(len(configs))}
    ended: dict[str, str] = {}
    while len(ended) < len(configs):
        for message in web.receive(30):
            if isinstance(message, StepBatch):
                batches[message.run_id].append(message)
            elif isinstance(message, StatusReport) and message.status in ("finished", "failed", "diverged"):
                ended[message.run_id] = message.status
    web.send([Shutdown()])
    thread.join(10)
    return batches, [ended[f"r{i}"] for i in range(len(configs))]


@pytest.mark.parametrize("graph_share", [0.0, 0.3])
def test_paced_runs_on_the_same_data_step_together_and_exactly_as_alone(
    monkeypatch: pytest.MonkeyPatch, graph_share: float
) -> None:
    """A class's paced runs (their own learning rates, losses and zero_grad) share batches, and each run's every
    loss, weight and gradient equals its own generator's, the steps that captured a graph (taken alone, from where
    the run stood) included."""
    sizes: list[int] = []
    monkeypatch.setitem(ENGINES, "torch-autograd-counted", counted_engine(sizes))
    if not graph_share:  # no time for graphs at all: not even the burst a budget starts with
        monkeypatch.setattr(scheduler, "CAPTURE_BURST", 0.0)
    configs = [
        RunConfig(
            engine="torch-autograd",
            steps=STEPS,
            seed=i,
            pace=300,
            learning_rate=1e-7 * (1 + i),
            reduction="mean" if i % 2 else "sum",
            zero_grad=i % 3 != 0,
        )
        for i in range(RUNS)
    ]
    batches, ended = train_together(configs, graph_share)
    assert ended == ["finished"] * RUNS
    for i, config in enumerate(configs):
        expected = list(TORCH_AUTOGRAD.train(config, TORCH_AUTOGRAD.make_problem(config), np.zeros(1)))
        got = batches[f"r{i}"]
        np.testing.assert_array_equal(np.concatenate([b.columns()[0] for b in got]), [r.loss for r in expected])
        np.testing.assert_array_equal(np.concatenate([b.columns()[1] for b in got]), [r.params for r in expected])
        np.testing.assert_array_equal(np.concatenate([b.columns()[2] for b in got]), [r.grads for r in expected])
        assert got[-1].last.updated == expected[-1].updated
    assert max(sizes) > RUNS // 2, f"batch sizes: {sorted(set(sizes))}"
    graphs = sum(len(b.graphs) for got in batches.values() for b in got)
    # First and last steps always capture; a share of time for graphs captures more of them, alone.
    assert graphs > 2 * RUNS if graph_share else graphs == 2 * RUNS


def test_step_batches_cross_a_process_boundary_whole() -> None:
    """A step batch pickled for a worker's pipe reads back equal, its record, arrays and graphs included."""
    record = StepRecord(3, 1.5, (0.1, 0.2), (1.0, 2.0), (0.0, 0.1), np.linspace(0, 1, 5))
    sent = StepBatch("r", np.array([1.5]), np.array([[0.1, 0.2]]), np.array([[1.0, 2.0]]), record, record.curve)
    read = pickle.loads(pickle.dumps(sent))
    assert read.run_id == "r" and read.graphs == ()
    assert (read.last.step, read.last.loss, read.last.params, read.last.grads, read.last.updated) == (
        3,
        1.5,
        (0.1, 0.2),
        (1.0, 2.0),
        (0.0, 0.1),
    )
    for got, expected in zip(
        (read.loss, read.params, read.grads, read.curve, read.last.curve),
        (sent.loss, sent.params, sent.grads, sent.curve, record.curve),
        strict=True,
    ):
        np.testing.assert_array_equal(got, expected)


def test_a_batch_of_one_step_carries_its_record_alone_and_gives_the_same_columns() -> None:
    """A paced run's batch of one step goes as its record alone (no arrays to pickle), and reads back as the
    columns a batch of several steps has."""
    records = [StepRecord(i, 1.5 + i, (0.1 * i, 0.2), (1.0, 2.0 * i), (0.0, 0.1), None) for i in range(3)]
    alone = batch([Stepped("r", records[0])])
    assert alone.loss is None and alone.params is None and alone.grads is None
    read = pickle.loads(pickle.dumps(alone))
    several = batch([Stepped("r", record) for record in records])
    for got, expected in zip(read.columns(), several.columns(), strict=True):
        np.testing.assert_array_equal(got, expected[:1])


def test_a_run_alone_steps_with_its_own_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full-speed run with no other run to join takes no batch of one (slower than its generator), and its
    steps are its generator's."""
    sizes: list[int] = []
    monkeypatch.setitem(ENGINES, "torch-autograd-counted", counted_engine(sizes))
    config = RunConfig(engine="torch-autograd", steps=STEPS, seed=1)
    batches, ended = train_together([config], 0.0)
    assert ended == ["finished"] and sizes == []
    expected = list(TORCH_AUTOGRAD.train(config, TORCH_AUTOGRAD.make_problem(config), np.zeros(1)))
    np.testing.assert_array_equal(np.concatenate([b.columns()[0] for b in batches["r0"]]), [r.loss for r in expected])
