"""A class over the REST API, straight from a browser test (no browser): opened, joined, runs started in it."""

import json
import time
import urllib.request
from typing import Any

CLASS_LIMITS = {
    # Fifty students' runs going at once, on one test server of its own (the suite's keeps the defaults).
    "AUTOGRAD_LIVE_MAX_ACTIVE_RUNS": "120",
    "AUTOGRAD_LIVE_MAX_RUNNING_RUNS": "10",
}
ENDED = {"finished", "stopped", "failed", "diverged", "interrupted"}
WAIT_S = 120.0  # how long a class's runs may take to end on a busy machine; the wait ends as soon as they have


class ClassClient:
    """The class routes of docs/protocol.md, with the class's and the students' tokens kept as they come."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url

    def request(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.server_url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def open(self, settings: dict[str, Any], free: list[str] | None, title: str = "Lecture 3") -> dict[str, Any]:
        """A new class: its code, settings and control token."""
        return dict(self.request("POST", "/api/classes", {"title": title, "settings": settings, "free": free}))

    def join(self, code: str, name: str) -> str:
        """A new student of the class: their token."""
        return str(self.request("POST", f"/api/classes/{code}/join", {"name": name})["student_token"])

    def start(self, code: str, token: str, config: dict[str, Any]) -> dict[str, Any]:
        """A run of the student's in the class."""
        return dict(self.request("POST", f"/api/classes/{code}/runs", config, {"X-Student-Token": token}))

    def get(self, code: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/classes/{code}"))

    def wait_ended(self, code: str) -> dict[str, Any]:
        """The class once every run of it has ended."""
        deadline = time.monotonic() + WAIT_S
        while True:
            answer = self.get(code)
            if all(run["status"] in ENDED for run in answer["runs"]) or time.monotonic() > deadline:
                return answer
            time.sleep(0.3)


def learning_rates(count: int, low: float = 1e-7, high: float = 1e-3) -> list[float]:
    """`count` learning rates spread evenly over the decades from `low` to `high`, two digits each."""
    step = (high / low) ** (1 / (count - 1))
    return [float(f"{low * step**i:.2g}") for i in range(count)]
