"""Call-control and reboot buttons, pressed against the simulated phone."""

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.grandstream_gxp.const import DOMAIN
from gxp_simulator import SimulatedPhone

from .common import device_id_of

pytestmark = pytest.mark.usefixtures("init_integration")

MODELS = pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])


@pytest.fixture(autouse=True)
def only_buttons() -> Iterator[None]:
    """Load the button platform alone."""
    with patch("custom_components.grandstream_gxp.PLATFORMS", [Platform.BUTTON]):
        yield


async def press(hass: HomeAssistant, phone_model: str, name: str) -> None:
    """Press a button of the simulated phone, as the UI or an automation does."""
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: f"button.grandstream_{phone_model.lower()}_{name}"},
        blocking=True,
    )


def operations(sim: SimulatedPhone) -> list[str]:
    """Return the `cmd` of every api-phone_operation the phone received."""
    return [
        r.query["cmd"] for r in sim.phone.requests.for_endpoint("api-phone_operation")
    ]


def keys(sim: SimulatedPhone) -> list[str]:
    """Return the `keys` of every api-send_key the phone received."""
    return [r.query["keys"] for r in sim.phone.requests.for_endpoint("api-send_key")]


@pytest.mark.freeze_time("2026-05-04 09:30:00+00:00")
@MODELS
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Six call-control buttons and the reboot button, on one device."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_reboot_is_a_disabled_config_button(
    entity_registry: er.EntityRegistry,
) -> None:
    """Reboot is there, but only for those who enable it."""
    entry = entity_registry.async_get("button.grandstream_gxp2170_reboot")
    assert entry is not None
    assert entry.entity_category is EntityCategory.CONFIG
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@MODELS
async def test_answer_hold_resume_hang_up(
    hass: HomeAssistant, sim: SimulatedPhone, phone_model: str
) -> None:
    """A ringing call answered, held, resumed and ended with the buttons."""
    phone = sim.phone
    phone.incoming_call("1002", "Bob")
    phone.requests.clear()

    await press(hass, phone_model, "answer")
    assert phone.line_states()[0] == "connected"
    assert operations(sim) == ["acceptcall"]

    await press(hass, phone_model, "hold")
    assert phone.line_states()[0] == "onhold"
    assert operations(sim)[-1] == "holdcall"

    await press(hass, phone_model, "resume")
    assert phone.line_states()[0] == "connected"
    assert keys(sim)[-1] == ("HOLD" if phone_model == "GXP1165" else "LINE1")

    await press(hass, phone_model, "hang_up")
    assert set(phone.line_states()) == {"idle"}
    assert operations(sim)[-1] == "endcall"


async def two_calls(hass: HomeAssistant, sim: SimulatedPhone, phone_model: str) -> None:
    """Answer a call, then a second one: the first goes on hold."""
    phone = sim.phone
    phone.incoming_call("1002", "Bob")
    await press(hass, phone_model, "answer")
    phone.incoming_call("1003", "Carol")
    await press(hass, phone_model, "answer")
    assert phone.line_states()[:2] == ["onhold", "connected"]


@pytest.mark.parametrize(
    ("phone_model", "phone_settings"),
    [
        ("GXP2170", {}),
        # Phones without line keys: the two ways the GXP1165 may take (call-control 6.4).
        ("GXP1165", {"line_keys_select_calls": True}),
        ("GXP1165", {"hold_key_navigation": True}),
    ],
    ids=["GXP2170", "GXP1165-line-keys", "GXP1165-hold-key"],
)
async def test_swap_between_two_calls(
    hass: HomeAssistant, sim: SimulatedPhone, phone_model: str
) -> None:
    """Answering a waiting call holds the first; swap switches between them."""
    phone = sim.phone
    await two_calls(hass, sim, phone_model)

    await press(hass, phone_model, "swap_calls")
    assert phone.line_states()[:2] == ["connected", "onhold"]
    assert phone.line(1).remote_number == "1002"

    await press(hass, phone_model, "swap_calls")
    assert phone.line_states()[:2] == ["onhold", "connected"]
    assert "XFER" not in keys(sim)  # swapping never transfers


@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_swap_that_the_phone_cannot_do(
    hass: HomeAssistant, sim: SimulatedPhone
) -> None:
    """No swap method works: refused with the reason, both calls where they were."""
    await two_calls(hass, sim, "GXP1165")

    with pytest.raises(ServiceValidationError) as caught:
        await press(hass, "GXP1165", "swap_calls")

    assert caught.value.translation_key == "swap_unsupported"
    assert sim.phone.line_states() == ["onhold", "connected"]


@MODELS
async def test_complete_transfer(
    hass: HomeAssistant, sim: SimulatedPhone, phone_model: str
) -> None:
    """The caller on hold and the consultation call are joined with XFER."""
    await consultation(hass, sim, phone_model)

    await press(hass, phone_model, "complete_transfer")

    assert set(sim.phone.line_states()) == {"idle"}
    assert keys(sim) == ["XFER"]
    assert [(t.kind, t.target) for t in sim.phone.transfers] == [("attended", "1002")]


@MODELS
async def test_cancel_transfer(
    hass: HomeAssistant, sim: SimulatedPhone, phone_model: str
) -> None:
    """The consultation call ends and the caller is taken off hold."""
    await consultation(hass, sim, phone_model)

    await press(hass, phone_model, "cancel_transfer")

    assert sim.phone.line_states()[:2] == ["connected", "idle"]
    assert sim.phone.line(1).remote_number == "1001"
    assert "XFER" not in keys(sim)
    assert sim.phone.transfers == []


async def consultation(
    hass: HomeAssistant, sim: SimulatedPhone, phone_model: str
) -> None:
    """Answer Alice and start an attended transfer to 1002 through the action."""
    phone = sim.phone
    phone.incoming_call("1001", "Alice")
    await press(hass, phone_model, "answer")
    await hass.services.async_call(
        DOMAIN,
        "transfer",
        {ATTR_DEVICE_ID: device_id_of(hass, init_entry(hass)), "number": "1002"},
        blocking=True,
        return_response=True,
    )
    await phone.wait_for_lines("onhold", "connected")
    phone.requests.clear()


def init_entry(hass: HomeAssistant) -> ConfigEntry[Any]:
    """Return the one entry of the integration."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    return entry


@pytest.mark.parametrize(
    ("button", "reason"),
    [
        ("answer", "no_ringing_call"),
        ("hang_up", "no_call"),
        ("hold", "no_connected_call"),
        ("resume", "no_held_call"),
        ("swap_calls", "two_calls_needed"),
        ("complete_transfer", "no_transfer_in_progress"),
        ("cancel_transfer", "no_transfer_in_progress"),
    ],
)
async def test_wrong_call_state(
    hass: HomeAssistant, sim: SimulatedPhone, button: str, reason: str
) -> None:
    """On an idle phone every call button refuses, says why, and sends nothing."""
    sim.phone.requests.clear()

    with pytest.raises(ServiceValidationError) as caught:
        await press(hass, "GXP2170", button)

    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == reason
    assert caught.value.translation_placeholders == {"found": "all lines idle"}
    assert operations(sim) == []
    assert keys(sim) == []


@pytest.mark.parametrize("phone_settings", [{"reboot_time": 0.05}])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_reboot(hass: HomeAssistant, sim: SimulatedPhone) -> None:
    """Reboot asks api-sys_operation for REBOOT, and the phone restarts."""
    await press(hass, "GXP2170", "reboot")

    request = sim.phone.requests.last("api-sys_operation")
    assert request is not None
    assert request.query["request"] == "REBOOT"
    await sim.phone.wait_for(lambda phone: phone.reboots == 1)


async def test_phone_unreachable(hass: HomeAssistant, sim: SimulatedPhone) -> None:
    """A phone that cannot be reached is the phone's problem, not the user's input."""
    await sim.stop_listening()

    with pytest.raises(HomeAssistantError) as caught:
        await press(hass, "GXP2170", "hold")

    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "cannot_connect"
