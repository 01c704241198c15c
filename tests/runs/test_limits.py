"""The server's limits on one run, checked before any of its data is made: points, steps, the work of one step,
and a target that must be finite everywhere it is used."""

import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from app.config import Settings
from app.engines.cost import step_work
from app.run_config import RunConfig
from app.runs.manager import ClientLimitError, ConfigError, RunManager


@pytest.fixture
def manager() -> Iterator[RunManager]:
    """A manager with the default limits but for a small step budget."""
    manager = RunManager(Settings(max_steps=500, curve_points=200))
    yield manager
    manager.shutdown()


def config(**fields: object) -> RunConfig:
    """A config as the API validates it."""
    return RunConfig.model_validate({"steps": 5, "seed": 0, **fields})


def test_points_over_the_limit_are_refused_before_the_target_is_evaluated(manager: RunManager) -> None:
    """A hundred million points (valid by the schema) is refused naming points, having allocated next to nothing:
    the target is not evaluated on data of a size nobody has checked."""
    huge = config(points=100_000_000, target="sin(x)")
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as caught:
            manager.create(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.field == "points"
    assert peak < 1_000_000, f"{peak} bytes allocated to refuse it"
    assert list(manager) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"engine": "torch-mlp", "layers": [256] * 8, "points": 100_000}, "layers"),
        ({"engine": "torch-mlp", "layers": [256, "relu", 256, "relu"], "points": 2000}, "layers"),
        ({"engine": "numpy", "points": 100_000}, None),
    ],
    ids=["widest-deepest", "wide-two-layers", "cubic-at-max-points"],
)
def test_the_work_of_one_step_is_capped(manager: RunManager, fields: dict[str, object], field: str | None) -> None:
    """A network whose parts are each allowed but whose step would take gigabytes is refused naming layers; the
    lecture's cubic on the most points allowed still runs."""
    wanted = config(**fields)
    if field is None:
        assert step_work(wanted) <= manager.settings.max_step_work
        manager.create(wanted).stop()
        return
    with pytest.raises(ConfigError, match="max_step_work") as caught:
        manager.create(wanted)
    assert caught.value.field == field


def test_step_work_grows_with_points_width_and_depth() -> None:
    """The estimate is linear in the points and grows with each layer's width and the number of layers."""
    base = config(engine="torch-mlp", layers=[16, "tanh"], points=1000)
    assert step_work(base.model_copy(update={"points": 2000})) == 2 * step_work(base)
    assert step_work(base.model_copy(update={"layers": [32, "tanh"]})) > step_work(base)
    assert step_work(base.model_copy(update={"layers": [16, "tanh", 16, "tanh"]})) > step_work(base)


@pytest.mark.parametrize(
    "fields",
    [
        {"target": "1/(199*x-1)", "x_min": 0, "x_max": 1, "points": 2000},  # finite on the data, not the curve grid
        {"target": "1/x", "x_min": -1, "x_max": 1, "points": 3},
        {"target": "exp(100)*x", "dtype": "float32"},  # finite in float64, not in the run's float32
    ],
    ids=["pole-between-the-data-points", "pole-on-a-data-point", "too-large-for-float32"],
)
def test_a_target_must_be_finite_on_the_data_and_where_it_is_drawn(
    manager: RunManager, fields: dict[str, object]
) -> None:
    """Nothing non-finite ever reaches the wire: a target infinite at a point of the drawn curve's grid (not only
    at a data point), or too large for the run's precision, is refused naming target."""
    with pytest.raises(ConfigError) as caught:
        manager.create(config(**fields))
    assert caught.value.field == "target"


def test_one_client_may_not_take_every_run() -> None:
    """A client with max_runs_per_client runs going is refused another (ClientLimitError); another client is
    not, and once one of the first client's runs ends it may start one again."""
    manager = RunManager(Settings(max_runs_per_client=2, max_active_runs=10))
    try:
        slow = {"steps": 500, "points": 4, "pace": 5}
        first = manager.create(config(**slow), client="10.0.0.7")
        manager.create(config(**slow), client="10.0.0.7")
        with pytest.raises(ClientLimitError, match="max_runs_per_client"):
            manager.create(config(**slow), client="10.0.0.7")
        manager.create(config(**slow), client="10.0.0.8").stop()
        first.stop()
        first.join(5)
        manager.create(config(**slow), client="10.0.0.7").stop()
    finally:
        manager.shutdown()


@pytest.mark.parametrize("hold", ["paused", "slow-pace"])
def test_waiting_runs_hold_no_training_slot(hold: str, wait_until: Callable[..., None]) -> None:
    """Two runs paused (or paced at one step in ten seconds) on a server with two training slots leave both free:
    a third run trains to the end meanwhile, and the waiting ones still go on when resumed."""
    manager = RunManager(Settings(max_running_runs=2))
    try:
        pace = 0.1 if hold == "slow-pace" else 50
        waiting = [manager.create(config(steps=1000, points=4, pace=pace)) for _ in range(2)]
        wait_until(lambda: all(run.history.count >= 1 for run in waiting), 10, "both to take a step")
        if hold == "paused":
            for run in waiting:
                run.pause(wait=5)
        third = manager.create(config(steps=200, points=4))
        wait_until(lambda: third.status == "finished", 10, "the third run to finish beside them")
        for run in waiting:
            if hold == "paused":
                run.resume()
            run.set_pace(None)
        wait_until(lambda: all(run.status == "finished" for run in waiting), 20, "the waiting runs to finish")
    finally:
        manager.shutdown()


def test_steps_the_engine_chose_itself_are_brought_within_the_limit_and_steps_asked_for_are_refused(
    manager: RunManager,
) -> None:
    """dynamic-net left to its own 30000 steps runs the server's most (500 here) rather than refusing a field nobody
    sent; 30000 steps asked for are refused naming steps."""
    chosen = RunConfig.model_validate({"engine": "dynamic-net", "seed": 0, "points": 20})
    assert chosen.steps == 30000
    run = manager.create(chosen)
    try:
        assert run.config.steps == manager.settings.max_steps == 500
    finally:
        run.stop()
    with pytest.raises(ConfigError) as caught:
        manager.create(RunConfig.model_validate({"engine": "dynamic-net", "seed": 0, "points": 20, "steps": 30000}))
    assert caught.value.field == "steps"
