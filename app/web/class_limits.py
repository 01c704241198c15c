"""The limits of classes: joins per address (a hall behind one address joins at once), runs started per student."""

from app.config import Settings
from app.web.rate_limits import TokenBucket


def student_key(code: str, student: str) -> str:
    """Who a class run's per-client limits count by: the student, not the address a whole hall may share."""
    return f"class:{code}:{student}"


class ClassLimits:
    """The buckets of one app's classes, made from its settings."""

    def __init__(self, settings: Settings) -> None:
        self.join = TokenBucket(settings.join_rate, settings.join_burst)  # by address
        self.create = TokenBucket(settings.create_rate, settings.create_burst)  # by student (student_key)
