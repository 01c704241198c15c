"""Time every engine's 2000 steps against its own bare loop: the tutorial's code for that variant, written out plainly.

Run by hand: `.venv/bin/python bench/bench_variants.py [--steps N] [--repeats N] [--only ENGINE] [--clock cpu]
[--json]` (`--clock cpu` times this thread's CPU instead of the wall, steadier when the machine is busy).

Each bare loop is the tutorial's ("Learning PyTorch with Examples") loop for that variant with no recording, no
generator and no StepRecord, started from the app's initial weights at the app's default learning rate in float64,
so both sides do the same arithmetic: their final losses must agree to 1e-9 relative, or the script says so and
exits 1. Bare and engine runs are interleaved, so machine noise hits both alike; the engine's generator is consumed
as a Run consumes it, asking for curve details about 30 times a second. Prints the median µs per step of each side
and their ratio (target: engine ≤ 1.10x bare).
"""

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from app.engines import ENGINES
from app.engines.problem import make_problem
from app.engines.tiny_tensor import Tensor
from app.engines.torch_function import LegendrePolynomial3
from app.engines.torch_mlp import build_network
from app.run_config import EngineName, Optimizer, RunConfig, default_learning_rate

SEED = 1
POINTS = 2000
TARGET_RATIO = 1.10
REL_TOL = 1e-9
DETAIL_INTERVAL = 1 / 30  # the server's frame rate: a Run asks for the curve this often
OPTIMIZERS: tuple[Optimizer, ...] = ("sgd", "momentum", "rmsprop", "adam")

# A bare loop trains as the config says (steps, learning rate, optimizer) and returns its last step's loss.
BareLoop = Callable[[RunConfig], float]


# The bare loops: the tutorial's code, printing left out.


def initial_params(config: RunConfig) -> tuple[float, ...]:
    """The engine's starting weights: the seeded a, b, c, d (and e), or the tutorial's for torch-function."""
    return ENGINES[config.engine].initial_params(config)


def numpy_data() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The tutorial's 2000 points of sin(x) on [-π, π]."""
    x = np.linspace(-math.pi, math.pi, POINTS)
    return x, np.sin(x)


def torch_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The same points as tensors: torch.linspace and torch.sin would differ from numpy's in the last bit of some,
    and RMSprop, which never settles at lr 1e-3, grows such a difference past 1e-5 relative in 2000 steps."""
    x, y = numpy_data()
    return torch.from_numpy(x), torch.from_numpy(y)


def bare_numpy(config: RunConfig) -> float:
    """The tutorial's numpy code."""
    learning_rate = config.lr
    x, y = numpy_data()
    a, b, c, d = initial_params(config)
    for _ in range(config.steps):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = np.square(y_pred - y).sum()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return float(loss)


def bare_torch_tensors(config: RunConfig) -> float:
    """The tutorial's "PyTorch: Tensors": the numpy code on tensors, gradients by hand (loss read with .item())."""
    learning_rate = config.lr
    x, y = torch_data()
    a, b, c, d = (torch.tensor(w, dtype=torch.float64) for w in initial_params(config))
    for _ in range(config.steps):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return loss


def bare_torch_autograd(config: RunConfig) -> float:
    """The tutorial's "PyTorch: Tensors and autograd"."""
    learning_rate = config.lr
    x, y = torch_data()
    a, b, c, d = (torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in initial_params(config))
    for _ in range(config.steps):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return loss.item()


def bare_tiny_autograd(config: RunConfig) -> float:
    """The autograd loop on the app's own numpy Tensor, updating .data."""
    learning_rate = config.lr
    x_data, y_data = numpy_data()
    x = Tensor(x_data)
    y = Tensor(y_data)
    a, b, c, d = (Tensor(w, requires_grad=True) for w in initial_params(config))
    for _ in range(config.steps):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        a.data -= learning_rate * a.grad
        b.data -= learning_rate * b.grad
        c.data -= learning_rate * c.grad
        d.data -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
    return loss.item()


def bare_torch_function(config: RunConfig) -> float:
    """The tutorial's "PyTorch: Defining new autograd functions": y = a + b·P3(c + d·x)."""
    learning_rate = config.lr
    x, y = torch_data()
    a, b, c, d = (torch.full((), w, dtype=torch.float64, requires_grad=True) for w in initial_params(config))
    P3 = LegendrePolynomial3.apply
    for _ in range(config.steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return loss.item()


def polynomial_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The tutorial's xx (columns x, x², x³) and y for the nn and optim versions."""
    x, y = torch_data()
    p = torch.tensor([1, 2, 3])
    return x.unsqueeze(-1).pow(p), y


def polynomial_model(weights: tuple[float, ...]) -> torch.nn.Sequential:
    """The tutorial's Sequential(Linear(3, 1), Flatten(0, 1)) in float64, bias and weights set to a and b, c, d."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).to(torch.float64)
    with torch.no_grad():
        model[0].bias.fill_(weights[0])
        model[0].weight.copy_(torch.tensor([weights[1:]], dtype=torch.float64))
    return model


def bare_torch_nn(config: RunConfig) -> float:
    """The tutorial's "PyTorch: nn"."""
    learning_rate = config.lr
    xx, y = polynomial_data()
    model = polynomial_model(initial_params(config))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    for _ in range(config.steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return loss.item()


def make_optimizer(name: Optimizer, params: Any, learning_rate: float) -> torch.optim.Optimizer:
    """The optimizer as the tutorial builds it (momentum is SGD with momentum 0.9)."""
    match name:
        case "sgd":
            return torch.optim.SGD(params, lr=learning_rate)
        case "momentum":
            return torch.optim.SGD(params, lr=learning_rate, momentum=0.9)
        case "rmsprop":
            return torch.optim.RMSprop(params, lr=learning_rate)
        case "adam":
            return torch.optim.Adam(params, lr=learning_rate)


def bare_torch_optim(config: RunConfig) -> float:
    """The tutorial's "PyTorch: optim"."""
    learning_rate = config.lr
    xx, y = polynomial_data()
    model = polynomial_model(initial_params(config))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = make_optimizer(config.optimizer, model.parameters(), learning_rate)
    for _ in range(config.steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


class DynamicNet(torch.nn.Module):
    """The tutorial's network of order 3 to 5, e reused for x⁴ and x⁵; seeded weights and draws, like the engine's."""

    def __init__(self, weights: tuple[float, ...], rng: random.Random) -> None:
        super().__init__()
        self.a, self.b, self.c, self.d, self.e = (
            torch.nn.Parameter(torch.tensor(w, dtype=torch.float64)) for w in weights
        )
        self.rng = rng

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The tutorial's forward pass, its random.randint(4, 6) drawn from the seeded generator."""
        y = self.a + self.b * x + self.c * x**2 + self.d * x**3
        for exp in range(4, self.rng.randint(4, 6)):
            y = y + self.e * x**exp
        return y


def bare_dynamic_net(config: RunConfig) -> float:
    """The tutorial's "PyTorch: Control Flow + Weight Sharing"."""
    learning_rate = config.lr
    x, y = torch_data()
    model = DynamicNet(initial_params(config), random.Random(config.initial_seed))
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    for _ in range(config.steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def bare_torch_mlp(config: RunConfig) -> float:
    """The "PyTorch: optim" loop on the app's seeded network (Linear(1, 16), Tanh(), Linear(16, 1) by default)."""
    learning_rate = config.lr
    x, y = torch_data()
    xx = x.unsqueeze(-1)
    model = build_network(config)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    for _ in range(config.steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


BARE: dict[str, BareLoop] = {
    "numpy": bare_numpy,
    "torch-tensors": bare_torch_tensors,
    "torch-autograd": bare_torch_autograd,
    "tiny-autograd": bare_tiny_autograd,
    "torch-function": bare_torch_function,
    "torch-nn": bare_torch_nn,
    "torch-optim": bare_torch_optim,
    "dynamic-net": bare_dynamic_net,
    "torch-mlp": bare_torch_mlp,
}


# The comparison.


@dataclass(frozen=True)
class Variant:
    """One engine (and optimizer) as the app runs it, and its bare loop ready to go."""

    label: str
    config: RunConfig
    bare: Callable[[], float]
    engine: Callable[[], float]


@dataclass(frozen=True)
class Result:
    """Median µs per step of each side, their ratio, and the final losses the sanity check compared."""

    engine: str
    bare_us: float
    engine_us: float
    ratio: float
    bare_loss: float
    engine_loss: float


def consume(config: RunConfig) -> Callable[[], float]:
    """Drive the engine's generator as Run._train does: None first, then True about every 1/30 s of wall time."""
    spec = ENGINES[config.engine]
    problem = make_problem(config)
    curve_x = np.linspace(config.x_min, config.x_max, 200)
    steps = config.steps

    def go() -> float:
        stream = spec.train(config, problem, curve_x)
        last_detail = 0.0
        want_detail: bool | None = None
        loss = math.nan
        for t in range(steps):
            record = stream.send(want_detail)
            loss = record.loss
            now = time.monotonic()
            if record.curve is not None:
                last_detail = now
            want_detail = now - last_detail >= DETAIL_INTERVAL or t + 2 >= steps
        stream.close()
        return loss

    return go


def variant(engine: EngineName, steps: int, optimizer: Optimizer = "sgd") -> Variant:
    """The engine at the app's defaults (summed loss, float64), and its bare loop on the same config."""
    config = RunConfig(engine=engine, seed=SEED, steps=steps, points=POINTS, optimizer=optimizer)
    assert config.reduction == "sum" and config.dtype == "float64"
    assert config.lr == default_learning_rate(engine, "sum", optimizer)
    label = f"{engine} ({optimizer})" if engine == "torch-optim" else engine
    return Variant(label, config, seeded(partial(BARE[engine], config)), seeded(consume(config)))


def seeded(fn: Callable[[], float]) -> Callable[[], float]:
    """fn, after seeding torch's global generator: app.engines.torch_mlp.build_network makes its layers (drawing
    their weights) before it seeds, so without this every torch-mlp run would start from different weights."""

    def go() -> float:
        torch.manual_seed(SEED)
        return fn()

    return go


def variants(steps: int, only: list[str] | None) -> tuple[list[Variant], list[str]]:
    """Every engine in ENGINES that has a bare loop (torch-optim once per optimizer), and those that have none."""
    chosen: list[Variant] = []
    for name in ENGINES:
        if (only and name not in only) or name not in BARE:
            continue
        engine: EngineName = name  # type: ignore[assignment]
        optimizers = OPTIMIZERS if name == "torch-optim" else OPTIMIZERS[:1]
        chosen.extend(variant(engine, steps, optimizer) for optimizer in optimizers)
    return chosen, [name for name in ENGINES if name not in BARE and (not only or name in only)]


# Wall time, as a user waits; or this thread's CPU time, which a busy machine's other processes do not inflate
# (torch runs on this thread alone once set_num_threads(1)).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.thread_time}


def timed(fn: Callable[[], float], clock: Callable[[], float]) -> tuple[float, float]:
    """Seconds fn took, and what it returned."""
    start = clock()
    value = fn()
    return clock() - start, value


def measure(v: Variant, steps: int, repeats: int, clock: Callable[[], float]) -> Result:
    """Medians over interleaved runs (the first of each side untimed, to warm up), alternating which goes first."""
    _, bare_loss = timed(v.bare, clock)
    _, engine_loss = timed(v.engine, clock)
    bare_times: list[float] = []
    engine_times: list[float] = []
    for i in range(repeats):
        order = ((v.bare, bare_times), (v.engine, engine_times))
        for fn, times in order if i % 2 == 0 else reversed(order):
            times.append(timed(fn, clock)[0])
    bare_us = statistics.median(bare_times) / steps * 1e6
    engine_us = statistics.median(engine_times) / steps * 1e6
    return Result(v.label, bare_us, engine_us, engine_us / bare_us, bare_loss, engine_loss)


def like_for_like(result: Result) -> bool:
    """Whether the bare loop ended at the engine's loss, so both did the same arithmetic."""
    if math.isclose(result.bare_loss, result.engine_loss, rel_tol=REL_TOL):
        return True
    print(
        f"error: {result.engine}: the bare loop's final loss {result.bare_loss!r} differs from the engine's "
        f"{result.engine_loss!r} by more than {REL_TOL:g} relative: they do not compute the same thing",
        file=sys.stderr,
    )
    return False


def print_table(results: list[Result], steps: int, repeats: int, clock: str) -> None:
    print(f"per-step cost ({clock} time), {steps} steps, median of {repeats} interleaved runs")
    print(f"target: engine ≤ {TARGET_RATIO:.2f}x bare (ratio = engine / bare)")
    print(f"{'engine':<22} {'bare µs/step':>13} {'engine µs/step':>15} {'ratio':>7}")
    for r in results:
        flag = "" if r.ratio <= TARGET_RATIO else "  over target"
        print(f"{r.engine:<22} {r.bare_us:13.1f} {r.engine_us:15.1f} {r.ratio:6.3f}x{flag}")


def print_json(results: list[Result], steps: int, repeats: int, clock: str) -> None:
    rows = [
        {
            "engine": r.engine,
            "bare_us_per_step": round(r.bare_us, 3),
            "engine_us_per_step": round(r.engine_us, 3),
            "ratio": round(r.ratio, 4),
            "bare_final_loss": r.bare_loss,
            "engine_final_loss": r.engine_loss,
        }
        for r in results
    ]
    print(
        json.dumps(
            {"steps": steps, "repeats": repeats, "clock": clock, "target_ratio": TARGET_RATIO, "results": rows},
            indent=2,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", action="append", choices=list(ENGINES), help="time only this engine (repeatable)")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall", help="cpu is steadier on a busy machine")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the server does
    chosen, missing = variants(args.steps, args.only)
    results = [measure(v, args.steps, args.repeats, CLOCKS[args.clock]) for v in chosen]
    (print_json if args.json else print_table)(results, args.steps, args.repeats, args.clock)
    same = all([like_for_like(r) for r in results])  # a list, so every mismatch is reported
    if missing:
        print(
            f"error: no bare loop for engine(s) {', '.join(missing)}: add one to bench/bench_variants.py",
            file=sys.stderr,
        )
    if missing or not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
