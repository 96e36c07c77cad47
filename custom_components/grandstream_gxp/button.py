"""Buttons of a phone: each runs the action of its name (`services.py`), or reboots."""

from typing import override

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import GxpConfigEntry, GxpRuntimeData
from .cti.call_control import SwapMethod
from .entity import GxpEntity
from .helpers import async_run_action
from .services import ACTIONS

# One command at a time per phone; the call controller serialises procedures anyway.
PARALLEL_UPDATES = 1

REBOOT = "reboot"

BUTTONS: tuple[ButtonEntityDescription, ...] = (
    *(
        ButtonEntityDescription(key=key, translation_key=key)
        for key in (
            "answer",
            "hang_up",
            "hold",
            "resume",
            "swap",
            "complete_transfer",
            "cancel_transfer",
            "clear_missed_calls",
        )
    ),
    ButtonEntityDescription(
        key=REBOOT,
        translation_key=REBOOT,
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GxpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the phone's buttons; a keys-only phone gets those its key recipes run."""
    runtime = entry.runtime_data
    async_add_entities(
        GxpButton(entry, description)
        for description in BUTTONS
        if not runtime.keys_only or _keys_only_button(description.key, runtime)
    )


def _keys_only_button(key: str, runtime: GxpRuntimeData) -> bool:
    # Swap only by the hold key; no reboot (`api-sys_operation` is missing too), no
    # cancel (refused), no missed calls (no call events).
    if key == "swap":
        return runtime.controller.settings.swap_method is SwapMethod.HOLD_KEY
    return key not in {REBOOT, "cancel_transfer", "clear_missed_calls"}


class GxpButton(GxpEntity, ButtonEntity):
    """A button that runs one action."""

    @property
    @override
    def available(self) -> bool:
        action = ACTIONS.get(self.entity_description.key)
        return (action is not None and not action.uses_phone) or super().available

    @override
    async def async_press(self) -> None:
        runtime = self.coordinator.config_entry.runtime_data
        if (key := self.entity_description.key) == REBOOT:
            await async_run_action(runtime, runtime.client.reboot, self._context)
        else:
            await ACTIONS[key].async_run(runtime, {}, self._context)
