"""Fixable repair issues: Action URL slots that hold another system's URLs."""

from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .action_url_writer import async_write_slots
from .coordinator import GxpConfigEntry
from .cti import CtiError


class SlotsTakenRepairFlow(RepairsFlow):
    """Overwrite the taken slots with this entry's URLs after a confirmation."""

    def __init__(self, entry_id: str | None, slots: str) -> None:
        """Fix the issue of the entry `entry_id` about the taken `slots` (their names)."""
        self._entry_id = entry_id
        self._slots = slots

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask, then overwrite and check the slots."""
        entry: GxpConfigEntry | None = (
            self.hass.config_entries.async_get_entry(self._entry_id)
            if self._entry_id
            else None
        )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                description_placeholders={"name": entry.title, "slots": self._slots},
            )
        try:
            result = await async_write_slots(self.hass, entry, overwrite=True)
        except CtiError:
            return self.async_abort(reason="cannot_write")
        if result.mismatched:
            return self.async_abort(reason="cannot_write")
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes `issue_id`."""
    entry_id = data.get("entry_id") if data else None
    slots = str(data.get("slots", "")) if data else ""
    return SlotsTakenRepairFlow(str(entry_id) if entry_id else None, slots)
