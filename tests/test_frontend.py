"""The phone card: served by the integration, loaded on every dashboard, once."""

import hashlib
from http import HTTPStatus
import json
from unittest.mock import patch

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.components.http.server import HomeAssistantHTTP, StaticPathConfig
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.grandstream_gxp.const import CONF_MODEL, DOMAIN
from custom_components.grandstream_gxp.frontend import CARD_FILE, CARD_URL
from gxp_simulator import SimulatedPhone

from .conftest import PASSWORD

ROOT_MANIFEST = CARD_FILE.parent.parent / "manifest.json"


def _card_urls(hass: HomeAssistant) -> list[str]:
    return sorted(
        url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if url.startswith(CARD_URL)
    )


async def test_two_phones_register_the_card_once(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """Two entries, one static path and one versioned module URL for every dashboard."""
    registered: list[list[StaticPathConfig]] = []
    original = HomeAssistantHTTP.async_register_static_paths

    async def record(self: HomeAssistantHTTP, configs: list[StaticPathConfig]) -> None:
        registered.append(configs)
        await original(self, configs)

    async with SimulatedPhone.start(
        "GXP1165", password=PASSWORD, mac="00:0b:82:65:43:21"
    ) as other:
        second = MockConfigEntry(
            domain=DOMAIN,
            title="Grandstream GXP1165",
            unique_id="00:0b:82:65:43:21",
            data={
                CONF_HOST: other.host,
                CONF_PORT: other.port,
                CONF_PASSWORD: PASSWORD,
                CONF_SSL: False,
                CONF_VERIFY_SSL: False,
                CONF_MODEL: "GXP1165",
            },
        )
        with patch.object(HomeAssistantHTTP, "async_register_static_paths", record):
            for entry in (mock_config_entry, second):
                entry.add_to_hass(hass)
                assert await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
            # A reload sets the entry up again, not the integration.
            assert await hass.config_entries.async_reload(second.entry_id)
            await hass.async_block_till_done()
        ours = [c for configs in registered for c in configs if c.url_path == CARD_URL]
        assert len(ours) == 1
        assert ours[0].path == str(CARD_FILE)
        assert ours[0].cache_headers is True
        assert len(_card_urls(hass)) == 1
        for entry in (mock_config_entry, second):
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def test_card_url_changes_with_version_and_file(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The frontend caches the file for 31 days: the URL names version and content."""
    version = json.loads(ROOT_MANIFEST.read_text())["version"]
    digest = hashlib.sha256(CARD_FILE.read_bytes()).hexdigest()[:8]
    assert _card_urls(hass) == [f"{CARD_URL}?v={version}-{digest}"]


async def test_card_file_is_served(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The URL the dashboards load answers with the card's script."""
    client = await hass_client()
    (url,) = _card_urls(hass)
    response = await client.get(url)
    assert response.status == HTTPStatus.OK
    assert "javascript" in response.headers["Content-Type"]
    assert "max-age" in response.headers.get("Cache-Control", "")
    body = await response.text()
    assert 'const CARD = "grandstream-phone-card"' in body
    assert "registry.define(CARD" in body
    assert "window.customCards.push" in body
    assert "window.customCardFeatures.push" in body


async def test_card_loads_without_a_phone(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """A fresh install (no phone yet) already serves the card, so YAML dashboards load."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    (url,) = _card_urls(hass)
    client = await hass_client()
    response = await client.get(url)
    assert response.status == HTTPStatus.OK
