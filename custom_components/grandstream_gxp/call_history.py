"""The call history of a phone: its last calls and the missed-call count."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .coordinator import GxpConfigEntry, GxpCoordinator
from .cti.call_events import CallEvent, CallEventType

# Fired once per finished call; `logbook.py` describes it.
EVENT_CALL = f"{DOMAIN}_call"

STORAGE_VERSION = 1
# A burst of calls is written once; Home Assistant writes pending data when it stops.
SAVE_DELAY = 10.0
# A busy desk's day, in one small file and one small action response.
MAX_CALLS = 50
# The sensor's attribute, sent to each open dashboard on every state write: kept short.
RECENT_CALLS = 10


class CallDirection(StrEnum):
    """Who placed the call."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"


class CallOutcome(StrEnum):
    """How a call ended."""

    ANSWERED = "answered"
    # Nobody answered: a caller who gave up, or a callee who did not pick up.
    MISSED = "missed"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"


class CallDict(TypedDict):
    """One finished call, as stored and as the action returns it."""

    direction: str | None
    number: str
    name: str
    start: str
    duration: int
    outcome: str


class _StoredHistory(TypedDict):
    calls: list[CallDict]
    missed_calls: int


@dataclass(slots=True, kw_only=True)
class _OpenCall:
    direction: CallDirection | None
    start: datetime
    number: str = ""
    name: str = ""
    answered_at: datetime | None = None

    def note_party(self, event: CallEvent) -> None:
        """Keep the number and name the phone reports once it knows them."""
        self.number = self.number or event.remote_number
        self.name = self.name or event.remote_name

    def close(self, now: datetime, outcome: CallOutcome | None = None) -> CallDict:
        """Return the finished call: `answered` or `missed` unless `outcome` says."""
        duration = (now - self.answered_at).total_seconds() if self.answered_at else 0
        if outcome is None:
            outcome = CallOutcome.ANSWERED if self.answered_at else CallOutcome.MISSED
        return CallDict(
            direction=None if self.direction is None else self.direction.value,
            number=self.number,
            name=self.name,
            start=self.start.isoformat(),
            duration=round(duration),
            outcome=outcome.value,
        )


def _store(hass: HomeAssistant, entry_id: str) -> Store[_StoredHistory]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.calls", private=True)


class CallHistory:
    """The last calls of one phone and how many were missed since the user cleared them."""

    def __init__(self, hass: HomeAssistant, entry: GxpConfigEntry) -> None:
        """Prepare an empty history; `async_load` reads the stored one."""
        self._hass = hass
        self._entry = entry
        self._store = _store(hass, entry.entry_id)
        self._calls: list[CallDict] = []
        self._missed_calls = 0
        self._open: dict[int, _OpenCall] = {}
        self._listeners: list[CALLBACK_TYPE] = []

    @property
    def missed_calls(self) -> int:
        """Incoming calls nobody answered since the count was last cleared."""
        return self._missed_calls

    def calls(self, limit: int | None = None) -> list[CallDict]:
        """Return the finished calls, newest first."""
        return self._calls[:limit]

    async def async_load(self) -> None:
        """Read the history stored for the entry, if any."""
        if stored := await self._store.async_load():
            self._calls = stored["calls"][:MAX_CALLS]
            self._missed_calls = stored["missed_calls"]

    async def async_save(self) -> None:
        """Write the history now (the entry unloads)."""
        await self._store.async_save(self._to_store())

    @staticmethod
    async def async_remove(hass: HomeAssistant, entry_id: str) -> None:
        """Delete the stored history of a removed entry."""
        await _store(hass, entry_id).async_remove()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` when the history or the count changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_clear_missed_calls(self) -> None:
        """Set the missed-call count to 0."""
        self._missed_calls = 0
        self._changed()

    @callback
    def handle_events(self, events: tuple[CallEvent, ...]) -> None:
        """Record the calls the events finish."""
        now = dt_util.utcnow()
        finished = [call for event in events if (call := self._apply(event, now))]
        if not finished:
            return
        for call in finished:
            self._calls.insert(0, call)
            self._missed_calls += is_missed(call)
            self._fire(call)
        del self._calls[MAX_CALLS:]
        self._changed()

    def _apply(self, event: CallEvent, now: datetime) -> CallDict | None:
        line = event.line
        match event.type:
            case CallEventType.INCOMING | CallEventType.OUTGOING:
                # An open call here is one whose end was never seen.
                stale = self._open.pop(line, None)
                self._open[line] = _OpenCall(
                    direction=CallDirection(event.type.value),
                    number=event.remote_number,
                    name=event.remote_name,
                    start=now,
                )
                return None if stale is None else stale.close(now)
            case CallEventType.ANSWERED | CallEventType.HELD | CallEventType.RESUMED:
                # A call already up when Home Assistant started has no direction.
                up = self._open.setdefault(line, _OpenCall(direction=None, start=now))
                up.note_party(event)
                if up.answered_at is None:
                    up.answered_at = now
            case CallEventType.MISSED:
                # A ringing call that went away; its `incoming` may have been missed.
                rang = self._open.pop(line, None) or _OpenCall(
                    direction=CallDirection.INCOMING, start=now
                )
                rang.note_party(event)
                return rang.close(now, CallOutcome.MISSED)
            case CallEventType.ENDED | CallEventType.TRANSFERRED:
                # Not recorded without its start: direction and answer are unknown.
                if (gone := self._open.pop(line, None)) is not None:
                    gone.note_party(event)
                    if event.type is CallEventType.TRANSFERRED:
                        return gone.close(now, CallOutcome.TRANSFERRED)
                    # A ringing call Home Assistant rejected ends `ended`, not `missed`
                    # (`CallExpectations` in cti/call_events.py).
                    rejected = gone.answered_at is None and (
                        gone.direction is CallDirection.INCOMING
                    )
                    return gone.close(now, CallOutcome.REJECTED if rejected else None)
        return None

    def _fire(self, call: CallDict) -> None:
        entry = self._entry
        device = dr.async_get(self._hass).async_get_device_by_identifier(
            (DOMAIN, entry.unique_id or ""), entry.entry_id
        )
        entity_id = er.async_get(self._hass).async_get_entity_id(
            "event", DOMAIN, f"{entry.unique_id}_call"
        )
        self._hass.bus.async_fire(
            EVENT_CALL,
            {
                "device_id": device.id if device else None,
                "entity_id": entity_id,
                **call,
            },
        )

    @callback
    def _changed(self) -> None:
        self._store.async_delay_save(self._to_store, SAVE_DELAY)
        for listener in list(self._listeners):
            listener()

    def _to_store(self) -> _StoredHistory:
        return _StoredHistory(calls=self._calls, missed_calls=self._missed_calls)


@callback
def async_track_call_events(
    coordinator: GxpCoordinator, handle: Callable[[tuple[CallEvent, ...]], None]
) -> CALLBACK_TYPE:
    """Call `handle` with the call events of each coordinator update from now on."""
    handled = coordinator.data

    @callback
    def handle_update() -> None:
        nonlocal handled
        # A failed read calls listeners with the data already handled.
        if (data := coordinator.data) is not handled:
            handled = data
            if data.events:
                handle(data.events)

    return coordinator.async_add_listener(handle_update)


def is_missed(call: CallDict) -> bool:
    """Whether the call is an incoming call nobody answered."""
    return (
        call["direction"] == CallDirection.INCOMING
        and call["outcome"] == CallOutcome.MISSED
    )
