"""Writing the Action URLs into the phone's slots, when the option allows it.

One web login (the entry's password is the admin's, cti-api.md §3.2), never retried, and
none when a complete write's fingerprint shows the same URLs: lockouts move slowly.
"""

from collections.abc import Mapping
import hashlib
import json

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .action_urls import SLOTS, PushSlot, slot_url, supports_action_urls, webhook_url
from .connection import async_update_data, client_for
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


def _enabled(entry: GxpConfigEntry, model: str | None) -> bool:
    return bool(
        entry.options.get(CONF_WRITE_ACTION_URLS, DEFAULT_WRITE_ACTION_URLS)
    ) and supports_action_urls(model)


def _is_ours(value: str, base: str, webhook_id: str) -> bool:
    return value.startswith(base) or webhook_id in value


def _wanted_urls(hass: HomeAssistant, entry: GxpConfigEntry) -> dict[str, str]:
    base = webhook_url(hass, entry.data[CONF_WEBHOOK_ID])
    return {slot.pvalue: slot_url(base, slot) for slot in SLOTS}


def _fingerprint(urls: Mapping[str, str]) -> str:
    """Return the SHA-256 of a slot -> URL map: it shows no webhook id."""
    text = json.dumps(dict(urls), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def async_write_slots(
    hass: HomeAssistant, entry: GxpConfigEntry, *, overwrite: bool = False
) -> bool:
    """Write our URLs into empty or our slots (foreign ones with `overwrite`), read back.

    Foreign slots are named in a fixable repair issue. Return whether every slot holds
    ours; raise CtiError when the phone cannot be used.
    """
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    base = webhook_url(hass, webhook_id)
    wanted = _wanted_urls(hass, entry)
    written: list[PushSlot] = []
    foreign: list[PushSlot] = []
    mismatched: list[PushSlot] = []
    async with entry.runtime_data.client.session() as web:
        current = await web.get_values(wanted)
        writes: dict[str, str] = {}
        for slot in SLOTS:
            value = current.get(slot.pvalue, "")
            if value and not _is_ours(value, base, webhook_id) and not overwrite:
                foreign.append(slot)
            elif value != wanted[slot.pvalue]:
                writes[slot.pvalue] = wanted[slot.pvalue]
                written.append(slot)
        if writes:
            await web.set_values(writes)
            back = await web.get_values(writes)
            mismatched = [s for s in written if back[s.pvalue] != writes[s.pvalue]]
    if mismatched:
        LOGGER.warning(
            "%s did not keep the Action URLs written to: %s",
            entry.title,
            ", ".join(slot.name for slot in mismatched),
        )
    slots = ", ".join(f"{slot.name} ({slot.pvalue})" for slot in foreign)
    async_set_issue(
        hass,
        entry,
        ACTION_URL_SLOTS_TAKEN,
        {"slots": slots} if slots else None,
        is_fixable=True,
        data={"entry_id": entry.entry_id},
    )
    done = not (foreign or mismatched)
    fingerprint = _fingerprint(wanted) if done else None
    async_update_data(hass, entry, {CONF_ACTION_URLS_FINGERPRINT: fingerprint})
    return done


async def async_sync_slots(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Write the slots once; problems are logged, never raised."""
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
    if not _enabled(entry, entry.runtime_data.model):
        async_set_issue(hass, entry, ACTION_URL_SLOTS_TAKEN, None)
        # Slots may be changed by hand while the option is off: look again when it is on.
        async_update_data(hass, entry, {CONF_ACTION_URLS_FINGERPRINT: None})
        return
    wanted = _fingerprint(_wanted_urls(hass, entry))
    if entry.data.get(CONF_ACTION_URLS_FINGERPRINT) == wanted:
        LOGGER.debug("%s: the Action URLs are as last written", entry.title)
        return
    entry.async_create_background_task(
        hass, async_sync_slots(hass, entry), f"{DOMAIN} write Action URLs"
    )


async def async_release_slots(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Clear the slots that hold this entry's URLs; never raises."""
    async_set_issue(hass, entry, ACTION_URL_SLOTS_TAKEN, None)
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    if not webhook_id or not _enabled(entry, entry.data.get(CONF_MODEL)):
        return
    base = webhook_url(hass, webhook_id)
    try:
        async with client_for(hass, entry.data).session() as web:
            current = await web.get_values([slot.pvalue for slot in SLOTS])
            clear = {
                pvalue: ""
                for pvalue, value in current.items()
                if value and _is_ours(value, base, webhook_id)
            }
            if clear:
                await web.set_values(clear)
    except CtiError as err:
        LOGGER.warning("%s: cannot clear the Action URLs: %s", entry.title, err)
