"""Which of a run's switches its engine can take: zero_grad off needs gradients kept in .grad; no_grad off and a
degree other than the cubic's need an engine that reads them (EngineSpec.switches)."""

from app.engines import ENGINES
from app.run_config import RunConfig

# Why an engine that does not read the switch refuses it, by field.
NOT_READ = {
    "no_grad": "has no update under torch.no_grad() to leave out; torch-autograd and linear-torch have the lecture's",
    "degree": "fits the lecture's cubic; the linear engines choose their features [1, x, ...] by degree",
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
        if getattr(config, field) != RunConfig.model_fields[field].default and field not in engine.switches:
            return field, f"the {engine.name} engine {why}"
    return None
