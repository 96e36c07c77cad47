"""Diagnostics: what the integration knows about a phone, without secrets or callers."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_MAC, CONF_NAME, CONF_PASSWORD, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .action_urls import action_urls, supports_action_urls
from .const import CONF_PROBED_KEYS, CONF_PUSH_SEEN
from .coordinator import GxpConfigEntry

# The host stays (a wrong address is the commonest problem); MAC, callers and accounts
# are personal; the webhook id can send events (the Action URLs show it redacted).
TO_REDACT = {
    CONF_PASSWORD,
    CONF_MAC,
    CONF_NAME,
    CONF_WEBHOOK_ID,
    "unique_id",
    "remote_number",
    "remote_name",
    "sip_id",
    "sip_server",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: GxpConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings, the phone's facts and the last data read."""
    shown = {"unique_id": entry.unique_id, "options": dict(entry.options)}
    if entry.state is not ConfigEntryState.LOADED:
        # Reloading, or waiting to retry setup: only the entry is there to show.
        shown |= {"state": entry.state.value, "data": dict(entry.data)}
        return async_redact_data({"entry": shown}, TO_REDACT)
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    key_table = runtime.client.key_table
    data = coordinator.data
    interval = coordinator.update_interval
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    last_push = coordinator.last_push_at
    # The probe's findings are shown once, under "keys", where users look for them.
    entry_data = {k: v for k, v in entry.data.items() if k != CONF_PROBED_KEYS}
    diagnostics: dict[str, Any] = {
        "entry": {**shown, "data": entry_data},
        "phone": {
            "model": runtime.model,
            "firmware": runtime.firmware,
            "keys_only": runtime.keys_only,
        },
        "keys": {
            "family": key_table.family.value,
            "overrides": dict(key_table.overrides),
            # In use when it was made on the firmware the phone runs now.
            "probe": entry.data.get(CONF_PROBED_KEYS),
            "probe_in_use": dict(key_table.probed),
        },
        "call_control": {
            **asdict(runtime.controller.settings),
            "learned_swap_method": runtime.controller.learned_swap_method,
        },
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "update_interval": None if interval is None else interval.total_seconds(),
        },
        "push": {
            "supported": supports_action_urls(runtime.model),
            "seen": bool(entry.data.get(CONF_PUSH_SEEN)),
            "alive": coordinator.push_alive,
            "last_event": last_push and last_push.isoformat(),
            "action_urls": [
                {
                    "slot": slot.name,
                    "pvalue": slot.pvalue,
                    "url": url.replace(webhook_id, REDACTED),
                }
                for slot, url in action_urls(hass, webhook_id)
            ],
        },
        "data": {
            "phone_status": data.phone_status,
            "lines": [asdict(line) for line in data.lines],
            "accounts": [asdict(account) for account in data.accounts],
        },
    }
    redacted: dict[str, Any] = async_redact_data(diagnostics, TO_REDACT)
    return redacted
