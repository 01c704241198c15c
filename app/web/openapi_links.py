"""OpenAPI links from the operations that make a run to every operation on one, so a client generated from the
document (or a stateful API tester) knows where a new run's id and control token go."""

from typing import Any

from fastapi import FastAPI

# The operations whose answer names a new run, and where its id and token are in that answer.
MAKERS = {("/api/runs", "post"): "201", ("/api/runs/import", "post"): "201"}
SOURCES = {"run_id": "$response.body#/id", "x-control-token": "$response.body#/control_token"}


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Each maker's success answer links to every operation with a run_id path parameter, filling it (and the
    X-Control-Token header where the operation takes one) from the answer."""
    targets: dict[str, dict[str, str]] = {}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            names = {(p["in"], p["name"]) for p in operation.get("parameters", ())}
            if ("path", "run_id") not in names:
                continue
            parameters = {"path.run_id": SOURCES["run_id"]}
            if ("header", "x-control-token") in names:
                parameters["header.x-control-token"] = SOURCES["x-control-token"]
            targets[operation["operationId"]] = parameters
    for (path, method), status in MAKERS.items():
        answer = schema.get("paths", {}).get(path, {}).get(method, {}).get("responses", {}).get(status)
        if answer is not None:
            answer["links"] = {
                operation_id: {"operationId": operation_id, "parameters": parameters}
                for operation_id, parameters in targets.items()
            }
    return schema


def install(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with these links (added again, the same, to each version FastAPI builds)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        return add_links(build())

    app.openapi = openapi  # type: ignore[method-assign]
