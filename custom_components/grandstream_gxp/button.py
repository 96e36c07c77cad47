"""Buttons of a phone: one press = one call-control action, a reboot, clear missed calls."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

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

# One command at a time per phone; the call controller serialises procedures anyway.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class GxpButtonEntityDescription(ButtonEntityDescription):
    """A button and what a press does to the phone."""

    # Awaited through `async_run_action` when the press uses the phone.
    press_fn: Callable[[GxpRuntimeData], Any]
    # False for the missed-call count: Home Assistant's data, so no phone needed.
    uses_phone: bool = True


def _call_control(key: str) -> GxpButtonEntityDescription:
    # The key is the controller's method (the keys-only phone has its own).
    return GxpButtonEntityDescription(
        key=key,
        translation_key=key,
        press_fn=lambda runtime: getattr(runtime.controller, key)(),
    )


BUTTONS: tuple[GxpButtonEntityDescription, ...] = (
    *map(
        _call_control,
        (
            "answer",
            "hang_up",
            "hold",
            "resume",
            "swap",
            "complete_transfer",
            "cancel_transfer",
        ),
    ),
    GxpButtonEntityDescription(
        key="reboot",
        translation_key="reboot",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        press_fn=lambda runtime: runtime.client.reboot(),
    ),
    GxpButtonEntityDescription(
        key="clear_missed_calls",
        translation_key="clear_missed_calls",
        press_fn=lambda runtime: runtime.history.async_clear_missed_calls(),
        uses_phone=False,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GxpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the phone's buttons.

    A keys-only phone gets the call-control buttons its key recipes run: no reboot
    (`api-sys_operation` is missing too), no cancel (refused), swap only with the
    hold-key method, and no missed calls to clear (no call events).
    """
    runtime = entry.runtime_data
    async_add_entities(
        GxpButton(entry, description)
        for description in BUTTONS
        if not runtime.keys_only or _keys_only_button(description.key, runtime)
    )


def _keys_only_button(key: str, runtime: GxpRuntimeData) -> bool:
    if key == "swap":
        return runtime.controller.settings.swap_method is SwapMethod.HOLD_KEY
    return key not in {"reboot", "cancel_transfer", "clear_missed_calls"}


class GxpButton(GxpEntity, ButtonEntity):
    """A button that runs one action."""

    entity_description: GxpButtonEntityDescription

    @property
    @override
    def available(self) -> bool:
        return not self.entity_description.uses_phone or super().available

    @override
    async def async_press(self) -> None:
        runtime = self.coordinator.config_entry.runtime_data
        press = self.entity_description.press_fn
        if self.entity_description.uses_phone:
            await async_run_action(runtime, lambda: press(runtime))
        else:
            press(runtime)
