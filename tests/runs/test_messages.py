"""The messages' numbers as the wire carries them."""

import math

import numpy as np
import orjson

from app.runs.history import History
from app.runs.messages import GRAD_NORM_POINTS, curve_numbers, grad_norms
from app.runs.viewer import Encoded


def test_a_curve_goes_out_at_float32_precision_in_half_the_bytes() -> None:
    """A frame's curve reads back as the float32 nearest each point, written in float32's shortest digits: about
    half the JSON of float64's."""
    x = np.linspace(-np.pi, np.pi, 200)
    curve = 0.1 + 0.8 * x - 0.01 * x**2 - 0.09 * x**3
    sent = Encoded({"curve": curve_numbers(curve)}).data
    read = orjson.loads(sent)["curve"]
    np.testing.assert_array_equal(np.array(read, dtype=np.float32), curve.astype(np.float32))
    assert np.max(np.abs(np.array(read) - curve) / np.abs(curve)) < 1e-7
    assert len(sent) < 0.6 * len(orjson.dumps({"curve": curve.tolist()}))


def test_a_curve_past_float32_range_stays_numbers() -> None:
    """Points too large for float32 go out as its largest number, never as null; a missing curve is empty."""
    read = orjson.loads(Encoded({"curve": curve_numbers(np.array([1e300, -1e300, 1.5]))}).data)["curve"]
    assert read[2] == 1.5
    assert None not in read and read[0] > 3e38 and read[1] < -3e38
    assert curve_numbers(None) == []


def history_of(grads: np.ndarray) -> History:
    """A run's history whose steps had these gradients (one row a step)."""
    history = History(len(grads), tuple(f"w{i}" for i in range(grads.shape[1])))
    history.extend(np.ones(len(grads)), np.zeros_like(grads), grads)
    return history


def test_a_short_runs_gradient_length_is_given_at_every_step() -> None:
    """Each step's length is the hypot of its gradients (a network's per-tensor norms make the whole norm), from
    the snapshot's first step on; a length past float64's range is null, never Infinity."""
    grads = np.random.default_rng(0).normal(size=(50, 4)) * 10.0 ** np.arange(4)
    grads[7] = [1.5e308, -1.5e308, 0.0, 0.0]
    sent = grad_norms(history_of(grads), 5, 50)
    assert sent["steps"] == list(range(5, 50))
    expected = [math.hypot(*row) for row in grads[5:]]  # Python's own, row by row
    assert expected[2] == math.inf and sent["norms"][2] is None
    finite = [i for i in range(len(expected)) if i != 2]
    assert np.allclose([sent["norms"][i] for i in finite], [expected[i] for i in finite], rtol=1e-12)
    assert b"Infinity" not in Encoded(sent).data
    assert grad_norms(history_of(grads), 50, 50) == {"steps": [], "norms": []}


def test_a_long_runs_gradient_length_is_an_even_sample_ending_at_its_last_step() -> None:
    """Past GRAD_NORM_POINTS steps, at most that many, evenly spaced, the last step among them, each exact."""
    grads = np.random.default_rng(1).normal(size=(25_003, 3))
    sent = grad_norms(history_of(grads), 0, 25_003)
    steps = sent["steps"]
    assert len(steps) <= GRAD_NORM_POINTS + 1 and steps[0] == 0 and steps[-1] == 25_002
    assert len(set(np.diff(steps[:-1]))) == 1  # evenly spaced, but for the last step
    assert np.allclose(sent["norms"], [math.hypot(*grads[step]) for step in steps], rtol=1e-12)
