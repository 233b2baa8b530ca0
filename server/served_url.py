"""The address `hcp serve` is reachable at, as a client would write it.

`hcp serve` hands it to its worker processes as HCP_SERVED_URL, so that links made without a
request (SMS reminders) follow the port actually served when HCP_PUBLIC_URL is unset.
"""

from __future__ import annotations

import ipaddress
import socket

_ANY = ("0.0.0.0", "::", "")  # noqa: S104 - names of the wildcard addresses, not a bind
# A documentation address (RFC 5737): connecting a UDP socket to it sends nothing, but makes
# the kernel pick the interface it would route through, i.e. the machine's primary address.
_PROBE = ("192.0.2.1", 9)


def served_url(host: str, port: int) -> str:
    """http://host:port; for a wildcard bind (0.0.0.0, ::) the machine's primary address,
    else its host name, since a client cannot connect to 0.0.0.0."""
    shown = _primary_address() if host in _ANY else host
    return f"http://{_bracketed(shown)}:{port}"


def _primary_address() -> str:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PROBE)
            address: str = probe.getsockname()[0]
            return address
    except OSError:  # no route at all: the name is the best there is
        return socket.gethostname()


def _bracketed(host: str) -> str:
    try:
        is_v6 = ipaddress.ip_address(host).version == 6
    except ValueError:
        return host
    return f"[{host}]" if is_v6 else host
