"""Sharing a run: a short link that opens it read-only, and a QR code of that link to scan from the screen."""

import io
import socket
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from app.config import Settings
from app.web.addresses import LOOPBACK_NAMES, WILDCARDS, is_loopback, listened_addresses, network_addresses
from app.web.deps import RunDep, SettingsDep
from app.web.responses import ONE_RUN, answers

router = APIRouter(tags=["share"])
CONTAINER_MARK = Path("/.dockerenv")  # Docker puts it in every container it runs
QR_CODES_KEPT = 1024  # links whose QR code is kept made (a few KB each)


class ShareLink(BaseModel):
    """A run's short link as phones in the hall should get it, and whether they can reach it."""

    url: str = Field(description="The short link the QR code encodes: under public_url, else this server's address.")
    others: list[str] = Field(description="The same link on this server's other network addresses, if any.")
    reachable: bool = Field(description="Whether other machines can reach the link (false: loopback only).")
    warning: str | None = Field(description="Why phones cannot reach the link and what to do, when they cannot.")


def _host_of(netloc: str) -> str | None:
    """The host of a Host header or an origin's netloc, lower case, IPv6 without its brackets."""
    try:
        return urlsplit(f"//{netloc}").hostname
    except ValueError:
        return None


def _in_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def own_hosts(settings: Settings, local_address: str | None) -> set[str]:
    """Every name and address this server is known by: loopback, the listening host, the machine's name and
    network addresses, the address a request reached, and the hosts of the extra allowed origins."""
    hosts = {*LOOPBACK_NAMES, settings.host.lower(), socket.gethostname().lower(), *network_addresses()}
    if local_address:
        hosts.add(local_address)
    hosts.update(host for origin in settings.allowed_origins if (host := _host_of(urlsplit(origin).netloc)))
    return hosts - WILDCARDS


def detected_host(settings: Settings) -> str:
    """The server's own address for others to reach: the first network address it listens on (the default
    route's first), else the listening host (loopback when it listens everywhere and the machine has no other)."""
    listened = listened_addresses(settings.host)
    if listened:
        return listened[0]
    return settings.host if settings.host not in WILDCARDS else "127.0.0.1"


def _origins(request: Request, settings: Settings) -> list[str]:
    """Where this server is reached, as scheme://host[:port], best first: the address the asking browser used if
    it names this server and others can reach it too; for one that came through loopback, the server's network
    addresses (as phones need them), or loopback itself when it has none. Never a Host header naming another site."""
    server = request.scope.get("server") or (None, None)
    host = _host_of(request.headers.get("host", ""))
    known = host is not None and host in own_hosts(settings, server[0])
    if known and not is_loopback(str(host)):
        return [f"{request.url.scheme}://{request.url.netloc}"]
    listened = listened_addresses(settings.host)
    if known and not listened:  # nobody else can reach this server: the address asked is as good as any
        return [f"{request.url.scheme}://{request.url.netloc}"]
    port = server[1]
    default = {"http": 80, "https": 443}.get(request.url.scheme)
    suffix = "" if port in (None, default) else f":{port}"
    return [f"{request.url.scheme}://{_in_url(found)}{suffix}" for found in listened or (detected_host(settings),)]


def origin(request: Request, settings: Settings) -> str:
    """Where others reach this server, as scheme://host[:port] (see _origins)."""
    return _origins(request, settings)[0]


def share_link(request: Request, settings: Settings, run_id: str) -> ShareLink:
    """The short link of a run: under public_url when set, else on this server's own address (see origin); with
    a warning when it leads to loopback, which every phone that scans it takes for itself."""
    path = str(request.app.url_path_for("open_shared_run", run_id=run_id))
    if settings.public_url:
        return ShareLink(url=settings.public_url.rstrip("/") + path, others=[], reachable=True, warning=None)
    urls = [found + path for found in _origins(request, settings)]
    host = _host_of(urlsplit(urls[0]).netloc) or ""
    if not is_loopback(host):
        asked = urls[0].startswith(f"{request.url.scheme}://{request.url.netloc}/")  # a browser came that way
        return ShareLink(url=urls[0], others=urls[1:], reachable=True, warning=None if asked else _container_warning())
    if is_loopback(settings.host):
        why = (
            f"the server listens only on this computer ({settings.host}). Start it with --host 0.0.0.0 "
            "(or set AUTOGRAD_LIVE_PUBLIC_URL to the address students reach it at) for a hall to join"
        )
    else:
        why = "this computer has no network address: connect it to the hall's network, then reload this page"
    return ShareLink(url=urls[0], others=[], reachable=False, warning=f"Phones cannot reach this link: {why}.")


def _container_warning() -> str | None:
    """In a container its own addresses are found, which the hall reaches only if it shares the machine's network."""
    if not CONTAINER_MARK.exists():
        return None
    return (
        "This server runs in a container: phones reach this address only if the container uses the machine's "
        "network; otherwise set AUTOGRAD_LIVE_PUBLIC_URL to the machine's address."
    )


def share_url(request: Request, settings: Settings, run_id: str) -> str:
    """The short link of a run (see share_link)."""
    return share_link(request, settings, run_id).url


@router.get("/r/{run_id}", include_in_schema=False)
def open_shared_run(run: RunDep) -> RedirectResponse:
    """The page, following this run (the page reads the run from the address's #fragment)."""
    return RedirectResponse(f"/#run={run.id}", status_code=307)


@router.get("/api/runs/{run_id}/share", responses=answers(*ONE_RUN))
def run_share_link(run: RunDep, request: Request, settings: SettingsDep) -> ShareLink:
    """The run's short link for phones in the hall (the one its QR code encodes), and whether they can reach it."""
    return share_link(request, settings, run.id)


@router.get("/api/runs/{run_id}/qr.svg", response_class=Response, responses=answers(*ONE_RUN))
def run_qr_code(run: RunDep, request: Request, settings: SettingsDep) -> Response:
    """A QR code (SVG) of the run's short link, for phones in the hall to scan off the projector."""
    return qr_code(share_url(request, settings, run.id))


def qr_code(url: str) -> Response:
    """A QR code (SVG) of `url`, large enough to scan off a projector from the back of a hall."""
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


@lru_cache(maxsize=QR_CODES_KEPT)
def qr_svg(url: str) -> bytes:
    """The QR code's SVG, made once per link: a hall opening the same run's page asks for it hundreds of times,
    and making one takes longer than answering anything else."""
    code = segno.make(url, error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False, svgclass="qr-code")
    return svg.getvalue()
