"""GET /api/runs from its cache: an ETag a page sends back for a 304 with no body, gzip when asked for, and a new
list as soon as a run is created, changes status, is deleted or imported."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from app.config import Settings
from app.engines import ENGINES
from tests.conftest import ENDED
from tests.conftest import wait_until_impl as wait_until

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

SLOW = {"steps": 5000, "points": 4, "pace": 5, "seed": 0}  # runs for many minutes unless stopped
TINY = {"steps": 20, "points": 8, "seed": 0}
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """One server for this module."""
    return serve(Settings(max_steps=5000, max_points=1000))


def listed(client: httpx.Client, etag: str | None = None) -> httpx.Response:
    """GET /api/runs uncompressed, sending `etag` back as If-None-Match when given."""
    return client.get("/api/runs", headers=PLAIN | ({"If-None-Match": etag} if etag else {}))


def changed(client: httpx.Client, etag: str) -> list[dict[str, Any]]:
    """The list asked for with an ETag from before a change: it must come whole, with a new ETag."""
    response = listed(client, etag)
    assert response.status_code == 200, "the list did not change with its runs"
    assert response.headers["etag"] != etag
    runs: list[dict[str, Any]] = response.json()
    return runs


def row(runs: list[dict[str, Any]], run_id: str) -> dict[str, Any] | None:
    """The run's row in the list, or None."""
    return next((run for run in runs if run["id"] == run_id), None)


def test_an_unchanged_list_is_answered_304_with_no_body(client: httpx.Client, rest: RestRuns) -> None:
    """The ETag sent back (alone, among others, weak or as `*`) gets a 304 with no body and the same ETag; an
    ETag of another list gets the list."""
    rest.finished(client, **TINY)
    first = listed(client)
    etag = first.headers["etag"]
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    for sent in (etag, f'"other", {etag}', etag.removeprefix("W/"), "*"):
        again = listed(client, sent)
        assert again.status_code == 304, sent
        assert again.content == b"" and again.headers["etag"] == etag
    other = listed(client, '"not-this-list"')
    assert other.status_code == 200 and other.json() == first.json()


def test_gzip_is_sent_to_who_accepts_it_and_is_the_same_list(client: httpx.Client, rest: RestRuns) -> None:
    """Accept-Encoding: gzip gets the same list compressed, under the same ETag, marked to vary by encoding."""
    rest.finished(client, **TINY)
    plain = listed(client)
    with client.stream("GET", "/api/runs", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["etag"] == plain.headers["etag"]
        assert "accept-encoding" in response.headers["vary"].lower()
    assert len(raw) < len(plain.content)
    assert json.loads(gzip.decompress(raw)) == plain.json()
    refused = client.get("/api/runs", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers


def test_a_created_run_is_listed_at_once(client: httpx.Client, rest: RestRuns) -> None:
    """A run created after the list was sent makes its ETag stale: the next ask gets the list with it."""
    etag = listed(client).headers["etag"]
    run = rest.create(client, **SLOW)
    assert row(changed(client, etag), run["id"]) is not None


def test_every_status_change_is_listed_at_once(client: httpx.Client, rest: RestRuns) -> None:
    """Paused, resumed, stopped: once the run says so, the list says so too, with nothing to wait for."""
    run_id = rest.create(client, **SLOW)["id"]
    rest.wait_status(client, run_id, "running")
    for command, status in (("pause", "paused"), ("resume", "running"), ("stop", "stopped")):
        etag = listed(client).headers["etag"]
        assert client.post(f"/api/runs/{run_id}/{command}", headers=rest.steering(run_id)).status_code == 200
        rest.wait_status(client, run_id, status)
        listed_row = row(changed(client, etag), run_id)
        assert listed_row is not None and listed_row["status"] == status, command


def test_runs_that_end_are_listed_as_their_own_get_gives_them(client: httpx.Client, rest: RestRuns) -> None:
    """Runs of every engine (and one that diverges) that end while the list is being asked for are listed, once
    ended, with every field as the run's own GET gives it: none kept as it was while running, none written
    otherwise than the API's RunInfo."""
    etag = listed(client).headers["etag"]
    configs = [TINY | {"engine": engine} for engine in sorted(ENGINES)]
    configs.append(TINY | {"engine": "numpy", "steps": 50, "learning_rate": 1.0, "points": 40})
    ids = [rest.create(client, **config)["id"] for config in configs]

    def ended() -> bool:
        listed(client)  # asked for all along, so some builds see runs just as they end
        return all(client.get(f"/api/runs/{run_id}").json()["status"] in ENDED for run_id in ids)

    wait_until(ended, 60, "the runs to end")
    runs = changed(client, etag)
    assert "diverged" in {client.get(f"/api/runs/{run_id}").json()["status"] for run_id in ids}
    for run_id in ids:
        assert row(runs, run_id) == client.get(f"/api/runs/{run_id}").json()


def test_a_deleted_run_leaves_the_list_at_once(client: httpx.Client, rest: RestRuns) -> None:
    """Deleting a run makes the list's ETag stale: the next ask gets the list without it."""
    run_id = rest.finished(client, **TINY)["id"]
    etag = listed(client).headers["etag"]
    assert row(listed(client).json(), run_id) is not None
    assert client.delete(f"/api/runs/{run_id}", headers=rest.steering(run_id)).status_code == 204
    assert row(changed(client, etag), run_id) is None


def test_an_imported_run_is_listed_at_once(client: httpx.Client, rest: RestRuns) -> None:
    """An imported run makes the list's ETag stale: the next ask gets the list with it."""
    run_id = rest.finished(client, **TINY)["id"]
    exported = client.get(f"/api/runs/{run_id}/export")
    assert exported.status_code == 200
    etag = listed(client).headers["etag"]
    imported = client.post("/api/runs/import", content=exported.content, headers={"content-type": "application/json"})
    assert imported.status_code == 201, imported.text
    assert row(changed(client, etag), imported.json()["id"]) is not None
