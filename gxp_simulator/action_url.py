"""Action URLs: the phone's HTTP GET notifications on call events (cti-api.md section 7)."""

import asyncio
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass
import logging
import re
import ssl
from types import MappingProxyType
from urllib.parse import quote

_LOGGER = logging.getLogger(__name__)

# Event name -> provisioning P-value, GXP21xx 1.0.11.16 template [DOC S10].
EVENT_PVALUES: Mapping[str, str] = MappingProxyType(
    {
        "setup_completed": "P8304",
        "registered": "P8305",
        "unregistered": "P8306",
        "register_failed": "P8307",
        "off_hook": "P8308",
        "on_hook": "P8309",
        "incoming_call": "P8310",
        "outgoing_call": "P8311",
        "missed_call": "P8312",
        "answered_call": "P22171",
        "rejected_call": "P8315",
        "forwarded_call": "P22172",
        "established_call": "P8313",
        "terminated_call": "P8314",
        "idle_to_busy": "P8328",
        "busy_to_idle": "P8329",
        "open_dnd": "P8316",
        "close_dnd": "P8317",
        "open_forward": "P8318",
        "close_forward": "P8319",
        "open_unconditional_forward": "P22164",
        "close_unconditional_forward": "P22165",
        "open_busy_forward": "P22166",
        "close_busy_forward": "P22167",
        "open_no_answer_forward": "P22168",
        "close_no_answer_forward": "P22169",
        "blind_transfer": "P8320",
        "attended_transfer": "P8321",
        "transfer_finished": "P8322",
        "transfer_failed": "P8323",
        "hold_call": "P8324",
        "unhold_call": "P8325",
        "mute_call": "P8326",
        "unmute_call": "P8327",
        "ip_change": "P22170",
        "auto_provision_finish": "P8332",
    }
)
_BY_PVALUE = {pvalue: name for name, pvalue in EVENT_PVALUES.items()}

ALL_EVENTS = frozenset(EVENT_PVALUES)

# GRP261x 1.0.5.15: P8304-P8306, P8308-P8314, P8316-P8321, P8324, P8325 [DOC S10].
_GRP261X_SLOTS = {
    *range(8304, 8307),
    *range(8308, 8315),
    *range(8316, 8322),
    8324,
    8325,
}
GRP261X_EVENTS = frozenset(
    name for name, pvalue in EVENT_PVALUES.items() if int(pvalue[1:]) in _GRP261X_SLOTS
)

# Documented dynamic variables [DOC S22, S23]; longest first so $display_remote wins.
VARIABLES = (
    "hardware_version",
    "program_version",
    "display_remote",
    "display_local",
    "active_user",
    "phone_ip",
    "language",
    "product",
    "remote",
    "local",
    "mac",
)
_VARIABLE_RE = re.compile(r"\$(" + "|".join(VARIABLES) + ")")


def event_name(key: str) -> str:
    """Normalise an event given by name or by P-value ("P8310") to its name."""
    if key in EVENT_PVALUES:
        return key
    if (name := _BY_PVALUE.get(key.upper())) is not None:
        return name
    raise ValueError(f"unknown Action URL event {key!r}")


def format_mac(mac: str, notation: str = "plain", *, upper: bool = False) -> str:
    """Write the MAC as an Action URL carries it: colons, dashes or none arrive [CODE N2]."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    digits = digits.upper() if upper else digits.lower()
    pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    separator = {"colons": ":", "dashes": "-"}.get(notation, "")
    return separator.join(pairs)


def render(
    template: str,
    values: Mapping[str, str],
    *,
    encoding: str = "verbatim",
    literal_when_empty: Iterable[str] = (),
    mac_notation: str = "plain",
    mac_upper: bool = False,
) -> str:
    """Substitute the variables; add http:// when the scheme is missing.

    Phones put values in VERBATIM: raw spaces, `&`, `#` and a leading `+`
    [CODE N2]; `encoding="percent"` models a phone that percent-encodes. A variable
    named in `literal_when_empty` with no value stays the literal `$name`, as
    firmware that does not fill it sends it [CODE N2; CAP N4]. Names outside the
    documented list ($call-id, $duration, ...) are never filled on GXP [DOC S22; N2].
    Admin-guide examples omit the scheme and the phone accepts both forms [DOC S23].
    """
    literal = frozenset(literal_when_empty)

    def value(match: re.Match[str]) -> str:
        name = match[1]
        text = values.get(name, "")
        if name == "mac" and text:
            text = format_mac(text, mac_notation, upper=mac_upper)
        if not text and name in literal:
            return match[0]
        return quote(text, safe="") if encoding == "percent" else text

    url = _VARIABLE_RE.sub(value, template)
    if "://" not in url:
        url = f"http://{url}"
    return url


def split_url(url: str) -> tuple[str, str, int, str]:
    """Split a filled Action URL into scheme, host, port and the raw request target.

    Only the part before the first `/` or `?` is parsed; everything after it is
    sent byte for byte, `#` and spaces included [CODE N2].
    """
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    cut = min(
        (i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest)
    )
    authority, target = rest[:cut], rest[cut:]
    if not target.startswith("/"):
        target = "/" + target
    host, port = authority, 443 if scheme == "https" else 80
    if authority.startswith("["):
        host, _, tail = authority[1:].partition("]")
        if tail.startswith(":"):
            port = int(tail[1:])
    elif ":" in authority:
        host, _, number = authority.rpartition(":")
        port = int(number)  # ValueError for "h:1:bad", as for any bad port
    return scheme, host, port, target


@dataclass(frozen=True, slots=True)
class SentAction:
    """One Action URL request the phone made (or tried to)."""

    event: str
    url: str
    status: int | None
    error: str | None = None


class ActionUrlSender:
    """Sends the GETs in order from one tracked worker task; failures are ignored.

    The request line is written by hand over a raw stream, so the bytes on the wire
    are exactly the filled URL, as a phone sends them [CODE N2]; an HTTP client
    library would re-encode or refuse a URL with spaces.
    """

    def __init__(
        self,
        on_sent: Callable[[SentAction], None],
        timeout: float = 5.0,
        user_agent: str = "Grandstream",
    ) -> None:
        """Create the sender; `on_sent` is told about every attempt."""
        self._on_sent = on_sent
        self._timeout = timeout
        self.user_agent = user_agent
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.sent: list[SentAction] = []

    def send(self, event: str, url: str) -> None:
        """Queue one GET; the worker starts on first use."""
        self._queue.put_nowait((event, url))
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(
                self._run(), name="gxp_simulator action URL sender"
            )

    async def _run(self) -> None:
        while True:
            event, url = await self._queue.get()
            result = await self._get(event, url)
            self.sent.append(result)
            self._on_sent(result)

    async def _get(self, event: str, url: str) -> SentAction:
        try:
            async with asyncio.timeout(self._timeout):
                status = await self._exchange(url)
            return SentAction(event, url, status)
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as err:
            # The phone does not retry or report failed notifications [INF].
            _LOGGER.debug("Action URL %s to %s failed: %r", event, url, err)
            return SentAction(event, url, None, repr(err))

    async def _exchange(self, url: str) -> int:
        """Send one GET with the raw target; return the answer's status code."""
        scheme, host, port, target = split_url(url)
        context: ssl.SSLContext | None = None
        if scheme == "https":  # phones do not verify certificates [INF]
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif scheme != "http":
            raise ValueError(f"unsupported scheme {scheme!r}")
        reader, writer = await asyncio.open_connection(host, port, ssl=context)
        try:
            host_header = f"[{host}]" if ":" in host else host
            if port != (443 if context else 80):
                host_header += f":{port}"
            head = (
                f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\n"
                f"User-Agent: {self.user_agent}\r\nAccept: */*\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode("utf-8", "surrogateescape"))
            await writer.drain()
            status_line = await reader.readline()
            parts = status_line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                raise ValueError(f"no HTTP status line: {status_line[:40]!r}")
            await reader.read()  # Connection: close - drain until EOF
            return int(parts[1])
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def close(self) -> None:
        """Cancel the worker."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.wait({self._worker})
            self._worker = None
