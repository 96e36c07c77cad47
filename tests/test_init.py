"""Setting up, unloading and failing to set up a phone."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.grandstream_gxp import firmware
from custom_components.grandstream_gxp.const import CONF_FIRMWARE, DOMAIN
from custom_components.grandstream_gxp.issues import VULNERABLE_FIRMWARE, entry_issue_id
from gxp_simulator import SimulatedPhone

from .common import refresh


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


def phone_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the entry's one device."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1
    return devices[0]


@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_stored_firmware_when_the_header_names_none(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """The GXP1165's header has no version: the one the flow's login found is shown."""
    assert sim.phone.profile.server_header == "Grandstream GXP1165"
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_FIRMWARE: "1.0.8.9"}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert phone_device(hass, mock_config_entry).sw_version == "1.0.8.9"
    assert mock_config_entry.runtime_data.firmware == "1.0.8.9"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_header_version_wins_and_is_stored(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """A header that names a version replaces the stored one (the phone was upgraded)."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_FIRMWARE: "1.0.9.1"}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert phone_device(hass, mock_config_entry).sw_version == "1.0.11.16"
    assert mock_config_entry.data[CONF_FIRMWARE] == "1.0.11.16"

    # Upgraded while running: the next read notices, and stores it too.
    sim.phone.profile = sim.phone.profile.with_changes(
        server_header="Grandstream GXP2170 1.0.11.79"
    )
    await refresh(hass, mock_config_entry)
    assert phone_device(hass, mock_config_entry).sw_version == "1.0.11.79"
    assert mock_config_entry.data[CONF_FIRMWARE] == "1.0.11.79"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_vulnerable_firmware_issue_until_updated(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """GXP16xx before 1.0.7.81 (CVE-2026-2329 [N5]): an issue naming the update."""
    sim.phone.profile = sim.phone.profile.with_changes(
        server_header="Grandstream GXP1628 1.0.7.64"
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, VULNERABLE_FIRMWARE)
    )
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "vulnerable_firmware"
    placeholders = {
        "name": mock_config_entry.title,
        "model": "GXP1628",
        "firmware": "1.0.7.64",
        "fixed": "1.0.7.81",
        "cve": "CVE-2026-2329",
    }
    assert issue.translation_placeholders == placeholders

    # 1.0.7.9 is older than 1.0.7.81 when compared as numbers, not as text.
    sim.phone.profile = sim.phone.profile.with_changes(
        server_header="Grandstream GXP1628 1.0.7.9"
    )
    await refresh(hass, mock_config_entry)
    issue = issues.async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, VULNERABLE_FIRMWARE)
    )
    assert issue is not None
    assert issue.translation_placeholders == {**placeholders, "firmware": "1.0.7.9"}

    sim.phone.profile = sim.phone.profile.with_changes(
        server_header="Grandstream GXP1628 1.0.7.81"
    )
    await refresh(hass, mock_config_entry)
    assert not issues.async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, VULNERABLE_FIRMWARE)
    )

    # Removing the entry removes an issue it still had.
    sim.phone.profile = sim.phone.profile.with_changes(
        server_header="Grandstream GXP1628 1.0.4.10"
    )
    await refresh(hass, mock_config_entry)
    assert issues.async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, VULNERABLE_FIRMWARE)
    )
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert not issues.async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, VULNERABLE_FIRMWARE)
    )


@pytest.mark.parametrize(
    ("model", "version", "vulnerable"),
    [
        ("GXP1628", "1.0.7.80", True),
        ("GXP1610", "1.0.4.138", True),
        ("gxp1625", "1.0.7.9", True),
        ("GXP1628", "1.0.7.81", False),
        ("GXP1628", "1.0.10.2", False),
        ("GXP1628", "1.1", False),
        ("GXP2170", "1.0.7.64", False),
        ("GXP1165", "1.0.7.64", False),
        ("GXP1628", None, False),
        ("GXP1628", "beta", False),
        (None, "1.0.7.64", False),
    ],
)
def test_advisory_compares_numerically(
    model: str | None, version: str | None, vulnerable: bool
) -> None:
    """Versions compare part by part as numbers; unknown versions raise nothing."""
    assert (firmware.advisory_for(model, version) is not None) is vulnerable
