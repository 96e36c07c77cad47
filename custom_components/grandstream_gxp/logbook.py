"""Logbook lines for finished calls, in English: the logbook translates nothing."""

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .call_history import EVENT_CALL, CallDirection, CallOutcome
from .const import DOMAIN

_MESSAGES: dict[tuple[str | None, str], str] = {
    (CallDirection.INCOMING, CallOutcome.ANSWERED): "Call from {party}{duration}",
    (CallDirection.INCOMING, CallOutcome.MISSED): "Missed call from {party}",
    (CallDirection.INCOMING, CallOutcome.REJECTED): "Rejected call from {party}",
    (CallDirection.INCOMING, CallOutcome.TRANSFERRED): "Transferred call from {party}",
    (CallDirection.OUTGOING, CallOutcome.ANSWERED): "Call to {party}{duration}",
    (CallDirection.OUTGOING, CallOutcome.MISSED): "Unanswered call to {party}",
    (CallDirection.OUTGOING, CallOutcome.TRANSFERRED): "Transferred call to {party}",
    (None, CallOutcome.TRANSFERRED): "Transferred call with {party}",
}


def call_message(call: Mapping[str, Any]) -> str:
    """Describe one finished call in a sentence."""
    number, name = call["number"], call["name"]
    if name and number:
        party = f"{name} ({number})"
    else:
        party = name or number or "an unknown party"
    seconds = int(call["duration"])
    duration = f", {seconds // 60}:{seconds % 60:02d}" if seconds else ""
    template = _MESSAGES.get(
        (call["direction"], call["outcome"]), "Call with {party}{duration}"
    )
    return template.format(party=party, duration=duration)


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[
        [str, str, Callable[[Event], dict[str, str | None]]], None
    ],
) -> None:
    """Describe the finished-call event."""
    devices = dr.async_get(hass)

    @callback
    def describe(event: Event) -> dict[str, str | None]:
        device = devices.async_get(event.data.get("device_id") or "")
        name = device and (device.name_by_user or device.name)
        return {
            LOGBOOK_ENTRY_NAME: name or "Grandstream GXP",
            LOGBOOK_ENTRY_MESSAGE: call_message(event.data),
            LOGBOOK_ENTRY_ENTITY_ID: event.data.get("entity_id"),
        }

    async_describe_event(DOMAIN, EVENT_CALL, describe)
