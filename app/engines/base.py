"""What every engine yields and how the engines are listed."""

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.engines.problem import Array, Drawing, Problem, make_drawing, make_problem
from app.graph.model import BackwardTrace, Graph
from app.run_config import RunConfig

if TYPE_CHECKING:
    from app.engines.code import CodeLine


@dataclass(slots=True)
class StepRecord:
    """One gradient step: the loss and gradient at the weights before the update, and the weights after."""

    step: int
    loss: float
    params: tuple[float, ...]
    grads: tuple[float, ...]
    updated: tuple[float, ...]
    curve: Array | None = None

    def __reduce__(self) -> tuple[type["StepRecord"], tuple[object, ...]]:
        """Pickled as its fields in order (a worker sends thousands a second; see StepBatch)."""
        return StepRecord, (self.step, self.loss, self.params, self.grads, self.updated, self.curve)


@dataclass(frozen=True, slots=True)
class Weights:
    """Where a run stands between two steps: the next step's index, the weights, and the gradients that piled up
    in .grad (None: none kept, as with zero_grad)."""

    step: int
    params: tuple[float, ...]
    grads: tuple[float, ...] | None = None


# Draws a hand-derived backward pass: the step's record, its problem and config, and the engine's step code.
HandGraph = Callable[["StepRecord", Problem, RunConfig, Sequence["CodeLine"]], tuple[Graph, BackwardTrace]]

# An engine is a generator: send it True to have the next record carry the prediction curve.
StepStream = Generator[StepRecord, bool | None, None]
TrainFn = Callable[[RunConfig, Problem, Array], StepStream]
# The same generator started where a run stands (engines that can be stepped in batches).
ResumeFn = Callable[[RunConfig, Problem, Array, Weights], StepStream]
# One step of many runs on the same data at once, a row each: each run's config and weights, and whether its
# record carries the prediction curve on the given grid. The records equal the engine's own, bit for bit.
StepManyFn = Callable[[Problem, Sequence[tuple[RunConfig, Weights, bool]], Array], list[StepRecord]]


@dataclass(frozen=True)
class Batching:
    """How an engine steps many runs on the same data at once, and resumes one run alone (for a captured step)."""

    step_many: StepManyFn
    resume: ResumeFn
    takes: Callable[[RunConfig], bool] = lambda config: True  # which runs it can batch (the others step alone)


@dataclass(frozen=True)
class EngineSpec:
    """An engine's name, the one line that describes it, its parameters, its model and its training generator."""

    name: str
    description: str
    param_names: tuple[str, ...]
    initial_params: Callable[[RunConfig], tuple[float, ...]]
    train: TrainFn
    # The model's output at x for these weights; None for networks, whose recorded numbers are layer norms.
    predict: Callable[[tuple[float, ...], Array], Array] | None = None
    # Where the model is a sum of weights times powers of x (the cubic, a linear model, the dynamic net), the
    # powers each weight multiplies: the page redraws a past step's fit from them, and finds least squares.
    powers: dict[str, tuple[int, ...]] | None = None
    model: str = "y = a + b x + c x² + d x³"  # the model as the lecture writes it
    stores_grads: bool = True  # whether gradients live in .grad between steps (and so can pile up)
    # The config switches only some engines read that this one does (app/engines/switches.py): "no_grad", an
    # update written under torch.no_grad() that a run may leave out; "degree", the features of a linear model.
    switches: frozenset[str] = frozenset()
    # An engine whose autograd is written out here shows its own code beside each graph box: op name → source.
    sources: Callable[[], dict[str, str]] | None = None
    # Engines whose weights depend on the config (networks) name them per config, and report each layer's norm.
    names_for: Callable[[RunConfig], tuple[str, ...]] | None = None
    # Engines with data of their own shape (several inputs and outputs) make and draw it themselves.
    # Engines without autograd draw their hand-derived backward pass as a graph of the lecture's equations.
    # It is given the engine's step code (app/engines/code.py), so each equation can name the line computing it.
    hand_graph: HandGraph | None = None
    inputs: int = 1  # 1: y = f(x) from the target formula; 2: pairs (x1, x2) -> (y1, y2), no formula
    make_problem: Callable[[RunConfig], Problem] = make_problem
    drawing: Callable[[RunConfig, Problem, Array], Drawing] = make_drawing
    # The graph's leaf holding each weight, where it is not the weight's own name (torch.nn's a is 0.bias).
    leaves: dict[str, str] = field(default_factory=dict)
    # Engines whose runs on the same data can take their plain steps together (one set of tensor operations for
    # all of them: a class of paced runs costs a few per cent of what each stepped alone costs).
    batching: Batching | None = None

    def names(self, config: RunConfig) -> tuple[str, ...]:
        """The names of the numbers this engine records for `config`."""
        return self.names_for(config) if self.names_for else self.param_names
