"""Writing the Action URLs into the phone's slots, when the option allows it.

One web login (the admin password is the entry's password, cti-api.md §3.2) reads every
slot and writes our URL where a slot is empty or holds one of ours, then reads back. A
slot holding something else is named in a fixable repair issue. The login is never
retried (the phone's lockout counter moves by one at most per setup); a complete write
keeps a SHA-256 fingerprint of the slot -> URL map, and a setup that wants the same URLs
does not log in at all, so a slot changed by hand since is noticed only when the URLs
change or after an incomplete write. Removing the entry clears our slots.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
import hashlib
import json

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .action_urls import SLOTS, PushSlot, slot_url, supports_action_urls, webhook_url
from .connection import client_for
from .const import (
    CONF_ACTION_URLS_FINGERPRINT,
    CONF_MODEL,
    CONF_WRITE_ACTION_URLS,
    DEFAULT_WRITE_ACTION_URLS,
    DOMAIN,
    LOGGER,
)
from .coordinator import GxpConfigEntry
from .cti import CtiAuthError, CtiError
from .issues import ACTION_URL_SLOTS_TAKEN, async_set_issue


def enabled(entry: GxpConfigEntry, model: str | None) -> bool:
    """Whether the entry writes its Action URLs: option on and a model with slots."""
    return bool(
        entry.options.get(CONF_WRITE_ACTION_URLS, DEFAULT_WRITE_ACTION_URLS)
    ) and supports_action_urls(model)


def is_ours(value: str, base: str, webhook_id: str) -> bool:
    """Whether a slot's value is one of this entry's URLs (any address of ours)."""
    return value.startswith(base) or webhook_id in value


def wanted_urls(hass: HomeAssistant, entry: GxpConfigEntry) -> dict[str, str]:
    """Return the URL this entry wants in each slot, by P-value."""
    base = webhook_url(hass, entry.data[CONF_WEBHOOK_ID])
    return {slot.pvalue: slot_url(base, slot) for slot in SLOTS}


def fingerprint(urls: Mapping[str, str]) -> str:
    """Return the SHA-256 of a slot -> URL map: it shows no webhook id, only change."""
    text = json.dumps(dict(urls), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(slots=True)
class SlotResult:
    """What one pass over the slots found and did."""

    written: list[PushSlot] = field(default_factory=list)
    foreign: list[PushSlot] = field(default_factory=list)
    mismatched: list[PushSlot] = field(default_factory=list)


async def async_write_slots(
    hass: HomeAssistant, entry: GxpConfigEntry, *, overwrite: bool = False
) -> SlotResult:
    """Put this entry's URLs into the phone's slots, in one web session.

    Empty slots and slots with our URLs are written when they differ; foreign ones
    only with `overwrite`. Every write is read back. Raise CtiError (CtiAuthError
    for a refused password) when the phone cannot be used; the issue is updated
    otherwise.
    """
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    base = webhook_url(hass, webhook_id)
    wanted = wanted_urls(hass, entry)
    result = SlotResult()
    async with entry.runtime_data.client.session() as web:
        current = await web.get_values(wanted)
        writes: dict[str, str] = {}
        for slot in SLOTS:
            value = current.get(slot.pvalue, "")
            if value and not is_ours(value, base, webhook_id) and not overwrite:
                result.foreign.append(slot)
            elif value != wanted[slot.pvalue]:
                writes[slot.pvalue] = wanted[slot.pvalue]
                result.written.append(slot)
        if writes:
            await web.set_values(writes)
            back = await web.get_values(writes)
            result.mismatched = [
                slot
                for slot in result.written
                if back[slot.pvalue] != writes[slot.pvalue]
            ]
    if result.mismatched:
        LOGGER.warning(
            "%s did not keep the Action URLs written to: %s",
            entry.title,
            ", ".join(slot.name for slot in result.mismatched),
        )
    slots = ", ".join(f"{slot.name} ({slot.pvalue})" for slot in result.foreign)
    async_set_issue(
        hass,
        entry,
        ACTION_URL_SLOTS_TAKEN,
        {"slots": slots} if slots else None,
        is_fixable=True,
        data={"entry_id": entry.entry_id},
    )
    _store_fingerprint(
        hass,
        entry,
        None if result.foreign or result.mismatched else fingerprint(wanted),
    )
    return result


def _store_fingerprint(
    hass: HomeAssistant, entry: GxpConfigEntry, value: str | None
) -> None:
    """Keep the fingerprint of a complete write; forget it after an incomplete one."""
    if entry.data.get(CONF_ACTION_URLS_FINGERPRINT) == value:
        return
    data = {**entry.data, CONF_ACTION_URLS_FINGERPRINT: value}
    if value is None:
        del data[CONF_ACTION_URLS_FINGERPRINT]
    hass.config_entries.async_update_entry(entry, data=data)


async def async_sync_slots(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Write the slots once, in the background; problems are logged, never raised."""
    try:
        await async_write_slots(hass, entry)
    except CtiAuthError as err:
        LOGGER.warning(
            "%s: cannot write the Action URLs, the web login was refused (%s); "
            "not trying again until the entry is reloaded",
            entry.title,
            err,
        )
    except CtiError as err:
        LOGGER.warning("%s: cannot write the Action URLs: %s", entry.title, err)


def async_start_writing_slots(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Start writing the slots in the background when the option is on."""
    if not enabled(entry, entry.runtime_data.model):
        async_set_issue(hass, entry, ACTION_URL_SLOTS_TAKEN, None)
        # Slots may be changed by hand while the option is off: look again when it is on.
        _store_fingerprint(hass, entry, None)
        return
    wanted = fingerprint(wanted_urls(hass, entry))
    if entry.data.get(CONF_ACTION_URLS_FINGERPRINT) == wanted:
        LOGGER.debug("%s: the Action URLs are as last written", entry.title)
        return
    entry.async_create_background_task(
        hass, async_sync_slots(hass, entry), f"{DOMAIN} write Action URLs"
    )


async def async_release_slots(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Clear the slots that hold this entry's URLs; best effort, never raises."""
    async_set_issue(hass, entry, ACTION_URL_SLOTS_TAKEN, None)
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    if not webhook_id or not enabled(entry, entry.data.get(CONF_MODEL)):
        return
    base = webhook_url(hass, webhook_id)
    try:
        async with client_for(hass, entry.data).session() as web:
            current = await web.get_values([slot.pvalue for slot in SLOTS])
            clear = {
                pvalue: ""
                for pvalue, value in current.items()
                if value and is_ours(value, base, webhook_id)
            }
            if clear:
                await web.set_values(clear)
    except CtiError as err:
        LOGGER.warning("%s: cannot clear the Action URLs: %s", entry.title, err)
