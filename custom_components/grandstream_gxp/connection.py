"""How an entry (or a flow) reaches its phone, and how an entry keeps what it learned."""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import REQUEST_TIMEOUT
from .cti import CtiClient, KeyTable


def client_for(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    timeout: float = REQUEST_TIMEOUT,
    key_table: KeyTable | None = None,
) -> CtiClient:
    """Return a CTI client on Home Assistant's shared session for connection data."""
    return CtiClient(
        async_get_clientsession(hass, verify_ssl=data[CONF_VERIFY_SSL]),
        data[CONF_HOST],
        password=data[CONF_PASSWORD],
        port=data.get(CONF_PORT),
        https=data[CONF_SSL],
        verify_ssl=data[CONF_VERIFY_SSL],
        timeout=timeout,
        key_table=key_table,
    )


@callback
def async_update_data(
    hass: HomeAssistant, entry: ConfigEntry[Any], changes: Mapping[str, Any]
) -> None:
    """Store `changes` in the entry's data (None removes a key); nothing reloads."""
    data = {**entry.data, **changes}
    hass.config_entries.async_update_entry(
        entry, data={k: v for k, v in data.items() if v is not None or k not in changes}
    )
