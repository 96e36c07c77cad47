"""The call history: the phone's last calls, the missed-call count, kept across restarts."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_component import EntityComponent
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.grandstream_gxp import logbook
from custom_components.grandstream_gxp.call_history import EVENT_CALL, MAX_CALLS
from custom_components.grandstream_gxp.const import DOMAIN
from gxp_simulator import SimulatedPhone

from .common import call, refresh

PHONE = "grandstream_gxp2170"
MISSED_CALLS = f"sensor.{PHONE}_missed_calls"
CLEAR_BUTTON = f"button.{PHONE}_clear_missed_calls"
STORAGE_KEY = f"{DOMAIN}.{{}}.calls"


def missed_calls(hass: HomeAssistant) -> tuple[str, list[dict[str, Any]]]:
    """Return the sensor's state and its recent calls."""
    state = hass.states.get(MISSED_CALLS)
    assert state is not None
    return state.state, state.attributes["recent_calls"]


async def history(
    hass: HomeAssistant, device_id: str, **data: Any
) -> list[dict[str, Any]]:
    """Return the calls `get_call_history` responds with."""
    response = await hass.services.async_call(
        DOMAIN,
        "get_call_history",
        {ATTR_DEVICE_ID: device_id, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert set(response) == {"calls"}
    calls: list[dict[str, Any]] = response["calls"]  # type: ignore[assignment]
    return calls


async def missed_call(
    hass: HomeAssistant, entry: MockConfigEntry, sim: SimulatedPhone, number: str
) -> None:
    """Let `number` ring and give up, each step read by a poll."""
    sim.phone.incoming_call(number, f"Caller {number}")
    await refresh(hass, entry)
    sim.phone.far_end_hangup(1)
    await refresh(hass, entry)


async def test_missed_call_is_counted_and_listed(
    hass: HomeAssistant, init_integration: MockConfigEntry, sim: SimulatedPhone
) -> None:
    """A call that rings and is given up counts as missed and is the newest call."""
    assert missed_calls(hass) == ("0", [])

    sim.phone.incoming_call("1001", "Alice")
    await refresh(hass, init_integration)
    sim.phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    count, recent = missed_calls(hass)
    assert count == "1"
    assert len(recent) == 1
    assert recent[0] | {"start": None} == {
        "direction": "incoming",
        "number": "1001",
        "name": "Alice",
        "start": None,
        "duration": 0,
        "outcome": "missed",
    }


async def test_answered_call_lasts_from_answer_to_end(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An answered call is not missed; its duration runs from the answer to the end."""
    sim.phone.incoming_call("1001", "Alice")
    await refresh(hass, init_integration)
    freezer.tick(timedelta(seconds=20))  # ringing time does not count
    await call(hass, "answer", device_id)
    await refresh(hass, init_integration)
    freezer.tick(timedelta(seconds=65))
    sim.phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    count, recent = missed_calls(hass)
    assert count == "0"
    assert [(c["direction"], c["outcome"], c["duration"]) for c in recent] == [
        ("incoming", "answered", 65)
    ]


async def test_call_rejected_from_home_assistant(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """A ringing call hung up through Home Assistant is rejected, not missed."""
    sim.phone.incoming_call("1001", "Alice")
    await refresh(hass, init_integration)

    await call(hass, "hang_up", device_id)
    await refresh(hass, init_integration)

    count, recent = missed_calls(hass)
    assert count == "0"
    assert [(c["number"], c["outcome"]) for c in recent] == [("1001", "rejected")]


async def test_outgoing_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """A dialled call that the far end answers is an answered outgoing call."""
    await call(hass, "dial", device_id, number="1002")
    await refresh(hass, init_integration)
    sim.phone.far_end_answer(1)
    await refresh(hass, init_integration)
    sim.phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    _, recent = missed_calls(hass)
    assert [(c["direction"], c["number"], c["outcome"]) for c in recent] == [
        ("outgoing", "1002", "answered")
    ]


async def test_blind_transfer_is_transferred(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """A call handed over with the transfer action ends as transferred."""
    sim.phone.incoming_call("1001", "Alice")
    await refresh(hass, init_integration)
    await call(hass, "answer", device_id)
    await refresh(hass, init_integration)

    await call(hass, "transfer", device_id, number="1002", mode="blind")
    await refresh(hass, init_integration)

    _, recent = missed_calls(hass)
    assert [(c["number"], c["outcome"]) for c in recent] == [("1001", "transferred")]


async def test_clear_with_the_button_and_the_action(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """Both the button and the action set the count to 0 and keep the calls."""
    await missed_call(hass, init_integration, sim, "1001")
    await missed_call(hass, init_integration, sim, "1002")
    assert missed_calls(hass)[0] == "2"

    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: CLEAR_BUTTON}, blocking=True
    )
    count, recent = missed_calls(hass)
    assert count == "0"
    assert len(recent) == 2

    await missed_call(hass, init_integration, sim, "1003")
    assert missed_calls(hass)[0] == "1"
    await hass.services.async_call(
        DOMAIN, "clear_missed_calls", {ATTR_DEVICE_ID: device_id}, blocking=True
    )
    assert missed_calls(hass)[0] == "0"


async def test_history_works_while_the_phone_is_away(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """The history is Home Assistant's: readable and clearable with the phone down."""
    await missed_call(hass, init_integration, sim, "1001")
    await sim.stop_listening()
    await refresh(hass, init_integration)
    line = hass.states.get(f"sensor.{PHONE}_line_1")
    assert line is not None
    assert line.state == "unavailable"

    assert missed_calls(hass)[0] == "1"
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: CLEAR_BUTTON}, blocking=True
    )
    assert missed_calls(hass)[0] == "0"
    assert len(await history(hass, device_id)) == 1
    await sim.start_listening()


async def test_get_call_history_newest_first_with_limit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """The action returns only data, newest first, at most `limit` calls."""
    for number in ("1001", "1002", "1003"):
        await missed_call(hass, init_integration, sim, number)

    assert [c["number"] for c in await history(hass, device_id)] == [
        "1003",
        "1002",
        "1001",
    ]
    assert [c["number"] for c in await history(hass, device_id, limit=2)] == [
        "1003",
        "1002",
    ]
    with pytest.raises(ServiceValidationError):
        # Response only: a call that wants no data is refused.
        await hass.services.async_call(
            DOMAIN, "get_call_history", {ATTR_DEVICE_ID: device_id}, blocking=True
        )


async def test_history_survives_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    hass_storage: dict[str, Any],
) -> None:
    """Unloading writes the history at once; setting up again reads it back."""
    await missed_call(hass, init_integration, sim, "1001")
    key = STORAGE_KEY.format(init_integration.entry_id)

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    stored = hass_storage[key]["data"]
    assert stored["missed_calls"] == 1
    assert [c["number"] for c in stored["calls"]] == ["1001"]

    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    count, recent = missed_calls(hass)
    assert count == "1"
    assert [c["number"] for c in recent] == ["1001"]


async def test_history_is_kept_short(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sim: SimulatedPhone,
    hass_storage: dict[str, Any],
) -> None:
    """A stored history longer than the limit is cut to the newest calls on load."""
    call_record = {
        "direction": "incoming",
        "number": "1001",
        "name": "",
        "start": "2026-01-01T00:00:00+00:00",
        "duration": 0,
        "outcome": "missed",
    }
    hass_storage[STORAGE_KEY.format(mock_config_entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": STORAGE_KEY.format(mock_config_entry.entry_id),
        "data": {"calls": [call_record] * (MAX_CALLS + 5), "missed_calls": 7},
    }
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    runtime = mock_config_entry.runtime_data
    assert runtime.history.missed_calls == 7
    assert len(runtime.history.calls()) == MAX_CALLS
    assert missed_calls(hass)[0] == "7"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()


async def test_history_is_removed_with_the_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sim: SimulatedPhone,
    hass_storage: dict[str, Any],
) -> None:
    """Removing the entry deletes its stored calls."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await missed_call(hass, mock_config_entry, sim, "1001")
    key = STORAGE_KEY.format(mock_config_entry.entry_id)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert key in hass_storage

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


async def test_recent_calls_are_not_recorded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The recorder keeps the count but not the calls (they are in the storage)."""
    component: EntityComponent[Any] = hass.data[SENSOR_DOMAIN]
    entity = component.get_entity(MISSED_CALLS)
    assert entity is not None
    assert "recent_calls" in entity._unrecorded_attributes
    state = hass.states.get(MISSED_CALLS)
    assert state is not None
    assert "recent_calls" in state.attributes


async def test_finished_call_fires_an_event_the_logbook_describes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """Each finished call fires one event; the logbook says what happened."""
    fired = async_capture_events(hass, EVENT_CALL)
    sim.phone.incoming_call("1001", "Alice")
    await refresh(hass, init_integration)
    sim.phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    assert len(fired) == 1
    assert fired[0].data["device_id"] == device_id
    assert fired[0].data["entity_id"] == f"event.{PHONE}_call"

    described: dict[str, Any] = {}

    def describe_event(domain: str, event_type: str, describe: Any) -> None:
        described[event_type] = (domain, describe)

    logbook.async_describe_events(hass, describe_event)
    domain, describe = described[EVENT_CALL]
    assert domain == DOMAIN
    line = describe(fired[0])
    assert line == {
        "name": "Grandstream GXP2170",
        "message": "Missed call from Alice (1001)",
        "entity_id": f"event.{PHONE}_call",
    }


@pytest.mark.parametrize(
    ("call_data", "message"),
    [
        (
            {"direction": "incoming", "outcome": "answered", "duration": 125},
            "Call from Alice (1001), 2:05",
        ),
        (
            {"direction": "incoming", "outcome": "rejected"},
            "Rejected call from Alice (1001)",
        ),
        (
            {"direction": "outgoing", "outcome": "missed"},
            "Unanswered call to Alice (1001)",
        ),
        (
            {"direction": "outgoing", "outcome": "transferred"},
            "Transferred call to Alice (1001)",
        ),
        (
            {"direction": "incoming", "outcome": "missed", "name": ""},
            "Missed call from 1001",
        ),
        (
            {"direction": "incoming", "outcome": "missed", "name": "", "number": ""},
            "Missed call from an unknown party",
        ),
        ({"direction": None, "outcome": "answered"}, "Call with Alice (1001)"),
    ],
)
def test_logbook_messages(call_data: dict[str, Any], message: str) -> None:
    """Every kind of finished call reads as a sentence."""
    base = {"number": "1001", "name": "Alice", "duration": 0}
    assert logbook.call_message(base | call_data) == message
