"""Action URLs: the phone's HTTP GET notifications on call events (cti-api.md section 7)."""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import logging
import re
from types import MappingProxyType
from urllib.parse import quote

import aiohttp

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


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute the variables, URL-encoded; add http:// when the scheme is missing.

    Admin-guide examples omit the scheme and the phone accepts both forms [DOC S23].
    Unknown `$names` are left as they are [INF].
    """
    url = _VARIABLE_RE.sub(lambda m: quote(values.get(m[1], ""), safe=""), template)
    if "://" not in url:
        url = f"http://{url}"
    return url


@dataclass(frozen=True, slots=True)
class SentAction:
    """One Action URL request the phone made (or tried to)."""

    event: str
    url: str
    status: int | None
    error: str | None = None


class ActionUrlSender:
    """Sends the GETs in order from one tracked worker task; failures are ignored."""

    def __init__(
        self, on_sent: Callable[[SentAction], None], timeout: float = 5.0
    ) -> None:
        """Create the sender; `on_sent` is told about every attempt."""
        self._on_sent = on_sent
        self._timeout = timeout
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
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
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        try:
            async with self._session.get(url) as response:
                await response.read()
                return SentAction(event, url, response.status)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            # The phone does not retry or report failed notifications [INF].
            _LOGGER.debug("Action URL %s to %s failed: %r", event, url, err)
            return SentAction(event, url, None, repr(err))

    async def close(self) -> None:
        """Cancel the worker and close the HTTP session."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.wait({self._worker})
            self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None
