"""URL building for the CTI API: every value `quote(value, safe="")`, `Encoded` as is.

yarl gets the finished URL with `encoded=True`, so nothing is encoded twice.
"""

from collections.abc import Sequence
import re
from urllib.parse import quote

from yarl import URL

SECRET_PARAMS = frozenset({"passcode", "password"})
REDACTED = "***"

_SAFE_ENCODED = re.compile(r"[A-Za-z0-9%:._~-]*")

type Params = Sequence[tuple[str, str | Encoded]]


class Encoded(str):
    """A query value that is already percent-encoded and must be sent as is."""

    __slots__ = ()


def split_host(host: str, port: int | None = None) -> tuple[str, int | None]:
    """Split `phone:8080`, `[fe80::1]:80` or `::1` into name and port; `port` wins."""
    text = host.strip()
    name, found = text, None
    if text.startswith("["):
        name, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            found = rest[1:]
        elif rest:
            raise ValueError(f"Invalid host {host!r}")
    elif text.count(":") == 1:
        name, _, found = text.partition(":")
    if not name or any(char in name for char in "/?#@ "):
        raise ValueError(f"Invalid host {host!r}")
    if port is None and found is not None:
        if not found.isdigit():
            raise ValueError(f"Invalid port in {host!r}")
        port = int(found)
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"Invalid port {port}")
    return name, port


def base_url(host: str, port: int | None, *, https: bool) -> URL:
    """Return `http(s)://host[:port]` for the phone; raise ValueError if invalid."""
    name, port = split_host(host, port)
    return URL.build(scheme="https" if https else "http", host=name, port=port)


def _encode_value(value: str | Encoded) -> str:
    if not isinstance(value, Encoded):
        return quote(value, safe="")
    if not _SAFE_ENCODED.fullmatch(value):
        raise ValueError("Pre-encoded query value contains unsafe characters")
    return str(value)


def query_string(params: Params, *, redact: bool = False) -> str:
    """Return the encoded query string in the given order (`redact`: for logs)."""
    return "&".join(
        f"{quote(name, safe='')}="
        + (REDACTED if redact and name in SECRET_PARAMS else _encode_value(value))
        for name, value in params
    )


def build_url(base: URL, path: str, params: Params) -> URL:
    """Return the full, already encoded request URL."""
    query = query_string(params)
    return URL(f"{base}{path}?{query}" if query else f"{base}{path}", encoded=True)
