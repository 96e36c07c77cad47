"""How an entry (or a flow) reaches its phone: one CTI client factory."""

from collections.abc import Mapping
from typing import Any

from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
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
