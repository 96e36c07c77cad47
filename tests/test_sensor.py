"""Line and phone-status sensors, against the simulated phone."""

from collections.abc import Iterator
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.grandstream_gxp.coordinator import GxpConfigEntry
from gxp_simulator import SimulatedPhone
from gxp_simulator.state import Line

from .common import refresh

pytestmark = pytest.mark.usefixtures("init_integration")


@pytest.fixture(autouse=True)
def only_sensors() -> Iterator[None]:
    """Load the sensor platform alone."""
    with patch("custom_components.grandstream_gxp.PLATFORMS", [Platform.SENSOR]):
        yield


def sensor(phone_model: str, key: str) -> str:
    """Return the entity id of a sensor of the simulated phone."""
    return f"sensor.grandstream_{phone_model.lower()}_{key}"


@pytest.mark.freeze_time("2026-05-04 09:30:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])
async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    sim: SimulatedPhone,
) -> None:
    """One sensor per line the phone reports, the phone status and missed calls."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)

    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    assert len(entries) == len(sim.phone.state.lines) + 2
    device_ids = {entry.device_id for entry in entries}
    assert len(device_ids) == 1
    device = dr.async_get(hass).async_get(device_ids.pop() or "")
    assert isinstance(device, dr.DeviceEntry)
    assert device.model == sim.phone.profile.key


@pytest.mark.parametrize(
    "phone_model",
    [
        "GXP1165",
        "GXP2170",
    ],
)
async def test_ringing_call(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    phone_model: str,
) -> None:
    """An incoming call shows on line 1 with the caller; the phone is ringing."""
    sim.phone.incoming_call("1002", "Bob")
    await refresh(hass, init_integration)

    line_1 = hass.states.get(sensor(phone_model, "line_1"))
    assert line_1 is not None
    assert line_1.state == "ringing"
    assert line_1.attributes["remote_number"] == "1002"
    assert line_1.attributes["remote_name"] == "Bob"
    assert line_1.attributes["account"] == 1
    assert "raw_state" not in line_1.attributes
    status = hass.states.get(sensor(phone_model, "phone_status"))
    assert status is not None
    assert status.state == "ringing"

    # Picked up at the desk: connected, and the phone is busy.
    assert sim.phone.phone_operation("acceptcall")
    await refresh(hass, init_integration)

    line_1 = hass.states.get(sensor(phone_model, "line_1"))
    assert line_1 is not None
    assert line_1.state == "connected"
    status = hass.states.get(sensor(phone_model, "phone_status"))
    assert status is not None
    assert status.state == "busy"

    # The caller hangs up: idle again, nobody on the line.
    assert sim.phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    line_1 = hass.states.get(sensor(phone_model, "line_1"))
    assert line_1 is not None
    assert line_1.state == "idle"
    assert line_1.attributes["remote_number"] is None
    assert line_1.attributes["account"] is None
    status = hass.states.get(sensor(phone_model, "phone_status"))
    assert status is not None
    assert status.state == "available"


async def test_unknown_state_is_kept_raw_and_logged_once(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A state the phone invents: unknown, the string in `raw_state`, one debug log."""
    caplog.set_level(logging.DEBUG, logger="custom_components.grandstream_gxp")
    line: Any = sim.phone.line(1)
    line.state = "conferencing"

    await refresh(hass, init_integration)
    await refresh(hass, init_integration)

    state = hass.states.get(sensor("GXP2170", "line_1"))
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["raw_state"] == "conferencing"
    assert caplog.text.count("'conferencing'") == 1

    line.state = "paging"
    await refresh(hass, init_integration)

    state = hass.states.get(sensor("GXP2170", "line_1"))
    assert state is not None
    assert state.attributes["raw_state"] == "paging"
    assert caplog.text.count("'paging'") == 1

    line.clear()
    await refresh(hass, init_integration)

    state = hass.states.get(sensor("GXP2170", "line_1"))
    assert state is not None
    assert state.state == "idle"
    assert "raw_state" not in state.attributes


async def test_phone_unreachable_makes_sensors_unavailable(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """A failed read makes every sensor unavailable until the phone answers again."""
    await sim.stop_listening()
    await refresh(hass, init_integration)

    for key in ("line_1", "phone_status"):
        state = hass.states.get(sensor("GXP2170", key))
        assert state is not None
        assert state.state == STATE_UNAVAILABLE

    await sim.start_listening()
    await refresh(hass, init_integration)

    state = hass.states.get(sensor("GXP2170", "line_1"))
    assert state is not None
    assert state.state == "idle"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_lines_the_phone_adds_or_drops(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """A line reported later gets its sensor; a line no longer reported is unavailable."""
    lines = sim.phone.state.lines
    assert hass.states.get(sensor("GXP2170", "line_13")) is None

    lines.append(Line(number=13))
    await refresh(hass, init_integration)

    state = hass.states.get(sensor("GXP2170", "line_13"))
    assert state is not None
    assert state.state == "idle"

    lines.pop()
    await refresh(hass, init_integration)

    state = hass.states.get(sensor("GXP2170", "line_13"))
    assert state is not None
    assert state.state == STATE_UNAVAILABLE


@pytest.mark.parametrize(
    "phone_settings",
    [{"accounts": [{"sip_id": "1001", "registered": False}, {}]}],
)
async def test_no_registered_account_is_unavailable(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """An idle phone without a registered account is `unavailable` [VENDOR-CODE N1]."""
    status = hass.states.get(sensor("GXP2170", "phone_status"))
    assert status is not None
    assert status.state == "unavailable"
    assert "unavailable" in status.attributes["options"]

    # A call still counts: the phone is busy, whatever its registration.
    sim.phone.incoming_call("1002", "Bob")
    assert sim.phone.phone_operation("acceptcall")
    await refresh(hass, init_integration)
    status = hass.states.get(sensor("GXP2170", "phone_status"))
    assert status is not None
    assert status.state == "busy"


async def test_only_the_first_two_line_sensors_are_enabled_by_default(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    entity_registry: er.EntityRegistry,
    sim: SimulatedPhone,
) -> None:
    """A phone with many call appearances does not flood the device page."""
    assert len(sim.phone.state.lines) == 12
    for number in range(1, 13):
        entry = entity_registry.async_get(sensor("GXP2170", f"line_{number}"))
        assert entry is not None
        expected = None if number <= 2 else er.RegistryEntryDisabler.INTEGRATION
        assert entry.disabled_by is expected, number
    assert hass.states.get(sensor("GXP2170", "line_2")) is not None
    assert hass.states.get(sensor("GXP2170", "line_3")) is None
