"""Buttons of a phone: one press = one call-control action, a reboot, clear missed calls."""

from collections.abc import Awaitable, Callable
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

    press_fn: Callable[[GxpRuntimeData], Awaitable[Any]]


BUTTONS: tuple[GxpButtonEntityDescription, ...] = (
    GxpButtonEntityDescription(
        key="answer",
        translation_key="answer",
        press_fn=lambda runtime: runtime.controller.answer(),
    ),
    GxpButtonEntityDescription(
        key="hang_up",
        translation_key="hang_up",
        press_fn=lambda runtime: runtime.controller.hang_up(),
    ),
    GxpButtonEntityDescription(
        key="hold",
        translation_key="hold",
        press_fn=lambda runtime: runtime.controller.hold(),
    ),
    GxpButtonEntityDescription(
        key="resume",
        translation_key="resume",
        press_fn=lambda runtime: runtime.controller.resume(),
    ),
    GxpButtonEntityDescription(
        key="swap",
        translation_key="swap",
        press_fn=lambda runtime: runtime.controller.swap(),
    ),
    GxpButtonEntityDescription(
        key="complete_transfer",
        translation_key="complete_transfer",
        press_fn=lambda runtime: runtime.controller.complete_transfer(),
    ),
    GxpButtonEntityDescription(
        key="cancel_transfer",
        translation_key="cancel_transfer",
        press_fn=lambda runtime: runtime.controller.cancel_transfer(),
    ),
    GxpButtonEntityDescription(
        key="reboot",
        translation_key="reboot",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        press_fn=lambda runtime: runtime.client.reboot(),
    ),
)


CLEAR_MISSED_CALLS = ButtonEntityDescription(
    key="clear_missed_calls", translation_key="clear_missed_calls"
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
    if runtime.keys_only:
        async_add_entities(
            GxpButton(entry, description)
            for description in BUTTONS
            if _keys_only_button(description.key, runtime)
        )
        return
    async_add_entities(GxpButton(entry, description) for description in BUTTONS)
    async_add_entities([GxpClearMissedCallsButton(entry)])


def _keys_only_button(key: str, runtime: GxpRuntimeData) -> bool:
    if key == "swap":
        return runtime.controller.settings.swap_method is SwapMethod.HOLD_KEY
    return key not in {"reboot", "cancel_transfer"}


class GxpButton(GxpEntity, ButtonEntity):
    """A button that runs one action on the phone."""

    entity_description: GxpButtonEntityDescription

    def __init__(
        self, entry: GxpConfigEntry, description: GxpButtonEntityDescription
    ) -> None:
        """Describe the button."""
        super().__init__(entry, description)
        self._runtime = entry.runtime_data

    @override
    async def async_press(self) -> None:
        """Run the action; errors come back translated, the new lines are published."""
        runtime = self._runtime
        await async_run_action(
            runtime, lambda: self.entity_description.press_fn(runtime)
        )


class GxpClearMissedCallsButton(GxpEntity, ButtonEntity):
    """Sets the missed-call count to 0; Home Assistant's data, so no phone needed."""

    def __init__(self, entry: GxpConfigEntry) -> None:
        """Describe the button."""
        super().__init__(entry, CLEAR_MISSED_CALLS)
        self._history = entry.runtime_data.history

    @property
    @override
    def available(self) -> bool:
        return True

    @override
    async def async_press(self) -> None:
        """Clear the count."""
        self._history.async_clear_missed_calls()
