"""Who is asking: the key that per-client limits count by."""

from starlette.requests import HTTPConnection


def client_id(connection: HTTPConnection) -> str:
    """The client's address as the server sees it (behind a proxy, the proxy's: give each its own limits there)."""
    return connection.client.host if connection.client is not None else "unknown"
