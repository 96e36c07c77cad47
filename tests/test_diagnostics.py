"""Diagnostics of a phone: useful facts, no password, no callers."""

import json
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID, CONF_PASSWORD, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.grandstream_gxp import key_table
from custom_components.grandstream_gxp.const import DOMAIN
from custom_components.grandstream_gxp.coordinator import GxpConfigEntry
from gxp_simulator import SimulatedPhone

from .conftest import MAC, PASSWORD

pytestmark = pytest.mark.usefixtures("init_integration")

CALLER_NUMBER = "+15555550123"
CALLER_NAME = "Alice Example"
WEBHOOK_ID = "0123456789abcdef" * 4
REDACTED = "**REDACTED**"


@pytest.fixture
def mock_config_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Give the entry a known webhook id, so that the Action URLs are the same every run."""
    data: dict[str, Any] = {**mock_config_entry.data, CONF_WEBHOOK_ID: WEBHOOK_ID}
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=data,
        minor_version=2,
    )


@pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])
async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    snapshot: SnapshotAssertion,
) -> None:
    """A ringing call: its state is in the dump, the caller and the secrets are not."""
    sim.phone.incoming_call(CALLER_NUMBER, CALLER_NAME)
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    # The simulator listens on a free port, different in every run.
    assert diagnostics == snapshot(exclude=props("port"))
    dump = json.dumps(diagnostics)
    for secret in (
        PASSWORD,
        CALLER_NUMBER,
        CALLER_NAME,
        MAC,
        "Desk 1001",
        "pbx.example",
        WEBHOOK_ID,
    ):
        assert secret not in dump
    data = diagnostics["data"]
    assert isinstance(data, dict)
    assert data["phone_status"] == "ringing"
    # The webhook id is redacted in the entry data and in the URLs, which keep
    # the address and the query to check.
    entry: Any = diagnostics["entry"]
    assert entry["data"][CONF_WEBHOOK_ID] == REDACTED
    push: Any = diagnostics["push"]
    assert push["action_urls"][0]["pvalue"] == "P8310"
    assert push["action_urls"][0]["url"].endswith(
        f"/api/webhook/{REDACTED}?e=incoming&m=$mac"
    )


@pytest.mark.parametrize(
    ("phone_model", "phone_settings"),
    [("GXP1165", {"key_spellings": {"XFER": "TRANSFER"}, "missing_keys": ["CONF"]})],
)
async def test_diagnostics_after_a_key_probe(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    snapshot: SnapshotAssertion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The probe's findings and the phone's answers are there to report; in use too."""
    monkeypatch.setattr(key_table, "PROBE_SETTLE", 0)
    device = dr.async_entries_for_config_entry(
        dr.async_get(hass), init_integration.entry_id
    )[0]
    await hass.services.async_call(
        DOMAIN, "probe", {ATTR_DEVICE_ID: device.id, "confirm": True}, blocking=True
    )

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics == snapshot(exclude=props("port", "probed_at"))
    keys: Any = diagnostics["keys"]
    assert keys["probe"]["keys"]["XFER"] == "TRANSFER"
    assert keys["probe"]["keys"]["CONF"] is None
    assert keys["probe"]["answers"]["CONF"] == {
        "CONF": "unknown",
        "CONFERENCE": "unknown",
    }
    assert keys["probe_in_use"] == keys["probe"]["keys"]
    entry: Any = diagnostics["entry"]
    assert "probed_keys" not in entry["data"]
    assert PASSWORD not in json.dumps(diagnostics)


async def test_diagnostics_of_an_entry_that_is_not_loaded(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
) -> None:
    """Reloading or waiting to retry: the entry alone, still without the password."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    entry: Any = diagnostics["entry"]
    assert entry["state"] == "not_loaded"
    assert entry["unique_id"] == REDACTED
    assert entry["data"][CONF_PASSWORD] == REDACTED
    assert PASSWORD not in json.dumps(diagnostics)
