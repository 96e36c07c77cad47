"""Binary sensors of a phone: ringing, in a call, the registration of each account."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import GxpConfigEntry, PhoneData
from .cti import Account, LineState
from .entity import GxpEntity, GxpItemEntity

# Entities only read what the coordinator fetched.
PARALLEL_UPDATES = 0

# A line in one of these states holds a call the user is part of (placed, talking, held).
IN_CALL_STATES = frozenset(
    {LineState.DIALING, LineState.CALLING, LineState.CONNECTED, LineState.ONHOLD}
)


@dataclass(frozen=True, kw_only=True)
class GxpBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor about the phone as a whole."""

    is_on_fn: Callable[[PhoneData], bool]


PHONE_BINARY_SENSORS: tuple[GxpBinarySensorEntityDescription, ...] = (
    GxpBinarySensorEntityDescription(
        key="ringing",
        translation_key="ringing",
        is_on_fn=lambda data: any(
            line.state is LineState.RINGING for line in data.lines
        ),
    ),
    GxpBinarySensorEntityDescription(
        key="in_call",
        translation_key="in_call",
        is_on_fn=lambda data: any(line.state in IN_CALL_STATES for line in data.lines),
    ),
)

# Only on a keys-only phone, always off: its actions press keys but cannot check the
# calls. A diagnostic entity, as there is nothing the user could repair.
STATE_CHECKS = GxpBinarySensorEntityDescription(
    key="state_checks",
    translation_key="state_checks",
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda _data: False,
)

ACCOUNT_REGISTERED = BinarySensorEntityDescription(
    key="account_{account}_registered",
    translation_key="account_registered",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GxpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the phone's binary sensors, and one per account it reports."""
    if entry.runtime_data.keys_only:
        async_add_entities([GxpPhoneBinarySensor(entry, STATE_CHECKS)])
        return
    async_add_entities(
        GxpPhoneBinarySensor(entry, description) for description in PHONE_BINARY_SENSORS
    )
    GxpAccountRegisteredSensor.async_add_reported(entry, async_add_entities)


class GxpPhoneBinarySensor(GxpEntity, BinarySensorEntity):
    """A binary sensor computed from all the lines."""

    entity_description: GxpBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool:
        return self.entity_description.is_on_fn(self.coordinator.data)


class GxpAccountRegisteredSensor(GxpItemEntity[Account], BinarySensorEntity):
    """Whether one SIP account is registered with its server."""

    _description = ACCOUNT_REGISTERED
    _placeholder = "account"

    @staticmethod
    @override
    def _items(data: PhoneData) -> dict[int, Account]:
        return {account.id: account for account in data.accounts}

    def __init__(self, entry: GxpConfigEntry, item_id: int) -> None:
        """Describe the sensor of account `item_id`."""
        super().__init__(entry, item_id)
        # Phones list every account slot; an empty slot is only noise until it is set up.
        account = self._item
        self._attr_entity_registry_enabled_default = bool(
            account and (account.sip_id or account.sip_server)
        )

    @property
    @override
    def is_on(self) -> bool | None:
        return None if (account := self._item) is None else account.registered
