"""This machine's addresses that others on its networks can reach, and whether the server listens on them."""

import contextlib
import socket
import struct
import time
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows: there, the resolver's answer and the routes must do
    fcntl = None  # type: ignore[assignment]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})
SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address
IF_INET6 = Path("/proc/net/if_inet6")  # Linux: every IPv6 address, one a line
# Routes are looked up toward these documentation addresses (RFC 5737, RFC 3849): a UDP socket "connected" there
# sends nothing, but says which of this machine's addresses the default route leaves from.
ROUTE_PROBES = (("198.51.100.1", socket.AF_INET), ("2001:db8::1", socket.AF_INET6))
FRESH_FOR = 10.0  # seconds an enumeration is reused: a laptop may join the hall's network after the server started


def _bare(address: str) -> str:
    return address.split("%", 1)[0]  # an IPv6 zone (fe80::1%eth0) names the interface, not the address


def reachable_by_others(address: str) -> bool:
    """Whether another machine could reach `address`: not loopback, link-local, multicast or unspecified."""
    try:
        ip = ip_address(_bare(address))
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified)


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) stays on this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(_bare(host)).is_loopback
    except ValueError:
        return False


def _routed() -> list[str]:
    """The addresses the default routes leave from (none without a route)."""
    found = []
    for target, family in ROUTE_PROBES:
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))
            found.append(str(probe.getsockname()[0]))
    return found


def _interfaces() -> list[str]:
    """Every interface's addresses, as `ip addr` lists them (Linux; elsewhere none)."""
    found = []
    with contextlib.suppress(OSError, AttributeError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex() if fcntl else ():
            with contextlib.suppress(OSError):
                answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
                found.append(str(IPv4Address(answer[20:24])))
    with contextlib.suppress(OSError, ValueError):
        for line in IF_INET6.read_text().splitlines():
            found.append(str(IPv6Address(bytes.fromhex(line.split()[0]))))
    return found


def _resolved() -> list[str]:
    """The addresses the machine's own name resolves to (the only way on systems without the above)."""
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, proto=socket.IPPROTO_TCP)]
    except OSError:
        return []


_cache: tuple[float, tuple[str, ...]] = (-FRESH_FOR, ())


def network_addresses() -> tuple[str, ...]:
    """This machine's addresses others may reach, the default route's first (IPv4 before IPv6), no duplicates."""
    global _cache
    at, addresses = _cache
    if time.monotonic() - at < FRESH_FOR:
        return addresses
    found = [_bare(a) for a in (*_routed(), *_interfaces(), *_resolved()) if reachable_by_others(a)]
    addresses = tuple(sorted(dict.fromkeys(found), key=lambda a: ":" in a))  # stable: the routes' stay first
    _cache = (time.monotonic(), addresses)
    return addresses


def listened_addresses(host: str) -> tuple[str, ...]:
    """The addresses others may reach this server at, for a server listening on `host`: every network address for
    a wildcard (only IPv4 ones for 0.0.0.0), none for loopback, else the host itself."""
    if host in WILDCARDS:
        return tuple(a for a in network_addresses() if host != "0.0.0.0" or ":" not in a)
    if is_loopback(host):
        return ()
    return (host,)
