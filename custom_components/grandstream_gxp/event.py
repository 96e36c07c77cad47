"""The call event entity: what happened to the phone's calls, one event at a time."""

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .call_history import async_track_call_events
from .coordinator import GxpConfigEntry
from .cti.call_events import CallEvent, CallEventType
from .entity import GxpEntity

# Entities only read what the coordinator fetched.
PARALLEL_UPDATES = 0

CALL_EVENT = EventEntityDescription(
    key="call",
    translation_key="call",
    event_types=[event_type.value for event_type in CallEventType],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GxpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the call event entity; a keys-only phone has no call events."""
    if entry.runtime_data.keys_only:
        return
    async_add_entities([GxpCallEventEntity(entry, CALL_EVENT)])


class GxpCallEventEntity(GxpEntity, EventEntity):
    """Fires the call events the coordinator found between two reads of the lines."""

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(async_track_call_events(self.coordinator, self._fire))

    @callback
    def _fire(self, events: tuple[CallEvent, ...]) -> None:
        self._adopt_action_context()
        # One state per event: the entity's state shows only the last event, so an
        # automation watching it would miss all but the last of a burst otherwise.
        for event in events:
            self._trigger_event(
                event.type.value,
                {
                    "line": event.line,
                    "remote_number": event.remote_number,
                    "remote_name": event.remote_name,
                },
            )
            self.async_write_ha_state()
