"""What one step of a run asks of the machine, estimated from its config before anything is built."""

from app.run_config import RunConfig

# Multiply-adds per data point and step of the fixed models (forward and backward together, roughly).
CUBIC_WORK = 16
LECTURE_NET_WORK = 2 * (2 * 3 + 3 + 3 * 2)


def network_work(config: RunConfig) -> int:
    """Multiply-adds of one point through a torch-mlp network: each Linear's in × out, each activation's width."""
    work, width = 0, 1
    for layer in config.layers:
        if isinstance(layer, int):
            work, width = work + width * layer, layer
        else:
            work += width
    return work + width  # the last Linear(width, 1)


def step_work(config: RunConfig) -> int:
    """Multiply-adds one training step takes on all its points, roughly: what the server's max_step_work caps (a
    wide deep network on many points takes gigabytes and seconds a step, however small each of its parts)."""
    if config.engine == "torch-mlp":
        per_point = 3 * network_work(config)  # forward, and backward's two products
    elif config.engine == "lecture-net":
        per_point = LECTURE_NET_WORK
    else:
        per_point = CUBIC_WORK
    return config.points * per_point
