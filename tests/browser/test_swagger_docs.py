"""/docs: the API reference renders every operation from this server's own files, offline, within its policy."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_docs_render_the_operations_offline(page: Page, server_url: str) -> None:
    """Swagger UI draws one block per operation of /openapi.json; the page fixture fails on any request to another
    host and on any Content-Security-Policy violation."""
    with urllib.request.urlopen(f"{server_url}/openapi.json", timeout=10) as answer:
        paths = json.load(answer)["paths"]
    operations = sum(len(methods) for methods in paths.values())
    page.goto(f"{server_url}/docs")
    expect(page.locator(".opblock")).to_have_count(operations, timeout=15_000)
    expect(page.locator(".opblock-summary-path[data-path='/api/runs/{run_id}/pace']")).to_be_visible()
    page.locator(".opblock-post .opblock-summary-path[data-path='/api/runs']").click()
    expect(page.locator(".response[data-code='415']")).to_be_visible()
