"""Fixable repair issues: Action URL slots that hold another system's URLs."""

from contextlib import suppress
from typing import Any

from homeassistant.components.repairs import (
    ConfirmRepairFlow,
    RepairsFlow,
    RepairsFlowResult,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .action_url_writer import async_write_slots
from .coordinator import GxpConfigEntry
from .cti import CtiError


class SlotsTakenRepairFlow(ConfirmRepairFlow):
    """Overwrite the taken slots with this entry's URLs after a confirmation."""

    def __init__(self, entry_id: str) -> None:
        """Fix the issue of the entry `entry_id`."""
        self._entry_id = entry_id

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask (the form names the slots, as the issue does), then overwrite them."""
        entry: GxpConfigEntry | None = self.hass.config_entries.async_get_entry(
            self._entry_id
        )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if user_input is None:
            return await super().async_step_confirm()
        with suppress(CtiError):
            if await async_write_slots(self.hass, entry, overwrite=True):
                return self.async_create_entry(data={})
        return self.async_abort(reason="cannot_write")


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes `issue_id`."""
    return SlotsTakenRepairFlow(str((data or {}).get("entry_id", "")))
