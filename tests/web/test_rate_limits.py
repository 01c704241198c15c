"""Per-client rate limits on a real server: a burst, then a steady rate, then 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from app.config import Settings
from app.web.rate_limits import PRUNE_EVERY, TokenBucket

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

TINY = {"steps": 5, "points": 4, "seed": 0}


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    """Three at once, then one a second (at 60 a minute); the refusal says how long until the next."""
    bucket = TokenBucket(per_minute=60, burst=3)
    assert [bucket.take("a", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a", now=100.0) == pytest.approx(1.0)
    assert bucket.take("b", now=100.0) == 0.0  # another client has its own
    assert bucket.take("a", now=101.0) == 0.0
    assert bucket.take("a", now=101.5) == pytest.approx(0.5)


def test_a_bucket_forgets_clients_whose_buckets_are_full_again() -> None:
    """Thousands of one-off clients leave nothing behind once their buckets have refilled."""
    bucket = TokenBucket(per_minute=60, burst=2)
    for i in range(PRUNE_EVERY - 1):
        bucket.take(f"10.0.{i // 256}.{i % 256}", now=0.0)
    bucket.take("last", now=10.0)  # the PRUNE_EVERY-th take sweeps, ten seconds on: every bucket is full again
    assert len(bucket._tokens) <= 1


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """A server with tight limits: three runs at once, three reads at once, then one a minute each."""
    return serve(Settings(create_burst=3, create_rate=1, read_burst=3, read_rate=1, max_runs_per_client=100))


@pytest.fixture
def elsewhere(server: LiveServer) -> Iterator[httpx.Client]:
    """A client from another loopback address: another student."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=server.http, timeout=10, transport=transport) as client:
        yield client


def test_starting_runs_past_the_burst_is_a_429_and_makes_nothing(client: httpx.Client, elsewhere: httpx.Client) -> None:
    """Three starts pass; the fourth is a 429 with Retry-After and creates no run; another address may still
    start one."""
    for _ in range(3):
        assert client.post("/api/runs", json=TINY).status_code == 201
    listed = len(client.get("/api/runs").json())
    refused = client.post("/api/runs", json=TINY)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "runs started" in refused.json()["detail"]
    assert len(client.get("/api/runs").json()) == listed
    assert elsewhere.post("/api/runs", json=TINY).status_code == 201


@pytest.mark.parametrize("path", ["/history", "/history.csv", "/export"])
def test_whole_run_reads_past_the_burst_are_a_429(elsewhere: httpx.Client, path: str) -> None:
    """History, CSV and export share one bucket per client: past it, 429 with Retry-After; the light routes
    (the run itself, the list) still answer."""
    run_id = elsewhere.get("/api/runs").json()[0]["id"]
    answers = [elsewhere.get(f"/api/runs/{run_id}{path}").status_code for _ in range(4)]
    assert 429 in answers, answers
    refused = elsewhere.get(f"/api/runs/{run_id}{path}")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert elsewhere.get(f"/api/runs/{run_id}").status_code == 200
    assert elsewhere.get("/api/runs").status_code == 200
