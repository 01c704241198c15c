"""Class codes and student ids: short, read out or typed from a projector without confusing 0 and O, 1 and I."""

import secrets

# A-Z and 2-9 without I, O, 0 and 1: 32 characters, none mistaken for another on a screen or aloud.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6  # 32**6, about a billion codes: not guessed by trying, short enough to type on a phone


def new_code() -> str:
    """A fresh class code, e.g. K7QM2P."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def is_code(text: str) -> bool:
    """Whether `text` could be a class code (the right length and alphabet)."""
    return len(text) == CODE_LENGTH and all(character in ALPHABET for character in text)


def new_student_id() -> str:
    """A fresh student id, unique within the class (random, so ids say nothing about who joined when)."""
    return secrets.token_urlsafe(6)
