"""The page's run socket (static/js/transport.js) against the real server: which closes it retries, and which
end its attempts for good."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser


@pytest.fixture
def module_page(page: Page, server_url: str) -> Page:
    """A page of the app's origin, so `import("/static/js/...")` loads the served modules."""
    page.goto(f"{server_url}/static/js/protocol.js")
    return page


def test_close_codes_decide_between_reconnecting_and_giving_up(module_page: Page) -> None:
    """Refusals (another site's page, a bad `since`, binary or oversize messages) and an unknown run end the
    attempts; drops, restarts and unknown codes are retried; a server error three times, then no more."""
    decisions: dict[str, Any] = module_page.evaluate(
        """async () => {
          const { afterClose } = await import("/static/js/transport.js");
          const codes = [1001, 1003, 1006, 1008, 1009, 1011, 1012, 1013, 4403, 4404, 4422, 4999];
          const once = Object.fromEntries(codes.map((code) => [code, afterClose(code, code === 1011 ? 1 : 0)]));
          return { ...once, "1011 x3": afterClose(1011, 3), "1011 x4": afterClose(1011, 4) };
        }"""
    )
    assert decisions == {
        "1001": "reconnecting",
        "1003": "refused",
        "1006": "reconnecting",
        "1008": "refused",
        "1009": "refused",
        "1011": "reconnecting",
        "1012": "reconnecting",
        "1013": "reconnecting",
        "4403": "refused",
        "4404": "unknown-run",
        "4422": "refused",
        "4999": "reconnecting",
        "1011 x3": "reconnecting",
        "1011 x4": "failed",
    }


def test_a_socket_the_server_refuses_is_not_opened_again(module_page: Page, api: AppClient) -> None:
    """A RunSocket whose `since` the server refuses (4422) reports REFUSED and schedules no retry (no
    RECONNECTING); one of a real run follows it to its end; one of an unknown run reports UNKNOWN_RUN."""
    run_id = api.post("/api/runs", {"steps": 5, "points": 5})["id"]
    states = module_page.evaluate(
        """async (runId) => {
          const { RunSocket } = await import("/static/js/transport.js");
          const follow = (id, since) => new Promise((resolve) => {
            const seen = [];
            const socket = new RunSocket(id, {
              since: () => since,
              onMessage: () => {},
              onConnection: (state) => {
                seen.push(state);
                if (!["connecting", "live"].includes(state)) resolve(seen);
              },
            });
            socket.open();
          });
          return [await follow(runId, "abc"), await follow(runId, 0), await follow("nope", 0)];
        }""",
        run_id,
    )
    assert states == [["connecting", "refused"], ["connecting", "live", "ended"], ["connecting", "unknown-run"]]
