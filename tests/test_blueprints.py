"""The automation blueprints load in Home Assistant and do what they say with a phone."""

import asyncio
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.blueprint import models, schemas
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from gxp_simulator import SimulatedPhone

BLUEPRINTS = (
    Path(__file__).parent.parent / "blueprints" / "automation" / "grandstream_gxp"
)
PHONE = "grandstream_gxp2170"


@pytest.mark.parametrize(
    "path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda p: p.stem
)
def test_blueprint_is_valid(path: Path) -> None:
    """Each file passes Home Assistant's blueprint schema for automations."""
    blueprint = models.Blueprint(
        load_yaml_dict(path),
        expected_domain="automation",
        schema=schemas.BLUEPRINT_SCHEMA,
    )
    assert blueprint.name
    assert blueprint.inputs


@pytest.fixture
async def blueprints_installed(hass: HomeAssistant) -> None:
    """Copy the blueprints where Home Assistant looks for them."""
    target = Path(hass.config.path("blueprints", "automation", "grandstream_gxp"))
    await hass.async_add_executor_job(
        lambda: shutil.copytree(BLUEPRINTS, target, dirs_exist_ok=True)
    )


async def setup_missed_call_blueprint(
    hass: HomeAssistant, **extra: Any
) -> list[ServiceCall]:
    """Set up the missed-call blueprint for the phone; return the notifications sent."""
    sent = async_mock_service(hass, "notify", "desk")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "grandstream_gxp/notify_missed_call.yaml",
                    "input": {
                        "call_event": f"event.{PHONE}_call",
                        "notify_action": "notify.desk",
                        **extra,
                    },
                }
            }
        },
    )
    return sent


@pytest.mark.usefixtures("blueprints_installed")
async def test_missed_call_notification(
    hass: HomeAssistant, init_integration: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """A call that rings and is given up sends one notification naming the caller."""
    sent = await setup_missed_call_blueprint(hass)
    coordinator = init_integration.runtime_data.coordinator

    sim.phone.incoming_call("5550100", "Carol")
    await coordinator.async_refresh()
    sim.phone.far_end_hangup(1)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert len(sent) == 1
    assert sent[0].data["message"] == "Missed call from Carol (5550100)."


@pytest.mark.usefixtures("blueprints_installed")
async def test_answered_call_sends_no_notification(
    hass: HomeAssistant, init_integration: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """Only `missed` triggers the blueprint; an answered call ends without a word."""
    sent = await setup_missed_call_blueprint(hass)
    coordinator = init_integration.runtime_data.coordinator

    sim.phone.incoming_call("5550100", "Carol")
    await coordinator.async_refresh()
    await init_integration.runtime_data.controller.answer()
    await coordinator.async_refresh()
    sim.phone.far_end_hangup(1)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert sent == []


@pytest.mark.usefixtures("blueprints_installed")
@pytest.mark.parametrize("number", ["5550100", "+4930123"])
async def test_call_back_from_the_notification(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
    number: str,
) -> None:
    """The notification's Call back button dials the caller from the same phone."""
    sent = await setup_missed_call_blueprint(hass)
    coordinator = init_integration.runtime_data.coordinator
    sim.phone.incoming_call(number, "Carol")
    await coordinator.async_refresh()
    sim.phone.far_end_hangup(1)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    [button] = sent[0].data["data"]["actions"]
    assert button == {
        "action": f"GRANDSTREAM_GXP_CALL_BACK_{device_id}_{number}",
        "title": "Call back",
    }

    # Another phone's button (another copy of the blueprint) is not ours.
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": "GRANDSTREAM_GXP_CALL_BACK_otherphone_1234"},
    )
    await hass.async_block_till_done()
    assert sim.phone.requests.for_endpoint("api-make_call") == []

    hass.bus.async_fire("mobile_app_notification_action", {"action": button["action"]})
    await hass.async_block_till_done()

    [request] = sim.phone.requests.for_endpoint("api-make_call")
    assert request.query["phonenumber"] == number
    assert sim.phone.line(1).remote_number == number


@pytest.mark.usefixtures("blueprints_installed")
async def test_call_back_button_can_be_left_out(
    hass: HomeAssistant, init_integration: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """Without the button (a notifier that is not the Companion app) no actions."""
    sent = await setup_missed_call_blueprint(hass, call_back=False)
    coordinator = init_integration.runtime_data.coordinator
    sim.phone.incoming_call("5550100", "Carol")
    await coordinator.async_refresh()
    sim.phone.far_end_hangup(1)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert sent[0].data["data"]["actions"] == []


class Recorder:
    """A service that records its calls and lets a test await the next one."""

    def __init__(self, hass: HomeAssistant, domain: str, service: str) -> None:
        """Register `domain.service`."""
        self.calls: list[ServiceCall] = []
        self._called = asyncio.Event()
        hass.services.async_register(domain, service, self._handle)

    async def _handle(self, call: ServiceCall) -> None:
        self.calls.append(call)
        self._called.set()

    async def next_call(self) -> ServiceCall:
        """Wait for the next call (the automation keeps running, so no block_till_done)."""
        async with asyncio.timeout(5):
            await self._called.wait()
        self._called.clear()
        return self.calls[-1]


@pytest.mark.usefixtures("blueprints_installed")
async def test_media_paused_while_ringing_and_resumed_after(
    hass: HomeAssistant, init_integration: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """Players pause on ringing, stay paused through the call, play when it ends."""
    hass.states.async_set("media_player.kitchen", "playing")
    hass.states.async_set("media_player.garage", "paused")
    paused = Recorder(hass, "media_player", "media_pause")
    played = Recorder(hass, "media_player", "media_play")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "grandstream_gxp/pause_media_during_calls.yaml",
                    "input": {
                        "phone_busy": [
                            f"binary_sensor.{PHONE}_ringing",
                            f"binary_sensor.{PHONE}_in_call",
                        ],
                        "media_players": [
                            "media_player.kitchen",
                            "media_player.garage",
                        ],
                    },
                }
            }
        },
    )
    coordinator = init_integration.runtime_data.coordinator

    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    assert (await paused.next_call()).data["entity_id"] == ["media_player.kitchen"]
    assert played.calls == []

    # Picked up: ringing goes off, in call goes on; the players stay paused.
    await init_integration.runtime_data.controller.answer()
    await coordinator.async_refresh()
    in_call = hass.states.get(f"binary_sensor.{PHONE}_in_call")
    assert in_call is not None
    assert in_call.state == "on"
    assert played.calls == []

    sim.phone.far_end_hangup(1)
    await coordinator.async_refresh()
    assert (await played.next_call()).data["entity_id"] == ["media_player.kitchen"]
    await hass.async_block_till_done()
    assert len(paused.calls) == 1


@pytest.mark.usefixtures("blueprints_installed")
async def test_caller_is_announced(
    hass: HomeAssistant, init_integration: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """An incoming call speaks the caller's name on the chosen player."""
    spoken = async_mock_service(hass, "tts", "speak")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "grandstream_gxp/announce_caller.yaml",
                    "input": {
                        "call_event": f"event.{PHONE}_call",
                        "tts_engine": "tts.home",
                        "media_player": "media_player.kitchen",
                    },
                }
            }
        },
    )

    sim.phone.incoming_call("1001", "Alice")
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert len(spoken) == 1
    assert spoken[0].data["message"].strip() == "Call from Alice."
    assert spoken[0].data["media_player_entity_id"] == "media_player.kitchen"
