"""The call event entity, driven by a simulated phone."""

from collections.abc import Iterator
from unittest.mock import patch

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.grandstream_gxp.const import DOMAIN
from custom_components.grandstream_gxp.coordinator import GxpConfigEntry
from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd

from .common import device_id_of, refresh

pytestmark = pytest.mark.usefixtures("init_integration")

CALL = "event.grandstream_gxp2170_call"

type Fired = tuple[str, int, str, str]


@pytest.fixture
def phone_timing(request: pytest.FixtureRequest) -> str:
    """Call control and events run on the realistic phone (issue 11).

    A frozen clock would stop the phone's delays, so those tests get an instant one.
    """
    return "instant" if request.node.get_closest_marker("freeze_time") else "realistic"


@pytest.fixture
def platforms() -> list[Platform]:
    """Platforms to load; parametrize to add buttons."""
    return [Platform.EVENT]


@pytest.fixture(autouse=True)
def only_platforms(platforms: list[Platform]) -> Iterator[None]:
    """Load only the chosen platforms."""
    with patch("custom_components.grandstream_gxp.PLATFORMS", platforms):
        yield


@pytest.fixture
def changes(hass: HomeAssistant) -> list[Event[EventStateChangedData]]:
    """Record every state change (each fired call event writes one)."""
    return async_capture_events(hass, EVENT_STATE_CHANGED)


def fired(
    changes: list[Event[EventStateChangedData]], entity_id: str = CALL
) -> list[Fired]:
    """Return the call events fired so far: (type, line, number, name).

    A fired event writes a new timestamp or new attributes; the same event shown again
    (after the entity was unavailable) is not counted.
    """
    result = []
    last: object = None
    for change in changes:
        new = change.data["new_state"]
        if change.data["entity_id"] != entity_id or new is None:
            continue
        if new.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            continue
        shown = (new.state, new.attributes)
        if shown == last:
            continue
        last = shown
        attrs = new.attributes
        result.append(
            (
                attrs["event_type"],
                attrs["line"],
                attrs["remote_number"],
                attrs["remote_name"],
            )
        )
    return result


@pytest.mark.freeze_time("2026-05-04 09:30:00+00:00")
@pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])
async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One call event entity, with every event type."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_incoming_answered_held_resumed_ended(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: list[Event[EventStateChangedData]],
) -> None:
    """A call handled at the desk, seen through polls."""
    phone = sim.phone
    phone.incoming_call("1002", "Bob")
    await refresh(hass, init_integration)
    assert phone.phone_operation("acceptcall")
    await refresh(hass, init_integration)
    assert phone.phone_operation("holdcall")
    await refresh(hass, init_integration)
    assert phone.phone_operation("holdcall")  # toggles the held call back
    await refresh(hass, init_integration)
    assert phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    assert fired(changes) == [
        ("incoming", 1, "1002", "Bob"),
        ("answered", 1, "1002", "Bob"),
        ("held", 1, "1002", "Bob"),
        ("resumed", 1, "1002", "Bob"),
        ("ended", 1, "1002", "Bob"),  # the party the line had, though it is blank now
    ]
    state = hass.states.get(CALL)
    assert state is not None
    assert dt_util.parse_datetime(state.state) is not None
    assert state.attributes["event_type"] == "ended"


async def test_missed_call(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: list[Event[EventStateChangedData]],
) -> None:
    """A caller who gives up before anyone answers is a missed call."""
    sim.phone.incoming_call("5550100", "Carol")
    await refresh(hass, init_integration)
    assert sim.phone.far_end_hangup(1)
    await refresh(hass, init_integration)

    assert fired(changes) == [
        ("incoming", 1, "5550100", "Carol"),
        ("missed", 1, "5550100", "Carol"),
    ]


async def test_outgoing_call(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: list[Event[EventStateChangedData]],
) -> None:
    """A number dialled at the desk, answered, then hung up by the other side."""
    sim.phone.far_ends.default = FarEnd(answer_after=None)
    sim.phone.press_keys(["1", "0", "0", "3", "SEND"])
    # Line status lags the keys on the realistic phone: wait until a poll shows it.
    await sim.phone.wait_for(lambda p: p.line_status()[0]["state"] == "calling")
    await refresh(hass, init_integration)
    assert sim.phone.far_end_answer(1)
    await refresh(hass, init_integration)

    assert fired(changes) == [
        ("outgoing", 1, "1003", ""),
        ("answered", 1, "1003", ""),
    ]


@pytest.mark.parametrize("platforms", [[Platform.EVENT, Platform.BUTTON]])
@pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])
async def test_transferred(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: list[Event[EventStateChangedData]],
    phone_model: str,
) -> None:
    """Completing a transfer ends both calls as `transferred`, two events in one update."""
    phone = sim.phone
    phone.incoming_call("1001", "Alice")
    assert phone.phone_operation("acceptcall")
    await refresh(hass, init_integration)
    await hass.services.async_call(
        DOMAIN,
        "transfer",
        {ATTR_DEVICE_ID: device_id_of(hass, init_integration), "number": "1002"},
        blocking=True,
        return_response=True,
    )
    await phone.wait_for_lines("onhold", "connected")
    await refresh(hass, init_integration)
    changes.clear()

    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: f"button.grandstream_{phone_model.lower()}_complete_transfer"},
        blocking=True,
    )
    await hass.async_block_till_done()

    assert fired(changes, f"event.grandstream_{phone_model.lower()}_call") == [
        ("transferred", 1, "1001", "Alice"),
        ("transferred", 2, "1002", ""),
    ]
    assert [(t.kind, t.target) for t in phone.transfers] == [("attended", "1002")]


async def test_failed_read_fires_nothing_again(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: list[Event[EventStateChangedData]],
) -> None:
    """A read that fails, and the one that recovers, repeat no event."""
    sim.phone.incoming_call("1002", "Bob")
    await refresh(hass, init_integration)

    await sim.stop_listening()
    await refresh(hass, init_integration)
    state = hass.states.get(CALL)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE

    await sim.start_listening()
    await refresh(hass, init_integration)
    state = hass.states.get(CALL)
    assert state is not None
    assert state.attributes["event_type"] == "incoming"

    assert fired(changes) == [("incoming", 1, "1002", "Bob")]


@pytest.mark.parametrize("phone_settings", [{"key_delay": 0.2}])
async def test_blind_transfer_survives_a_poll_in_the_middle(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: list[Event[EventStateChangedData]],
) -> None:
    """A poll while the phone still plays the keys does not turn `transferred` into `ended`.

    The phone answers the keys request first and plays one key per `key_delay` [C S20],
    so the hand-over comes seconds after the action pressed the last key.
    """
    phone = sim.phone
    phone.incoming_call("1001", "Alice")
    assert phone.phone_operation("acceptcall")
    await refresh(hass, init_integration)
    changes.clear()

    action = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "transfer",
            {
                ATTR_DEVICE_ID: device_id_of(hass, init_integration),
                "number": "1002",
                "mode": "blind",
            },
            blocking=True,
            return_response=True,
        )
    )
    await phone.wait_for(lambda p: p.queued_keys[-2:] == ["2", "XFER"], timeout=5)
    # The coordinator's 1 s poll lands while the last keys are still being played.
    await init_integration.runtime_data.coordinator.async_refresh()
    assert phone.line_states()[0] == "onhold"
    await action
    await refresh(hass, init_integration)

    # XFER holds the call first [C S8]; the poll saw that, truthfully.
    assert fired(changes) == [
        ("held", 1, "1001", "Alice"),
        ("transferred", 1, "1001", "Alice"),
    ]
    assert [(t.kind, t.target) for t in phone.transfers] == [("blind", "1002")]
