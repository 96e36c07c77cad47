"""The phone's key table, what the key probe found, and the swap method `auto` learned.

Findings are stored with their firmware, used only on it: another may spell keys otherwise.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .connection import async_update_data
from .const import (
    CONF_KEY_OVERRIDES,
    CONF_LEARNED_SWAP,
    CONF_PROBED_KEYS,
    LOGGER,
    PROBE_POLL_INTERVAL,
    PROBE_RESTORE_TIMEOUT,
    PROBE_SETTLE,
)
from .coordinator import GxpConfigEntry, GxpRuntimeData
from .cti import CtiKeyError, Family, KeyProbe, KeyTable, ProbeResult, stored_keys
from .cti.call_control import SwapMethod


def _stored_for(
    entry: GxpConfigEntry, key: str, firmware: str | None
) -> Mapping[str, Any] | None:
    stored = entry.data.get(key)
    if not isinstance(stored, Mapping) or stored.get("firmware") != firmware:
        return None
    return stored


def key_table_for(
    entry: GxpConfigEntry, family: Family, firmware: str | None
) -> KeyTable:
    """Build overrides > valid probe findings > defaults (bad overrides: CtiKeyError)."""
    overrides = entry.options.get(CONF_KEY_OVERRIDES) or None
    stored = _stored_for(entry, CONF_PROBED_KEYS, firmware)
    try:
        return KeyTable(family, overrides, stored_keys(stored) if stored else {})
    except CtiKeyError as err:
        LOGGER.warning("Ignoring the stored key probe findings: %s", err)
    return KeyTable(family, overrides)


async def async_probe_keys(runtime: GxpRuntimeData) -> ProbeResult:
    """Run the key probe on the phone (see `cti.probe`)."""
    probe = KeyProbe(
        runtime.client,
        settle=PROBE_SETTLE,
        poll_interval=PROBE_POLL_INTERVAL,
        restore_timeout=PROBE_RESTORE_TIMEOUT,
    )
    return await probe.run(model=runtime.model, firmware=runtime.firmware)


@callback
def async_store_probe(
    hass: HomeAssistant, entry: GxpConfigEntry, result: ProbeResult
) -> dict[str, Any]:
    """Store the findings and use them at once, without a reload; return them."""
    found = result.as_dict()
    previous = _stored_for(entry, CONF_PROBED_KEYS, result.firmware)
    # A run that stopped early adds to an earlier run's findings on the same firmware.
    if result.interrupted and previous is not None:
        found["keys"] = {**stored_keys(previous), **found["keys"]}
        answers = previous.get("answers")
        if isinstance(answers, Mapping):
            found["answers"] = {**answers, **found["answers"]}
    async_update_data(hass, entry, {CONF_PROBED_KEYS: found})
    runtime = entry.runtime_data
    runtime.client.use_key_table(
        key_table_for(entry, runtime.client.key_table.family, runtime.firmware)
    )
    return found


@callback
def async_store_learned_swap(hass: HomeAssistant, runtime: GxpRuntimeData) -> None:
    """Keep the swap method `auto` learned in the entry, with the firmware it holds for."""
    method = runtime.controller.learned_swap_method
    if method is None:
        return
    learned = {"method": method.value, "firmware": runtime.firmware}
    async_update_data(
        hass, runtime.coordinator.config_entry, {CONF_LEARNED_SWAP: learned}
    )


def learned_swap_for(entry: GxpConfigEntry, firmware: str | None) -> SwapMethod | None:
    """Return the swap method learned on this firmware."""
    stored = _stored_for(entry, CONF_LEARNED_SWAP, firmware)
    try:
        return SwapMethod(str(stored.get("method"))) if stored else None
    except ValueError:
        return None
