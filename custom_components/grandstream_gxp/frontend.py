"""The phone card: served from the integration and loaded on every dashboard."""

import hashlib
from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

CARD_FILE = Path(__file__).parent / "frontend" / "grandstream-phone-card.js"
CARD_URL = f"/{DOMAIN}/grandstream-phone-card.js"
_REGISTERED: HassKey[bool] = HassKey(f"{DOMAIN}_card_registered")


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card and add it to every dashboard, once."""
    if hass.data.get(_REGISTERED):
        return
    # Claimed before the first await: a second registration of the path raises.
    hass.data[_REGISTERED] = True
    integration = await async_get_integration(hass, DOMAIN)
    card = await hass.async_add_executor_job(CARD_FILE.read_bytes)
    # The frontend caches it 31 days: an update or a local edit needs a new URL.
    digest = hashlib.sha256(card).hexdigest()[:8]
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True)]
    )
    add_extra_js_url(hass, f"{CARD_URL}?v={integration.version}-{digest}")
