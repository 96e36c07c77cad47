"""A GXP116x that answers only `api-send_key`: added, driven by key recipes, unchecked.

The simulated "GXP1165-KEYS" answers HTTP 404 to every other CTI endpoint [INF]
(call-control.md §0.8, cti-api.md §10 item 7).
"""

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.grandstream_gxp.const import (
    CONF_AUTO_ATTENDED_TRANSFER,
    CONF_KEYS_ONLY,
    CONF_SWAP_METHOD,
)
from gxp_simulator import SimulatedPhone

from .common import call, device_id_of, keys_sent

LINE_STATUS = "api-get_line_status"


@pytest.fixture
def phone_model() -> str:
    """Return the keys-only GXP1165."""
    return "GXP1165-KEYS"


@pytest.fixture
def phone_timing() -> str:
    """Keys play after the reply, as on the realistic phone."""
    return "realistic"


@pytest.fixture
def phone(hass: HomeAssistant, init_integration: MockConfigEntry) -> str:
    """Return the keys-only phone's device id."""
    return device_id_of(hass, init_integration)


async def connected_call(sim: SimulatedPhone, hass: HomeAssistant, phone: str) -> None:
    """Let Alice call and answer through the action (OFFHOOK)."""
    sim.phone.incoming_call("1001", "Alice")
    response = await call(hass, "answer", phone)
    assert response == {"lines": [], "verified": False}
    await sim.phone.wait_for_lines("connected")
    sim.phone.requests.clear()


async def test_setup_has_no_line_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
) -> None:
    """Buttons and "State checks" (off); no line, status, ringing, event or reboot."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.data[CONF_KEYS_ONLY] is True
    entities = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    keys = sorted(
        entity.unique_id.removeprefix(f"{init_integration.unique_id}_")
        for entity in entities
    )
    assert keys == [
        "answer",
        "complete_transfer",
        "hang_up",
        "hold",
        "resume",
        "state_checks",
    ]
    checks = next(e for e in entities if e.unique_id.endswith("_state_checks"))
    assert checks.entity_category is EntityCategory.DIAGNOSTIC
    state = hass.states.get(checks.entity_id)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.name == "Grandstream GXP1165-KEYS State checks"


async def test_no_polling_after_setup(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """Setup asks the line status once (404); nothing is polled afterwards."""
    assert sim.phone.requests.count(LINE_STATUS) == 1
    before = len(sim.phone.requests)
    for minutes in (1, 5, 30):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=minutes))
        await hass.async_block_till_done()
    await init_integration.runtime_data.coordinator.async_refresh()
    assert len(sim.phone.requests) == before
    assert init_integration.runtime_data.coordinator.update_interval is None
    assert init_integration.runtime_data.coordinator.last_update_success


@pytest.mark.parametrize(
    ("entry_options", "action", "data", "keys"),
    [
        ({}, "answer", {}, ["OFFHOOK"]),
        ({}, "hang_up", {}, ["ONHOOK"]),
        ({}, "hold", {}, ["HOLD"]),
        ({}, "resume", {}, ["HOLD"]),
        ({}, "dial", {"number": "1002"}, ["1:0:0:2:SEND"]),
        ({}, "send_dtmf", {"digits": "12#"}, ["1:2:#"]),
        ({}, "transfer", {"number": "1002"}, ["XFER", "1:0:0:2:#"]),
        (
            {},
            "transfer",
            {"number": "1002", "mode": "blind"},
            ["XFER", "1:0:0:2:XFER"],
        ),
        (
            {CONF_AUTO_ATTENDED_TRANSFER: False},
            "transfer",
            {"number": "1002", "mode": "blind"},
            ["XFER", "1:0:0:2:#"],
        ),
        ({CONF_SWAP_METHOD: "hold_key"}, "swap", {}, ["HOLD", "DOWN:HOLD"]),
    ],
)
async def test_action_presses_the_recipe(
    hass: HomeAssistant,
    *,
    sim: SimulatedPhone,
    phone: str,
    action: str,
    data: dict[str, Any],
    keys: list[str],
) -> None:
    """Each action sends its recipe's keys and says nothing was checked."""
    sim.phone.requests.clear()

    response = await call(hass, action, phone, **data)

    expected: dict[str, Any] = {"lines": [], "verified": False}
    if action == "dial":
        expected["method"] = "keys"
    assert response == expected
    assert keys_sent(sim) == keys
    assert sim.phone.requests.count(LINE_STATUS) == 0


async def test_attended_transfer_by_keys_alone(
    hass: HomeAssistant, sim: SimulatedPhone, phone: str
) -> None:
    """The forum recipe on the keys-only phone: XFER, 1002#, then XFER completes."""
    await connected_call(sim, hass, phone)

    await call(hass, "transfer", phone, number="1002")
    await sim.phone.wait_for_lines("onhold", "connected")
    response = await call(hass, "complete_transfer", phone)

    assert response == {"lines": [], "verified": False}
    await sim.phone.wait_for_lines()
    assert keys_sent(sim) == ["XFER", "1:0:0:2:#", "XFER"]
    assert len(sim.phone.transfers) == 1
    assert sim.phone.requests.count(LINE_STATUS) == 0


async def test_hold_key_swap_switches_calls(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With the hold-key method, HOLD then DOWN:HOLD brings the held call back [I]."""
    sim.phone.settings.update(hold_key_navigation=True)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_SWAP_METHOD: "hold_key"}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    phone = device_id_of(hass, mock_config_entry)
    await connected_call(sim, hass, phone)
    await call(hass, "transfer", phone, number="1002")
    await sim.phone.wait_for_lines("onhold", "connected")

    await call(hass, "swap", phone)

    await sim.phone.wait_for_lines("connected", "onhold")
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("entry_options", "action", "data", "reason"),
    [
        ({}, "cancel_transfer", {}, "keys_only_cancel_transfer"),
        ({}, "swap", {}, "keys_only_swap"),
        ({CONF_SWAP_METHOD: "line_key"}, "swap", {}, "keys_only_swap"),
        ({}, "answer", {"line": 1}, "keys_only_line"),
        ({}, "hang_up", {"line": 2}, "keys_only_line"),
        ({}, "complete_transfer", {}, "keys_only_no_transfer"),
        ({}, "dial", {"number": "+4930123"}, "keys_only_click_to_dial"),
        ({}, "dial", {"number": "1002", "account": 1}, "keys_only_click_to_dial"),
        ({CONF_AUTO_ATTENDED_TRANSFER: False}, "transfer", {}, "auto_attended_off"),
        ({}, "probe", {"confirm": True}, "probe_keys_only"),
    ],
)
async def test_refused_without_a_key(
    hass: HomeAssistant,
    *,
    sim: SimulatedPhone,
    phone: str,
    action: str,
    data: dict[str, Any],
    reason: str,
) -> None:
    """What needs a line state to be safe is refused, and no key is pressed."""
    if action == "transfer":
        data = {"number": "1002"}
    sim.phone.requests.clear()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, phone, **data)

    assert err.value.translation_key == reason
    assert keys_sent(sim) == []


async def test_diagnostics_say_keys_only(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
) -> None:
    """The diagnostics show keys_only, in the phone facts and the entry."""
    diagnostics: Any = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics["phone"]["keys_only"] is True
    assert diagnostics["entry"]["data"][CONF_KEYS_ONLY] is True
    assert diagnostics["data"]["lines"] == []
    assert diagnostics["coordinator"]["update_interval"] is None
