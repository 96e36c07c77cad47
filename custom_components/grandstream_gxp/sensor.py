"""Sensors of a phone: the state of each line and of the phone as a whole, missed calls."""

from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .call_history import RECENT_CALLS
from .const import LOGGER
from .coordinator import GxpConfigEntry, PhoneData
from .cti import LineState, LineStatus, PhoneState, account_id
from .entity import GxpEntity, GxpItemEntity

# Entities only read what the coordinator fetched.
PARALLEL_UPDATES = 0

ATTR_RECENT_CALLS = "recent_calls"

# Line sensors enabled when created; the others start disabled. Two lines carry a call
# and a second one (waiting, consultation, swap partner), all the call control needs;
# a GXP2170 reports up to 12 and would fill the device page with idle lines.
ENABLED_LINES = 2


PHONE_STATUS_SENSOR = SensorEntityDescription(
    key="phone_status",
    translation_key="phone_status",
    device_class=SensorDeviceClass.ENUM,
    options=[state.value for state in PhoneState],
)

MISSED_CALLS_SENSOR = SensorEntityDescription(
    key="missed_calls",
    translation_key="missed_calls",
)

LINE_SENSOR = SensorEntityDescription(
    key="line_{line}",
    translation_key="line",
    device_class=SensorDeviceClass.ENUM,
    options=[state.value for state in LineState],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GxpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the phone's sensors; none on a keys-only phone (no lines, no call events)."""
    if entry.runtime_data.keys_only:
        return
    async_add_entities(
        [GxpPhoneStatusSensor(entry, PHONE_STATUS_SENSOR), GxpMissedCallsSensor(entry)]
    )
    GxpLineSensor.async_add_reported(entry, async_add_entities)


class GxpPhoneStatusSensor(GxpEntity, SensorEntity):
    """The state of the phone as a whole, computed from all the lines."""

    @property
    @override
    def native_value(self) -> str:
        return self.coordinator.data.phone_status.value


class GxpLineSensor(GxpItemEntity[LineStatus], SensorEntity):
    """The state of one line and the call on it."""

    _description = LINE_SENSOR
    _placeholder = "line"

    @staticmethod
    @override
    def _items(data: PhoneData) -> dict[int, LineStatus]:
        return {line.line: line for line in data.lines}

    def __init__(self, entry: GxpConfigEntry, item_id: int) -> None:
        """Describe the sensor of line `item_id`."""
        super().__init__(entry, item_id)
        self._attr_entity_registry_enabled_default = item_id <= ENABLED_LINES
        self._raw_states_seen: set[str] = set()
        self._note_raw_state()

    @callback
    def _note_raw_state(self) -> None:
        """Log, once per string, a state the phone invented."""
        line = self._item
        if line and line.state is None and line.raw_state not in self._raw_states_seen:
            self._raw_states_seen.add(line.raw_state)
            LOGGER.debug(
                "Line %s of %s reports the unknown state %r; shown as unknown",
                self._item_id,
                self.coordinator.name,
                line.raw_state,
            )

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._note_raw_state()
        super()._handle_coordinator_update()

    @property
    @override
    def native_value(self) -> str | None:
        line = self._item
        return line.state.value if line and line.state else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        if (line := self._item) is None:
            return None
        attributes: dict[str, Any] = {
            "remote_number": line.remote_number or None,
            "remote_name": line.remote_name or None,
            # Counted from 1, as the account entities and the dial action do; an idle
            # line has none. The phone's `acct` base differs by family (`account_id`).
            "account": None
            if line.state is LineState.IDLE
            else account_id(line.account, self.coordinator.data.accounts),
            "active": line.active,
        }
        if line.state is None:
            attributes["raw_state"] = line.raw_state
        return attributes


class GxpMissedCallsSensor(GxpEntity, SensorEntity):
    """Missed calls since the user last cleared them; the last calls as an attribute."""

    # The calls are in the entry's own storage; the recorder would keep every copy.
    _unrecorded_attributes = frozenset({ATTR_RECENT_CALLS})

    def __init__(self, entry: GxpConfigEntry) -> None:
        """Describe the sensor of the entry's call history."""
        super().__init__(entry, MISSED_CALLS_SENSOR)
        self._history = entry.runtime_data.history

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            self._history.async_add_listener(self.async_write_ha_state)
        )

    @property
    @override
    def available(self) -> bool:
        # The history is Home Assistant's: readable while the phone is away.
        return True

    @property
    @override
    def native_value(self) -> int:
        return self._history.missed_calls

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        return {
            ATTR_RECENT_CALLS: [
                dict(call) for call in self._history.calls(RECENT_CALLS)
            ]
        }
