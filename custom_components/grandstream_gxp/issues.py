"""The repair issues of an entry: one per kind, named by its translation key."""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

ACTION_URL_SLOTS_TAKEN = "action_url_slots_taken"
AUTO_ATTENDED_MISMATCH = "auto_attended_mismatch"
PUSH_NOT_SET_UP = "push_not_set_up"
VULNERABLE_FIRMWARE = "vulnerable_firmware"


def entry_issue_id(entry: ConfigEntry[Any], kind: str) -> str:
    """Return the id of the entry's issue of `kind`."""
    return f"{kind}_{entry.entry_id}"


@callback
def async_set_issue(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    kind: str,
    placeholders: Mapping[str, str] | None,
    *,
    is_fixable: bool = False,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    **options: Any,
) -> None:
    """Show the entry's issue of `kind` (named after the entry); None removes it."""
    if placeholders is None:
        ir.async_delete_issue(hass, DOMAIN, entry_issue_id(entry, kind))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue_id(entry, kind),
        is_fixable=is_fixable,
        severity=severity,
        translation_key=kind,
        translation_placeholders={"name": entry.title, **placeholders},
        **options,
    )
