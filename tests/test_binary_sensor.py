"""Ringing, in-call and account registration binary sensors, against the simulated phone."""

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    EntityCategory,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.grandstream_gxp.const import ACCOUNTS_INTERVAL
from custom_components.grandstream_gxp.coordinator import GxpConfigEntry
from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd
from gxp_simulator.settings import AccountConfig

from .common import refresh

pytestmark = pytest.mark.usefixtures("init_integration")


@pytest.fixture(autouse=True)
def only_binary_sensors() -> Iterator[None]:
    """Load the binary sensor platform alone."""
    with patch("custom_components.grandstream_gxp.PLATFORMS", [Platform.BINARY_SENSOR]):
        yield


def binary_sensor(key: str, phone_model: str = "GXP2170") -> str:
    """Return the entity id of a binary sensor of the simulated phone."""
    return f"binary_sensor.grandstream_{phone_model.lower()}_{key}"


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state string of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


@pytest.mark.freeze_time("2026-05-04 09:30:00+00:00")
@pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Ringing, in call, and one registration sensor per account, on one device."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)

    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    assert len({entry.device_id for entry in entries}) == 1


@pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])
async def test_ringing_then_in_call(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    phone_model: str,
) -> None:
    """A ringing call is not yet a call; picking it up is."""
    ringing = binary_sensor("ringing", phone_model)
    in_call = binary_sensor("in_call", phone_model)
    assert state_of(hass, ringing) == STATE_OFF
    assert state_of(hass, in_call) == STATE_OFF

    sim.phone.incoming_call("1002", "Bob")
    await refresh(hass, init_integration)

    assert state_of(hass, ringing) == STATE_ON
    assert state_of(hass, in_call) == STATE_OFF

    assert sim.phone.phone_operation("acceptcall")
    await refresh(hass, init_integration)

    assert state_of(hass, ringing) == STATE_OFF
    assert state_of(hass, in_call) == STATE_ON

    assert sim.phone.phone_operation("holdcall")
    await sim.phone.wait_for_lines("onhold")
    await refresh(hass, init_integration)

    assert state_of(hass, in_call) == STATE_ON  # a held call is still a call

    assert sim.phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    assert state_of(hass, in_call) == STATE_OFF


async def test_dialing_out_is_in_call(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """Typing a number and calling out count as being in a call."""
    sim.phone.far_ends.default = FarEnd(answer_after=None)
    in_call = binary_sensor("in_call")

    sim.phone.press_keys(["1", "0"])  # digits typed on the phone: dialing
    await sim.phone.wait_for_lines("dialing")
    await refresh(hass, init_integration)
    assert state_of(hass, in_call) == STATE_ON

    sim.phone.press_keys(["0", "3", "SEND"])
    await sim.phone.wait_for_lines("calling")
    await refresh(hass, init_integration)
    assert state_of(hass, in_call) == STATE_ON
    assert state_of(hass, binary_sensor("ringing")) == STATE_OFF


async def test_account_sensors(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Six accounts on a GXP2170: the configured one on, empty slots disabled."""
    first = entity_registry.async_get(binary_sensor("account_1_registered"))
    assert first is not None
    assert first.entity_category is EntityCategory.DIAGNOSTIC
    assert first.original_name == "Account 1 registered"
    assert first.disabled_by is None
    assert state_of(hass, binary_sensor("account_1_registered")) == STATE_ON

    for number in range(2, 7):
        entry = entity_registry.async_get(binary_sensor(f"account_{number}_registered"))
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.parametrize(
    "phone_settings",
    [
        {
            "accounts": [
                {"sip_server": "pbx.example.com", "sip_id": "2001", "registered": False}
            ]
        }
    ],
)
@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_account_registration_follows_the_phone(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An unregistered account is off; it turns on at the next accounts read."""
    entity_id = binary_sensor("account_1_registered", "GXP1165")
    assert state_of(hass, entity_id) == STATE_OFF

    account: Any = sim.phone.settings.accounts[0]
    account.registered = True
    await refresh(hass, init_integration)
    assert state_of(hass, entity_id) == STATE_OFF  # accounts are read every 5 minutes

    freezer.tick(ACCOUNTS_INTERVAL)
    await refresh(hass, init_integration)
    assert state_of(hass, entity_id) == STATE_ON


async def test_accounts_added_and_removed(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An account the phone starts to report gets its sensor; a vanished one goes away."""
    accounts = sim.phone.settings.accounts
    accounts.append(AccountConfig(sip_id="1007", registered=True))
    freezer.tick(ACCOUNTS_INTERVAL)
    await refresh(hass, init_integration)

    assert state_of(hass, binary_sensor("account_7_registered")) == STATE_ON

    accounts.pop()
    freezer.tick(ACCOUNTS_INTERVAL)
    await refresh(hass, init_integration)

    assert state_of(hass, binary_sensor("account_7_registered")) == STATE_UNAVAILABLE
    assert state_of(hass, binary_sensor("account_1_registered")) == STATE_ON
