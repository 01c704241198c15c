"""The training engines, each a plain generator of step records with no web imports."""

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.numpy_cubic import ENGINE as NUMPY
from app.engines.torch_autograd import ENGINE as TORCH_AUTOGRAD

ENGINES: dict[str, EngineSpec] = {spec.name: spec for spec in (NUMPY, TORCH_AUTOGRAD)}

__all__ = ["ENGINES", "EngineSpec", "StepRecord", "StepStream"]
