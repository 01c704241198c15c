"""The conformance tests' fixtures: the capped server and what the tests find there."""

from collections.abc import Iterator

import pytest
from capped_server import CappedServer, start  # beside this file: pytest puts this folder on the path
from findings import Findings


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CappedServer]:
    """`python -m app` on a free port with its own data directory and memory cap; stopped at the module's end."""
    try:
        server = start(tmp_path_factory.mktemp("conformance"))
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def findings(capped_server: CappedServer) -> Findings:
    """The module's cases and distinct failures, shared by its tests."""
    return Findings(capped_server.url)
