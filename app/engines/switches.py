"""Which of a run's switches its engine can take: zero_grad off needs gradients kept in .grad; no_grad off and a
degree other than the cubic's need an engine that reads them (EngineSpec.switches)."""

from app.engines import ENGINES
from app.run_config import RunConfig

# Why an engine that does not read the switch refuses it, by field.
NOT_READ = {
    "no_grad": "has no update under torch.no_grad() to leave out; torch-autograd and linear-torch have the lecture's",
    "degree": "fits the lecture's cubic; the linear engines choose their features [1, x, ...] by degree",
    "frozen": "makes no weight with requires_grad to leave off; torch-autograd does",
}


def refused_switch(config: RunConfig) -> tuple[str, str] | None:
    """The field of a switch `config`'s engine cannot take and why (None: it takes them all)."""
    engine = ENGINES[config.engine]
    if not config.zero_grad and not engine.stores_grads:
        return (
            "zero_grad",
            f"the {engine.name} engine computes fresh gradients every step, so there are none to forget to zero; "
            "pick an engine with autograd to see gradients pile up",
        )
    for field, why in NOT_READ.items():
        default = RunConfig.model_fields[field].get_default(call_default_factory=True)
        if getattr(config, field) != default and field not in engine.switches:
            return field, f"the {engine.name} engine {why}"
    unknown = [name for name in config.frozen if name not in engine.names(config)]
    if unknown or len(set(config.frozen)) < len(config.frozen):
        named = ", ".join(engine.names(config))
        return "frozen", f"frozen names each of the engine's weights ({named}) at most once, not {config.frozen}"
    return None
