"""Sharing a run: a short link that opens it read-only, and a QR code of that link to scan from the screen."""

import functools
import io
import socket
from ipaddress import ip_address
from urllib.parse import urlsplit

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.config import Settings
from app.web.deps import RunDep, SettingsDep
from app.web.responses import ONE_RUN, answers

router = APIRouter(tags=["share"])

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


@functools.cache
def machine_addresses() -> tuple[str, tuple[str, ...]]:
    """This machine's name and the addresses it resolves to, as the system's resolver knows them (asked once)."""
    name = socket.gethostname()
    try:
        found = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except OSError:
        found = []
    return name, tuple(dict.fromkeys(str(info[4][0]) for info in found))


def _host_of(netloc: str) -> str | None:
    """The host of a Host header or an origin's netloc, lower case, IPv6 without its brackets."""
    try:
        return urlsplit(f"//{netloc}").hostname
    except ValueError:
        return None


def own_hosts(settings: Settings, local_address: str | None) -> set[str]:
    """Every name and address this server is known by: loopback, the listening host, the machine's name and
    addresses, the address a request reached, and the hosts of the extra allowed origins."""
    name, addresses = machine_addresses()
    hosts = {*LOOPBACK_NAMES, settings.host.lower(), name.lower(), *addresses}
    if local_address:
        hosts.add(local_address)
    hosts.update(host for origin in settings.allowed_origins if (host := _host_of(urlsplit(origin).netloc)))
    return hosts - WILDCARDS


def detected_host(settings: Settings) -> str:
    """The server's own address for others to reach: the machine's first address that is not loopback, else the
    listening host (loopback when it listens everywhere and the machine has no other)."""
    for address in machine_addresses()[1]:
        if not ip_address(address.split("%", 1)[0]).is_loopback:
            return address
    return settings.host if settings.host not in WILDCARDS else "127.0.0.1"


def origin(request: Request, settings: Settings) -> str:
    """Where this server is reached, as scheme://host[:port]: the address the asking browser used if it names this
    server, else the detected address. Never a Host header naming another site."""
    server = request.scope.get("server") or (None, None)
    host = _host_of(request.headers.get("host", ""))
    if host is not None and host in own_hosts(settings, server[0]):
        return f"{request.url.scheme}://{request.url.netloc}"
    found = detected_host(settings)
    netloc = f"[{found}]" if ":" in found else found
    port = server[1]
    default = {"http": 80, "https": 443}.get(request.url.scheme)
    return f"{request.url.scheme}://{netloc}{'' if port in (None, default) else f':{port}'}"


def share_url(request: Request, settings: Settings, run_id: str) -> str:
    """The short link of a run: under public_url when set, else on this server's own address (see origin)."""
    if settings.public_url:
        return settings.public_url.rstrip("/") + str(request.app.url_path_for("open_shared_run", run_id=run_id))
    return origin(request, settings) + request.url_for("open_shared_run", run_id=run_id).path


@router.get("/r/{run_id}", include_in_schema=False)
def open_shared_run(run: RunDep) -> RedirectResponse:
    """The page, following this run (the page reads the run from the address's #fragment)."""
    return RedirectResponse(f"/#run={run.id}", status_code=307)


@router.get("/api/runs/{run_id}/qr.svg", response_class=Response, responses=answers(*ONE_RUN))
def run_qr_code(run: RunDep, request: Request, settings: SettingsDep) -> Response:
    """A QR code (SVG) of the run's short link, for phones in the hall to scan off the projector."""
    code = segno.make(share_url(request, settings, run.id), error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False, svgclass="qr-code")
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})
