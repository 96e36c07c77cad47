"""Setting up, unloading and failing to set up a phone."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from gxp_simulator import SimulatedPhone


def state_of(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigEntryState:
    """Return the entry's state as Home Assistant has it now."""
    current = hass.config_entries.async_get_entry(entry.entry_id)
    assert current is not None
    return current.state


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """The entry loads against the phone and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert sim.phone.requests.for_endpoint("api-get_line_status")

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, init_integration) is ConfigEntryState.NOT_LOADED


async def test_phone_down_at_setup_retries(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """An unreachable phone makes the entry retry later."""
    await sim.stop_listening()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.parametrize("phone_settings", [{"popup": True}])
async def test_wrong_password_at_setup_starts_reauth(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """A rejected password is not retried: the entry asks the user instead."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert len(sim.phone.requests.for_endpoint("api-get_line_status")) == 1
