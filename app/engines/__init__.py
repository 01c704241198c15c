"""The training engines, each a plain generator of step records with no web imports."""

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.dynamic_net import ENGINE as DYNAMIC_NET
from app.engines.lecture_net import ENGINE as LECTURE_NET
from app.engines.linear import LINEAR, LINEAR_TORCH
from app.engines.numpy_cubic import ENGINE as NUMPY
from app.engines.tiny_autograd import ENGINE as TINY_AUTOGRAD
from app.engines.torch_autograd import ENGINE as TORCH_AUTOGRAD
from app.engines.torch_function import ENGINE as TORCH_FUNCTION
from app.engines.torch_mlp import ENGINE as TORCH_MLP
from app.engines.torch_nn import ENGINE as TORCH_NN
from app.engines.torch_optim import ENGINE as TORCH_OPTIM
from app.engines.torch_tensors import ENGINE as TORCH_TENSORS

# In the order the lecture and the tutorial build them up.
ENGINES: dict[str, EngineSpec] = {
    spec.name: spec
    for spec in (
        LINEAR,
        LINEAR_TORCH,
        NUMPY,
        TORCH_TENSORS,
        TORCH_AUTOGRAD,
        TINY_AUTOGRAD,
        TORCH_FUNCTION,
        TORCH_NN,
        TORCH_OPTIM,
        DYNAMIC_NET,
        TORCH_MLP,
        LECTURE_NET,
    )
}

__all__ = ["ENGINES", "EngineSpec", "StepRecord", "StepStream"]
