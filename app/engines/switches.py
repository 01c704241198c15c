"""Which of a run's switches its engine can take: zero_grad off needs gradients kept in .grad, no_grad off an
update the engine writes under torch.no_grad()."""

from app.engines import ENGINES
from app.run_config import RunConfig


def refused_switch(config: RunConfig) -> tuple[str, str] | None:
    """The field of a switch `config`'s engine cannot take and why (None: it takes them all)."""
    engine = ENGINES[config.engine]
    if not config.zero_grad and not engine.stores_grads:
        return (
            "zero_grad",
            f"the {engine.name} engine computes fresh gradients every step, so there are none to forget to zero; "
            "pick an engine with autograd to see gradients pile up",
        )
    if not config.no_grad and not engine.no_grad_switch:
        return (
            "no_grad",
            f"the {engine.name} engine has no update under torch.no_grad() to leave out; torch-autograd has the "
            "lecture's",
        )
    return None
