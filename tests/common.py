"""Helpers the integration tests share: the phone's device, actions, reads, keys sent."""

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.grandstream_gxp.const import DOMAIN
from gxp_simulator import SimulatedPhone


def device_id_of(hass: HomeAssistant, entry: ConfigEntry[Any]) -> str:
    """Return the id of the entry's one device, the phone."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert [device.identifiers for device in devices] == [{(DOMAIN, entry.unique_id)}]
    return devices[0].id


async def call(
    hass: HomeAssistant, action: str, device_id: str, **data: Any
) -> dict[str, Any] | None:
    """Run an action and return its response (send_key answers none)."""
    return await hass.services.async_call(
        DOMAIN,
        action,
        {ATTR_DEVICE_ID: device_id, **data},
        blocking=True,
        return_response=action != "send_key",
    )


async def refresh(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Read the phone now, as the next poll would."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def keys_sent(sim: SimulatedPhone) -> list[str]:
    """Return the decoded `keys=` values the phone received."""
    return [
        rec.query["keys"] for rec in sim.phone.requests.for_endpoint("api-send_key")
    ]


# Realistic but short: the phone still answers one request at a time, plays keys after
# the reply, lags its line status and hands transfers over later, fast enough for CI.
REALISTIC_FOR_TESTS: dict[str, Any] = {
    "request_latency": 0.02,
    "key_delay": 0.04,
    "status_lag": 0.05,
    "transfer_handover": (0.1, 0.4),
}
