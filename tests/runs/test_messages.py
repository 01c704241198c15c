"""The messages' numbers as the wire carries them."""

import numpy as np
import orjson

from app.runs.messages import curve_numbers
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
