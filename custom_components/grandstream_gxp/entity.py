"""The base of every entity of a phone."""

from typing import ClassVar, override

from homeassistant.core import callback
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import GxpConfigEntry, GxpCoordinator, PhoneData


class GxpEntity(CoordinatorEntity[GxpCoordinator]):
    """An entity of one phone, named by translation, on the phone's device."""

    _attr_has_entity_name = True

    def __init__(
        self, entry: GxpConfigEntry, description: EntityDescription, key: str = ""
    ) -> None:
        """Attach to the entry's coordinator; the unique id ends with `key` or the description's."""
        super().__init__(entry.runtime_data.coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{entry.unique_id}_{key or description.key}"
        self._attr_device_info = phone_device_info(entry)

    @callback
    def _adopt_action_context(self) -> None:
        """Write what an action changed under its context (the logbook names the cause).

        Home Assistant keeps it for the next 5 s, as after an entity action.
        """
        if (context := self.coordinator.action_context) is not None:
            self.async_set_context(context)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._adopt_action_context()
        super()._handle_coordinator_update()


class GxpItemEntity[T](GxpEntity):
    """An entity of one line or account; unavailable while the phone stops reporting it."""

    # The key is a template with the placeholder, which names the item's id (1-based,
    # as the phone counts) in the translation too.
    _description: ClassVar[EntityDescription]
    _placeholder: ClassVar[str]

    @staticmethod
    def _items(data: PhoneData) -> dict[int, T]:
        raise NotImplementedError

    def __init__(self, entry: GxpConfigEntry, item_id: int) -> None:
        """Describe the entity of item `item_id`."""
        placeholders = {self._placeholder: str(item_id)}
        key = self._description.key.format(**placeholders)
        super().__init__(entry, self._description, key)
        self._attr_translation_placeholders = placeholders
        self._item_id = item_id

    @property
    def _item(self) -> T | None:
        return self._items(self.coordinator.data).get(self._item_id)

    @property
    @override
    def available(self) -> bool:
        return super().available and self._item is not None

    @classmethod
    def async_add_reported(
        cls, entry: GxpConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add an entity per item the phone reports, now and later (accounts lag)."""
        coordinator = entry.runtime_data.coordinator
        known: set[int] = set()

        @callback
        def add_new() -> None:
            if new := sorted(cls._items(coordinator.data).keys() - known):
                known.update(new)
                async_add_entities(cls(entry, item_id) for item_id in new)

        add_new()
        entry.async_on_unload(coordinator.async_add_listener(add_new))


def phone_device_info(entry: GxpConfigEntry) -> DeviceInfo:
    """Describe the phone of a loaded entry; its MAC (the unique id) identifies it."""
    runtime = entry.runtime_data
    mac = entry.unique_id or ""  # the config flow always sets the MAC
    return DeviceInfo(
        identifiers={(DOMAIN, mac)},
        connections={(CONNECTION_NETWORK_MAC, mac)},
        manufacturer="Grandstream",
        model=runtime.model,
        sw_version=runtime.firmware,
        configuration_url=str(runtime.client.base_url),
    )
