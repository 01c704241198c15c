"""How a failed step is reported: PyTorch's own error, then what the lecture says about it where it does."""

# Words of an error a run's switches can provoke, and the lecture's explanation of it.
EXPLAINED: tuple[tuple[str, str], ...] = (
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        "The update ran with autograd on. The weights were made with requires_grad=True, so autograd would have "
        "to record `a -= learning_rate * a.grad` as one more operation on a itself, and PyTorch refuses to change "
        "in place a leaf whose gradient it is tracking. The update is not part of the forward pass: the lecture "
        "wraps it in torch.no_grad().",
    ),
)


def failure_message(error: BaseException) -> str:
    """The error as Python names it, followed by the lecture's explanation when it has one."""
    text = f"{type(error).__name__}: {error}"
    why = next((why for words, why in EXPLAINED if words in str(error)), None)
    return f"{text} {why}" if why else text
