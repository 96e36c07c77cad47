"""The base of every entity of a phone."""

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import GxpConfigEntry, GxpCoordinator, PhoneData


class GxpEntity(CoordinatorEntity[GxpCoordinator]):
    """An entity of one phone, named by translation, on the phone's device."""

    _attr_has_entity_name = True

    def __init__(
        self,
        entry: GxpConfigEntry,
        description: EntityDescription,
        key: str | None = None,
    ) -> None:
        """Attach to the entry's coordinator and device.

        The unique id ends with `key`, or with the description's key when there is one
        entity per description.
        """
        super().__init__(entry.runtime_data.coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{entry.unique_id}_{key or description.key}"
        self._attr_device_info = phone_device_info(entry)


def async_add_per_item[T](
    entry: GxpConfigEntry,
    items: Callable[[PhoneData], Iterable[T]],
    key: Callable[[T], int],
    make: Callable[[T], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an entity for every line or account the phone reports, including later ones.

    A phone reports its lines and accounts on every read; one it starts reporting after
    setup (the accounts list can come late) still gets its entity without a reload.
    """
    coordinator = entry.runtime_data.coordinator
    known: set[int] = set()

    @callback
    def add_new() -> None:
        new = [item for item in items(coordinator.data) if key(item) not in known]
        if new:
            known.update(key(item) for item in new)
            async_add_entities(make(item) for item in new)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))


def phone_device_info(entry: GxpConfigEntry) -> DeviceInfo:
    """Describe the phone of a loaded entry; its MAC (the unique id) identifies it."""
    runtime = entry.runtime_data
    mac = entry.unique_id or ""  # the config flow always sets the MAC
    return DeviceInfo(
        identifiers={(DOMAIN, mac)},
        connections={(CONNECTION_NETWORK_MAC, mac)},
        manufacturer=MANUFACTURER,
        model=runtime.model,
        sw_version=runtime.firmware,
        configuration_url=str(runtime.client.base_url),
    )
