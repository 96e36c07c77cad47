"""Polling: how often the phone is asked, and what happens when it fails."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_DEVICE_ID, EVENT_STATE_REPORTED
from homeassistant.core import Event, EventStateReportedData, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.grandstream_gxp.const import (
    ACCOUNTS_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    FAST_POLL_INTERVAL,
    STEADY_CALL_LIMIT,
)
from gxp_simulator import SimulatedPhone

pytestmark = pytest.mark.usefixtures("init_integration")

IDLE = timedelta(seconds=DEFAULT_SCAN_INTERVAL)


def healthy(entry: MockConfigEntry) -> bool:
    """Return whether the last poll of the phone worked."""
    return bool(entry.runtime_data.coordinator.last_update_success)


def polls(sim: SimulatedPhone) -> int:
    """Return how many line-status reads the phone has answered."""
    return len(sim.phone.requests.for_endpoint("api-get_line_status"))


async def test_poll_interval_follows_the_calls(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """Idle: the scan interval; a call up: about a second; idle again: back."""
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.update_interval == IDLE

    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    assert coordinator.update_interval == FAST_POLL_INTERVAL

    sim.phone.far_end_hangup(1)
    await coordinator.async_refresh()
    assert coordinator.update_interval == IDLE


async def test_unreachable_phone_logs_once_and_recovers(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One line when the phone goes, one when it returns; no reload needed."""
    coordinator = init_integration.runtime_data.coordinator
    await sim.stop_listening()
    for _ in range(3):
        await coordinator.async_refresh()
    assert not healthy(init_integration)
    assert caplog.text.count("Error fetching") == 1

    await sim.start_listening()
    await coordinator.async_refresh()
    assert healthy(init_integration)
    assert caplog.text.lower().count("recovered") == 1


async def test_phone_answering_nonsense_is_an_update_failure(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
) -> None:
    """An HTML page instead of JSON makes the data unavailable, not a crash."""
    coordinator = init_integration.runtime_data.coordinator
    sim.phone.set_faults(login_page=True)
    await coordinator.async_refresh()
    assert not healthy(init_integration)
    sim.phone.clear_faults()
    await coordinator.async_refresh()
    assert healthy(init_integration)


async def test_password_changed_on_the_phone_starts_reauth_and_stops_polling(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
) -> None:
    """A rejected password is never retried on a timer (the phone would lock)."""
    coordinator = init_integration.runtime_data.coordinator
    sim.phone.auth.password = "changed"  # noqa: S105
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(init_integration.domain)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    # No timer is left to ask again with the rejected password.
    assert coordinator._unsub_refresh is None


async def test_accounts_are_read_every_few_minutes(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Registrations change rarely: not on every poll."""
    coordinator = init_integration.runtime_data.coordinator
    assert len(sim.phone.requests.for_endpoint("api-get_accounts")) == 1
    await coordinator.async_refresh()
    assert len(sim.phone.requests.for_endpoint("api-get_accounts")) == 1
    freezer.tick(ACCOUNTS_INTERVAL)
    await coordinator.async_refresh()
    assert len(sim.phone.requests.for_endpoint("api-get_accounts")) == 2


async def test_a_phone_without_the_accounts_endpoint_still_works(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The GXP116x may lack api-get_accounts: the lines are still read."""
    sim.phone.set_faults(login_page=True, endpoints=frozenset({"api-get_accounts"}))
    freezer.tick(ACCOUNTS_INTERVAL)
    coordinator = init_integration.runtime_data.coordinator
    await coordinator.async_refresh()
    assert len(sim.phone.requests.for_endpoint("api-get_accounts")) == 2
    assert healthy(init_integration)
    assert coordinator.data.accounts  # the last list read is kept


async def test_an_unknown_line_state_does_not_keep_fast_polling(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """A state string the library does not know is no call: the idle interval stays."""
    coordinator = init_integration.runtime_data.coordinator
    # A string beyond the known seven (the GMI API names `transfered` [DOC S25]).
    line: Any = sim.phone.line(1)
    line.state = "transfered"
    await coordinator.async_refresh()
    assert coordinator.data.lines[0].raw_state == "transfered"
    assert coordinator.update_interval == IDLE


async def test_fast_polling_ends_when_a_call_stays_unchanged(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A call that shows the same lines for STEADY_CALL_LIMIT is read at the idle rate."""
    coordinator = init_integration.runtime_data.coordinator
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    assert coordinator.update_interval == FAST_POLL_INTERVAL

    freezer.tick(STEADY_CALL_LIMIT - timedelta(seconds=1))
    await coordinator.async_refresh()
    assert coordinator.update_interval == FAST_POLL_INTERVAL
    freezer.tick(timedelta(seconds=1))
    await coordinator.async_refresh()
    assert coordinator.update_interval == IDLE

    # Any change on the lines starts fast polling again.
    sim.phone.phone_operation("acceptcall")
    await coordinator.async_refresh()
    assert coordinator.update_interval == FAST_POLL_INTERVAL


async def test_no_fast_polls_while_an_action_reads_the_lines(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    device_id: str,
) -> None:
    """An action verifies with its own reads: the coordinator adds no 1 s polls to them."""
    coordinator = init_integration.runtime_data.coordinator
    sim.phone.incoming_call("1001", "Alice")
    sim.phone.phone_operation("acceptcall")
    await coordinator.async_refresh()
    assert coordinator.update_interval == FAST_POLL_INTERVAL

    sim.phone.set_faults(latency=0.3, endpoints=frozenset({"api-phone_operation"}))
    hold = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "hold", {ATTR_DEVICE_ID: device_id}, blocking=True
        )
    )
    await sim.phone.wait_for(lambda p: p.requests.in_flight == 1)
    assert coordinator.update_interval == IDLE
    await hold

    # The action published its last read: a call is up, fast polling follows it again.
    assert coordinator.data.lines[0].raw_state == "onhold"
    assert coordinator.update_interval == FAST_POLL_INTERVAL


async def test_a_read_that_finds_nothing_new_writes_no_state(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """Unchanged lines rewrite no entity: each write is an event on the bus."""
    coordinator = init_integration.runtime_data.coordinator
    writes: list[str] = []

    @callback
    def note(event: Event[EventStateReportedData]) -> None:
        writes.append(event.data["entity_id"])

    @callback
    def ours(data: EventStateReportedData) -> bool:
        return ".grandstream_" in data["entity_id"]

    hass.bus.async_listen(EVENT_STATE_REPORTED, note, event_filter=ours)
    await coordinator.async_refresh()
    coordinator.async_apply_lines(coordinator.data.lines)
    await hass.async_block_till_done()
    assert writes == []

    # A change is still published, and the read after it writes nothing again.
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    line_1 = hass.states.get("sensor.grandstream_gxp2170_line_1")
    assert line_1 is not None
    assert line_1.state == "ringing"
    # The second read of a call no push announced changes `push_missed`: news too.
    await coordinator.async_refresh()
    assert coordinator.data.push_missed
    writes.clear()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert writes == []
