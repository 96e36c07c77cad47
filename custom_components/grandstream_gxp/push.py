"""Push: the phone's Action URLs arrive at a webhook and become call events.

The phone sends a plain GET, without authentication, to the URL stored in one of its
Action URL slots (cti-api.md §7), with `$variables` substituted VERBATIM: raw spaces,
`&`, `#`, a leading `+`, or the literal `$name` of a variable it does not fill
[CODE N2]. A raw space anywhere in the request line makes Home Assistant's HTTP server
answer 400 before any handler runs (cti-api.md §12), so the URLs handed out carry only
what cannot hold one:

| key | phone variable | meaning |
| --- | --- | --- |
| `e` | (fixed per slot) | the event, one of `SLOTS` |
| `m` | `$mac` | the phone's MAC (hex digits and separators); must be this entry's |

The caller's number and name come from the confirming read (`api-get_line_status`),
which the coordinator makes before it fires the event. URLs written by earlier
versions also carry `r` (`$remote`), `n` (`$display_remote`), `l` (`$local`) and `a`
(`$active_user`); they are still parsed, from the raw query (`+` is not a space
there), and used when the read no longer shows the call.

`EventDeduplicator` makes sure a call event reported by both push and poll is fired
once.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from http import HTTPStatus
from ipaddress import ip_address
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from multidict import MultiDict
from yarl import URL

from .const import CONF_MODEL, CONF_PUSH_SEEN, DOMAIN, LOGGER
from .cti import Family, LineState, LineStatus, family_for_model, normalize_mac
from .cti.transitions import CallEvent, CallEventType

if TYPE_CHECKING:
    from .coordinator import GxpConfigEntry

# The phone drops values over about 256 characters [CAP S8]; longer ones are not its.
MAX_VALUE_LENGTH: Final = 256
# The phone's URL template fits in 256 characters, and each of the six variables adds at
# most a value; a longer query is not from the phone and is not even parsed.
MAX_QUERY_LENGTH: Final = 2048
QUERY_KEYS: Final = frozenset({"e", "m", "r", "n", "l", "a"})
# Shown when Home Assistant knows no URL of itself (no network configured).
URL_PLACEHOLDER: Final = "http://<home-assistant-address>:8123"

# Models whose firmware has Action URL settings (cti-api.md §7.1); the GXP116x has none,
# and for an unknown model nothing is claimed.
_ACTION_URL_FAMILIES: Final = frozenset(
    {Family.GXP16XX, Family.GXP17XX, Family.GXP21XX, Family.GRP26XX}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushSlot:
    """One Action URL slot of the phone and what its event means here."""

    code: str  # the `e` value
    pvalue: str
    name: str  # as the phone's web page names the slot
    event: CallEventType | None  # None: no call event, only a poll (registration)
    # The event instead, when the line it is about was ringing.
    when_ringing: CallEventType | None = None
    # Whether it tells that an attended transfer is under way (`complete_transfer`
    # may then complete it).
    starts_transfer: bool = False


SLOTS: Final[tuple[PushSlot, ...]] = (
    PushSlot(code="incoming", pvalue="P8310", name="Incoming Call", event=CallEventType.INCOMING),
    PushSlot(code="outgoing", pvalue="P8311", name="Outgoing Call", event=CallEventType.OUTGOING),
    PushSlot(code="answered", pvalue="P22171", name="Answered Call", event=CallEventType.ANSWERED),
    PushSlot(code="established", pvalue="P8313", name="Established Call", event=CallEventType.ANSWERED),
    PushSlot(code="missed", pvalue="P8312", name="Missed Call", event=CallEventType.MISSED),
    # A caller who gives up may cause Missed and Terminated in either order [CAP N4, §12]:
    # Terminated on a ringing line is the missed call, so the order does not decide.
    PushSlot(code="terminated", pvalue="P8314", name="Terminated Call", event=CallEventType.ENDED, when_ringing=CallEventType.MISSED),
    PushSlot(code="rejected", pvalue="P8315", name="Rejected Call", event=CallEventType.ENDED),
    PushSlot(code="hold", pvalue="P8324", name="Hold Call", event=CallEventType.HELD),
    PushSlot(code="unhold", pvalue="P8325", name="UnHold Call", event=CallEventType.RESUMED),
    PushSlot(code="blind_transfer", pvalue="P8320", name="Blind Transfer", event=CallEventType.TRANSFERRED),
    PushSlot(code="attended_transfer", pvalue="P8321", name="Attended Transfer", event=CallEventType.TRANSFERRED, starts_transfer=True),
    PushSlot(code="transfer_finished", pvalue="P8322", name="Transfer Finished", event=CallEventType.TRANSFERRED),
    PushSlot(code="registered", pvalue="P8305", name="Registered", event=None),
    PushSlot(code="unregistered", pvalue="P8306", name="Unregistered", event=None),
    PushSlot(code="register_failed", pvalue="P8307", name="Register Failed", event=None),
)  # fmt: skip
SLOTS_BY_CODE: Final = {slot.code: slot for slot in SLOTS}


@dataclass(frozen=True, slots=True, kw_only=True)
class PushEvent:
    """One valid Action URL request."""

    slot: PushSlot
    remote_number: str = ""
    remote_name: str = ""
    local: str = ""
    active_user: str = ""


def parse_push(query: Mapping[str, str], mac: str | None) -> PushEvent | None:
    """Return the event of a webhook query, or None for anything not from this phone.

    `query` is the request's multi-dict (a key given twice is refused) or a plain
    mapping; `mac` is the entry's MAC in any notation. Unknown keys are ignored.
    """
    values: dict[str, str] = {}
    for key in QUERY_KEYS:
        given = _all_values(query, key)
        if len(given) > 1:
            LOGGER.debug("Action URL ignored: %r given %d times", key, len(given))
            return None
        if not given:
            continue
        value = given[0]
        if len(value) > MAX_VALUE_LENGTH:
            LOGGER.debug("Action URL ignored: %r is %d long", key, len(value))
            return None
        # A firmware that does not know a variable sends it as written [INF].
        values[key] = "" if value.startswith("$") else value.strip()
    slot = SLOTS_BY_CODE.get(values.get("e", ""))
    if slot is None:
        LOGGER.debug("Action URL ignored: unknown event %r", values.get("e"))
        return None
    sender = normalize_mac(values.get("m"))
    if sender is None or sender != normalize_mac(mac):
        LOGGER.debug("Action URL ignored: MAC %r is not this phone's", values.get("m"))
        return None
    return PushEvent(
        slot=slot,
        remote_number=values.get("r", ""),
        remote_name=values.get("n", ""),
        local=values.get("l", ""),
        active_user=values.get("a", ""),
    )


def parse_raw_query(raw: str) -> MultiDict[str]:
    """Split a raw query string as the phone wrote it.

    Unlike a form parser, `+` stays `+` (a number's leading `+` [CODE N2]); percent
    escapes are decoded, for URLs a user encoded by hand.
    """
    query: MultiDict[str] = MultiDict()
    for pair in raw.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        query.add(unquote(key), unquote(value))
    return query


def _all_values(query: Mapping[str, str], key: str) -> list[str]:
    getall = getattr(query, "getall", None)
    if getall is not None:
        result: list[str] = getall(key, [])
        return result
    return [query[key]] if key in query else []


# --- URLs to paste into the phone -------------------------------------------------


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Return the webhook's URL with an address the phone can reach: an IP.

    Phones resolve no mDNS (`homeassistant.local`) and often no local names, so a
    host name in Home Assistant's own URL is replaced by the IP Home Assistant serves
    on (`hass.config.api.local_ip`, from the network integration's source IP).
    """
    try:
        url = webhook.async_generate_url(
            hass, webhook_id, allow_external=False, prefer_external=False
        )
    except NoURLAvailableError:
        try:
            url = webhook.async_generate_url(hass, webhook_id, prefer_external=False)
        except NoURLAvailableError:
            return f"{URL_PLACEHOLDER}{webhook.async_generate_path(webhook_id)}"
    return _with_ip(hass, url)


def _with_ip(hass: HomeAssistant, url: str) -> str:
    parsed = URL(url)
    if parsed.host is None or _is_ip(parsed.host):
        return url
    api = hass.config.api
    if api is None or not api.local_ip or not _is_ip(api.local_ip):
        return url
    return str(
        URL.build(
            scheme="https" if api.use_ssl else "http",
            host=api.local_ip,
            port=api.port,
            path=parsed.path,
            encoded=True,
        )
    )


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def slot_url(base: str, slot: PushSlot) -> str:
    """Return the Action URL of one slot: the event and `$mac`, nothing else.

    No variable that can hold a space, `&` or `#` is in it: filled in verbatim by the
    phone, one would break the request line or the query (cti-api.md §12).
    """
    return f"{base}?e={slot.code}&m=$mac"


def action_urls(hass: HomeAssistant, webhook_id: str) -> list[tuple[PushSlot, str]]:
    """Return every slot with the URL to paste into it."""
    base = webhook_url(hass, webhook_id)
    return [(slot, slot_url(base, slot)) for slot in SLOTS]


def format_action_urls(hass: HomeAssistant, webhook_id: str | None) -> str:
    """Return the URLs as a Markdown list for the options and the repair issue."""
    if not webhook_id:
        return "-"
    return "\n".join(
        f"- {slot.name} ({slot.pvalue}): `{url}`"
        for slot, url in action_urls(hass, webhook_id)
    )


def supports_action_urls(model: str | None) -> bool:
    """Whether the model's firmware has Action URL settings."""
    return family_for_model(model) in _ACTION_URL_FAMILIES


# --- the webhook and the repair issue ---------------------------------------------


def issue_id(entry: GxpConfigEntry) -> str:
    """Return the id of the entry's "no push yet" repair issue."""
    return f"push_not_set_up_{entry.entry_id}"


@callback
def async_push_missed(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Show the repair issue with the URLs: polling saw a call no push announced.

    Only on a phone whose family has Action URLs and that never pushed
    (interface.md §Push).
    """
    # Not yet set during the first refresh of a setup.
    runtime = getattr(entry, "runtime_data", None)
    model = runtime.model if runtime is not None else entry.data.get(CONF_MODEL)
    if entry.data.get(CONF_PUSH_SEEN) or not supports_action_urls(model):
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="push_not_set_up",
        translation_placeholders={
            "name": entry.title,
            "urls": format_action_urls(hass, entry.data.get(CONF_WEBHOOK_ID)),
        },
    )


@callback
def async_push_seen(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Remember that the phone pushes, and drop the repair issue."""
    if not entry.data.get(CONF_PUSH_SEEN):
        # No update listener: changing the data does not reload the entry.
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_PUSH_SEEN: True}
        )
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry))


@callback
def async_setup_push(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Register the entry's webhook (the repair issue waits for a reason)."""
    coordinator = entry.runtime_data.coordinator
    mac = entry.unique_id

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        # Always 200 and an empty body: the phone neither retries nor reads it.
        raw = request.rel_url.raw_query_string
        if len(raw) > MAX_QUERY_LENGTH:
            LOGGER.debug("Action URL ignored: the query is %d long", len(raw))
        elif (push := parse_push(parse_raw_query(raw), mac)) is not None:
            coordinator.async_handle_push(push)
        return web.Response(status=HTTPStatus.OK)

    webhook.async_register(
        hass,
        DOMAIN,
        f"{entry.title} Action URLs",
        entry.data[CONF_WEBHOOK_ID],
        handle,
        local_only=True,
        allowed_methods=["GET"],
    )


@callback
def async_unload_push(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Unregister the webhook; the issue comes back with the next unannounced call."""
    webhook.async_unregister(hass, entry.data[CONF_WEBHOOK_ID])
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry))


# --- what a pushed event means for the lines --------------------------------------

_GONE_EVENTS: Final = frozenset(
    {CallEventType.MISSED, CallEventType.ENDED, CallEventType.TRANSFERRED}
)
# The state a line is in right after the event, as far as the event tells.
_STATE_AFTER: Final = {
    CallEventType.INCOMING: LineState.RINGING,
    CallEventType.OUTGOING: LineState.CALLING,
    CallEventType.ANSWERED: LineState.CONNECTED,
    CallEventType.RESUMED: LineState.CONNECTED,
    CallEventType.HELD: LineState.ONHOLD,
    CallEventType.MISSED: LineState.IDLE,
    CallEventType.ENDED: LineState.IDLE,
}


def number_key(number: str) -> str:
    """Return a number as compared between push and poll (`sip:1001@pbx` is `1001`)."""
    text = number.strip().lower().removeprefix("sip:")
    return text.partition("@")[0]


def _find_line(
    lines: Sequence[LineStatus], kind: CallEventType, number: str
) -> LineStatus | None:
    """Return the line an event is about, as well as the lines tell."""
    busy = [line for line in lines if line.state is not LineState.IDLE]
    key = number_key(number)
    if key:
        for line in busy:
            if number_key(line.remote_number) == key:
                return line
    if kind in (CallEventType.INCOMING, CallEventType.OUTGOING):
        idle = [line for line in lines if line.state is LineState.IDLE]
        return idle[0] if idle else None
    if len(busy) == 1 and (not key or not busy[0].remote_number):
        return busy[0]
    return None


def _reported_as(
    kind: CallEventType,
    line: LineStatus | None,
    when_ringing: CallEventType | None,
    outcomes: Mapping[int, CallEventType] | None,
) -> CallEventType:
    """Return the type to report an event of `kind` on `line` as.

    A call that went away is the outcome Home Assistant caused on its line, else
    `when_ringing` if the line (as last read) was ringing, else `kind`.
    """
    if line is None or kind not in _GONE_EVENTS:
        return kind
    outcome = (outcomes or {}).get(line.line)
    if outcome is not None:
        return outcome
    if when_ringing is not None and line.state is LineState.RINGING:
        return when_ringing
    return kind


def apply_push(
    lines: Sequence[LineStatus],
    kind: CallEventType,
    number: str,
    name: str,
    *,
    when_ringing: CallEventType | None = None,
    outcomes: Mapping[int, CallEventType] | None = None,
) -> tuple[tuple[LineStatus, ...], CallEvent]:
    """Return the lines as the event implies, and the call event to fire.

    The next poll corrects whatever this guessed: the line an event is about is found
    by the remote number, else (for a new call) the first idle line. A call that went
    away is reported as the outcome Home Assistant caused on that line (`outcomes`),
    else as `when_ringing` if the line was ringing, else as `kind`.
    """
    line = _find_line(lines, kind, number)
    event = CallEvent(
        type=_reported_as(kind, line, when_ringing, outcomes),
        line=line.line if line else 0,
        remote_number=number or (line.remote_number if line else ""),
        remote_name=name or (line.remote_name if line else ""),
    )
    state = _STATE_AFTER.get(kind)
    if line is None or state is None:
        return tuple(lines), event
    if state is LineState.IDLE:
        changed = replace(
            line,
            state=state,
            raw_state=state.value,
            remote_number="",
            remote_name="",
            active=False,
        )
    else:
        changed = replace(
            line,
            state=state,
            raw_state=state.value,
            remote_number=event.remote_number,
            remote_name=event.remote_name,
        )
    return tuple(changed if other is line else other for other in lines), event


# Where the line of an event may be at the confirming read, a moment later: a call
# that rang may be answered already, one put on hold resumed.
_STATES_AT_READ: Final = {
    CallEventType.INCOMING: frozenset(
        {LineState.RINGING, LineState.CONNECTED, LineState.ONHOLD}
    ),
    CallEventType.OUTGOING: frozenset(
        {LineState.CALLING, LineState.CONNECTED, LineState.ONHOLD}
    ),
    CallEventType.ANSWERED: frozenset({LineState.CONNECTED, LineState.ONHOLD}),
    CallEventType.RESUMED: frozenset({LineState.CONNECTED, LineState.ONHOLD}),
    CallEventType.HELD: frozenset({LineState.ONHOLD, LineState.CONNECTED}),
}


def resolve_push(
    before: Sequence[LineStatus],
    after: Sequence[LineStatus],
    kind: CallEventType,
    number: str = "",
    name: str = "",
    *,
    when_ringing: CallEventType | None = None,
    outcomes: Mapping[int, CallEventType] | None = None,
) -> CallEvent:
    """Return the call event a push means, the caller taken from the confirming read.

    `before` is the read before the event, `after` the read that confirms it. The
    event's line is one in a state the event leads to (for a call that went away: busy
    before and not after), preferring the pushed number, then a line that changed.
    When the read no longer shows the call (it was over that fast), the event is what
    `apply_push` makes of `before` and the pushed number and name, if any. A call
    that went away is named as in `apply_push`: the outcome Home Assistant caused on
    its line, else `when_ringing` if it was ringing before.
    """
    key = number_key(number)
    old = {line.line: line for line in before}

    def changed(line: LineStatus) -> bool:
        previous = old.get(line.line)
        return (
            previous is None
            or previous.state is not line.state
            or number_key(previous.remote_number) != number_key(line.remote_number)
        )

    candidates: list[LineStatus]
    if kind in _GONE_EVENTS:
        candidates = [
            previous
            for line in after
            if (previous := old.get(line.line)) is not None
            and previous.state not in (LineState.IDLE, None)
            and changed(line)
        ]
    else:
        wanted = _STATES_AT_READ.get(kind, frozenset())
        candidates = [line for line in after if line.state in wanted]
    if not candidates:
        return apply_push(
            before, kind, number, name, when_ringing=when_ringing, outcomes=outcomes
        )[1]
    line = max(
        candidates,
        key=lambda line: (
            bool(key) and number_key(line.remote_number) == key,
            changed(line),
        ),
    )
    return CallEvent(
        type=_reported_as(kind, line, when_ringing, outcomes),
        line=line.line,
        remote_number=line.remote_number or number,
        remote_name=line.remote_name or name,
    )


# --- one event, however many times it is reported ---------------------------------


class Source(StrEnum):
    """Where a call event was learnt."""

    PUSH = "push"
    POLL = "poll"


@dataclass(slots=True, kw_only=True)
class _Fired:
    group: str
    number: str
    at: datetime
    source: Source
    consumed: bool = False


def _group(kind: CallEventType) -> str:
    """Events that report the same fact: a call that went away is one, however it went."""
    return "gone" if kind in _GONE_EVENTS else kind.value


class EventDeduplicator:
    """Decides whether a call event is news or one already fired.

    The last event fired for a remote number (any number matches an empty one) is
    remembered for `window`; "the same kind" puts missed, ended and transferred
    together (a call that went away). A new event is a repetition when:

    * it comes from push and the last event for that number is of the same kind,
      whoever reported it: a push arriving just after a poll found the change, or
      the phone reporting one answered call both as Answered and as Established;
    * it comes from a poll and the last event is the same kind pushed and not yet
      confirmed by a poll: the confirming poll. That uses the pushed event up.

    Polls never repeat themselves (each compares two reads), so a poll event that
    matches an earlier poll event, or a push a poll already confirmed, is news (a
    caller who rang twice).
    """

    def __init__(self, window: timedelta) -> None:
        """Remember events for `window`."""
        self.window = window
        self._fired: list[_Fired] = []

    def admit(self, event: CallEvent, source: Source, now: datetime) -> bool:
        """Return whether to fire `event`; remember it if so."""
        self._fired = [f for f in self._fired if now - f.at <= self.window]
        group = _group(event.type)
        key = number_key(event.remote_number)
        last = next(
            (
                fired
                for fired in reversed(self._fired)
                if not key or not fired.number or fired.number == key
            ),
            None,
        )
        if last is not None and last.group == group:
            if source is Source.PUSH:
                # Whatever reported it first, the phone is repeating itself.
                return False
            if last.source is Source.PUSH and not last.consumed:
                last.consumed = True
                return False
        self._fired.append(_Fired(group=group, number=key, at=now, source=source))
        return True
