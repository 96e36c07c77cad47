"""Concurrency and lifecycle: actions one at a time, polls beside actions, unloading.

The phone (the simulator) is the witness: its request log shows the order in which
requests arrived, and `max_in_flight` whether two were ever open at once.
"""

import asyncio
from collections.abc import Iterator
from datetime import timedelta
import logging
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.grandstream_gxp.const import DOMAIN
from custom_components.grandstream_gxp.coordinator import GxpConfigEntry
from custom_components.grandstream_gxp.cti.call_events import CallEventType
from custom_components.grandstream_gxp.cti.errors import CtiClosedError
from gxp_simulator import SimulatedPhone

from .common import device_id_of
from .conftest import MAC

LINE_1 = "sensor.grandstream_gxp2170_line_1"
SEND_KEY = "api-send_key"
OPERATION = "api-phone_operation"
LINE_STATUS = "api-get_line_status"


@pytest.fixture(autouse=True)
def no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which an exception's traceback was logged as a problem."""
    yield
    escaped = [
        f"{record.name}: {record.getMessage()[:200]}"
        for record in caplog.get_records("call") + caplog.get_records("teardown")
        if record.levelno >= logging.WARNING and record.exc_info
    ]
    assert not escaped, escaped


async def connected_call(
    hass: HomeAssistant, sim: SimulatedPhone, entry: ConfigEntry[Any]
) -> str:
    """Ring in a call and answer it through the integration; return the device id."""
    target = device_id_of(hass, entry)
    sim.phone.incoming_call("1001", "Alice")
    await hass.services.async_call(
        DOMAIN, "answer", {ATTR_DEVICE_ID: target}, blocking=True
    )
    await sim.phone.wait_for_lines("connected")
    return target


def events_seen(entry: GxpConfigEntry) -> list[CallEventType]:
    """Collect every call event the coordinator publishes from now on."""
    coordinator = entry.runtime_data.coordinator
    seen: list[CallEventType] = []
    entry.async_on_unload(
        coordinator.async_add_listener(
            lambda: seen.extend(event.type for event in coordinator.data.events)
        )
    )
    return seen


# --- one action at a time --------------------------------------------------------

# (action, data, what it sends): key groups are pressed one key per request.
TEN_ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("send_key", {"keys": "1 1 1", "delay": 0.02}),
    ("send_key", {"keys": "2 2 2", "delay": 0.02}),
    ("hold", {}),
    ("resume", {}),
    ("send_dtmf", {"digits": "44"}),
    ("send_key", {"keys": "5 5 5", "delay": 0.02}),
    ("hold", {}),
    ("resume", {}),
    ("send_key", {"keys": "7 7 7", "delay": 0.02}),
    ("send_dtmf", {"digits": "88"}),
]


def command_runs(sim: SimulatedPhone) -> list[str]:
    """Name every command the phone received, in order: a digit, `hold` or `line`."""
    names = []
    for record in sim.phone.requests:
        if record.endpoint == OPERATION:
            names.append(record.query["cmd"])
        elif record.endpoint == SEND_KEY:
            keys = record.query["keys"]
            names.append("line" if keys.startswith("LINE") else keys)
    return names


async def test_ten_concurrent_actions_run_one_at_a_time(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """Ten actions started together: each one's requests are contiguous at the phone."""
    target = await connected_call(hass, sim, init_integration)
    sim.phone.requests.clear()

    tasks = [
        hass.async_create_task(
            hass.services.async_call(
                DOMAIN, action, {ATTR_DEVICE_ID: target, **data}, blocking=True
            )
        )
        for action, data in TEN_ACTIONS
    ]
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert [r for r in results if isinstance(r, BaseException)] == []
    # The client never had two requests open at once.
    assert sim.phone.requests.max_in_flight == 1
    # Each key group arrived as three requests in a row, nothing between them; the
    # actions ran in the order they were started (the lock is fair).
    assert command_runs(sim) == [
        *["1"] * 3,
        *["2"] * 3,
        "holdcall",
        "line",
        "4:4",
        *["5"] * 3,
        "holdcall",
        "line",
        *["7"] * 3,
        "8:8",
    ]
    # The far end heard each group's tones together.
    assert sim.phone.dtmf_log == "1112224455577788"
    await hass.async_block_till_done()
    assert (state := hass.states.get(LINE_1)) and state.state == "connected"


async def test_without_the_lock_keys_would_interleave(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """The check above can fail: two key groups sent side by side do interleave."""
    await connected_call(hass, sim, init_integration)
    client = init_integration.runtime_data.client
    sim.phone.requests.clear()

    async def group(key: str) -> None:
        for _ in range(3):
            await client.send_keys(key)

    await asyncio.gather(group("1"), group("2"))
    assert command_runs(sim) != ["1", "1", "1", "2", "2", "2"]


async def test_an_action_during_a_poll(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: GxpConfigEntry
) -> None:
    """A slow poll and `hold` at once: requests take turns, the newest state wins."""
    target = await connected_call(hass, sim, init_integration)
    coordinator = init_integration.runtime_data.coordinator
    seen = events_seen(init_integration)
    sim.phone.requests.clear()
    sim.phone.set_faults(latency=0.2, endpoints=frozenset({LINE_STATUS}), times=1)

    poll = hass.async_create_task(coordinator.async_refresh())
    await sim.phone.wait_for(lambda p: p.requests.in_flight == 1)
    await hass.services.async_call(
        DOMAIN, "hold", {ATTR_DEVICE_ID: target}, blocking=True
    )
    await poll
    await hass.async_block_till_done()

    assert sim.phone.requests.max_in_flight == 1
    # The poll read first (still connected) and published before the hold.
    assert [r.endpoint for r in sim.phone.requests][:2] == [LINE_STATUS, LINE_STATUS]
    assert coordinator.last_update_success
    assert (state := hass.states.get(LINE_1)) and state.state == "onhold"
    # One `held`, and no stale read undoing it with a `resumed`.
    assert seen == [CallEventType.HELD]


async def test_polls_and_accounts_reads_beside_an_action(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: GxpConfigEntry
) -> None:
    """A poll that also reads the accounts never publishes lines older than an action's."""
    target = await connected_call(hass, sim, init_integration)
    coordinator = init_integration.runtime_data.coordinator
    coordinator._accounts_read_at = None  # the accounts are due
    seen = events_seen(init_integration)
    sim.phone.set_faults(
        latency=0.2, endpoints=frozenset({"api-get_accounts"}), times=1
    )

    poll = hass.async_create_task(coordinator.async_refresh())
    await sim.phone.wait_for(lambda p: p.requests.in_flight == 1)
    await hass.services.async_call(
        DOMAIN, "hold", {ATTR_DEVICE_ID: target}, blocking=True
    )
    await poll
    await hass.async_block_till_done()

    assert (state := hass.states.get(LINE_1)) and state.state == "onhold"
    assert coordinator.data.lines[0].state.value == "onhold"  # type: ignore[union-attr]
    assert seen == [CallEventType.HELD]


# --- unloading ----------------------------------------------------------------------


PACKAGE = "custom_components.grandstream_gxp"


def our_timers(hass: HomeAssistant) -> list[str]:
    """Return the scheduled timers that call into the integration's code."""
    found = []
    for handle in get_scheduled_timer_handles(hass.loop):
        callback = getattr(handle, "_callback", None)
        if handle.cancelled() or callback is None:
            continue
        owner = getattr(callback, "__self__", None)
        module = (
            type(owner).__module__
            if owner is not None
            else getattr(callback, "__module__", "")
        )
        if (module or "").startswith(PACKAGE):
            found.append(repr(handle))
    return found


def our_tasks(hass: HomeAssistant) -> list[str]:
    """Return the running tasks of the integration (by name or coroutine)."""
    return [
        repr(task)
        for task in asyncio.all_tasks(hass.loop)
        if not task.done()
        and any(
            name in repr(task) for name in ("grandstream_gxp", DOMAIN, "confirm push")
        )
    ]


async def test_unload_during_an_action(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: GxpConfigEntry
) -> None:
    """The action stops cleanly before its next request; the entry unloads."""
    target = await connected_call(hass, sim, init_integration)
    controller = init_integration.runtime_data.controller
    sim.phone.requests.clear()
    action = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "send_key",
            {ATTR_DEVICE_ID: target, "keys": "1 2 3 4 5 6 7 8 9 0", "delay": 0.05},
            blocking=True,
        )
    )
    await sim.phone.wait_for(lambda p: p.requests.count(SEND_KEY) == 2)

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(HomeAssistantError) as raised:
        await action
    await hass.async_block_till_done()

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "action_stopped"
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    sent = sim.phone.requests.keys_sent()
    assert 2 <= len(sent) < 10  # stopped part way; nothing after the unload
    assert sim.phone.requests.in_flight == 0
    with pytest.raises(CtiClosedError):
        await controller.lines()
    assert our_tasks(hass) == []
    assert our_timers(hass) == []


async def test_nothing_lingers_after_unload(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: GxpConfigEntry,
    hass_client: Any,
) -> None:
    """After a call, a push and its confirming poll cut short: no task, timer or request."""
    await connected_call(hass, sim, init_integration)
    coordinator = init_integration.runtime_data.coordinator
    assert our_timers(hass)  # the 1 s polling of a call is scheduled
    # A push arrives; its confirming read is slow and still open at unload.
    sim.phone.set_faults(latency=0.3, endpoints=frozenset({LINE_STATUS}))
    client = await hass_client()
    mac = MAC.replace(":", "")
    response = await client.get(
        f"/api/webhook/{init_integration.data['webhook_id']}?e=held&m={mac}&r=1001"
    )
    assert response.status == 200
    await sim.phone.wait_for(lambda p: p.requests.in_flight == 1)

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    sim.phone.clear_faults()
    # The read was given up: the phone sees the connection go and stops answering.
    await sim.phone.wait_for(lambda p: p.requests.in_flight == 0, timeout=2)

    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert our_tasks(hass) == []
    assert our_timers(hass) == []
    assert coordinator.update_interval is not None
    assert coordinator._unsub_refresh is None
    # The shared session holds no connection for the phone any more.
    session = async_get_clientsession(hass, verify_ssl=False)
    assert session.connector is not None
    assert not session.connector._acquired
    assert sim.phone.requests.in_flight == 0
    # And it stays quiet: an hour of fired timers sends nothing.
    sim.phone.requests.clear()
    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done()
    assert len(sim.phone.requests) == 0


async def test_reload_gives_a_working_phone(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: GxpConfigEntry
) -> None:
    """A reload closes the old call control and brings a working new one."""
    old = init_integration.runtime_data.controller
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.controller is not old
    with pytest.raises(CtiClosedError):
        await old.lines()
    await connected_call(hass, sim, init_integration)
    assert (state := hass.states.get(LINE_1)) and state.state == "connected"


# --- frozen time ----------------------------------------------------------------------


def test_a_frozen_clock_stops_the_event_loop_clock(
    freezer: FrozenDateTimeFactory,
) -> None:
    """Why a simulator request hung under `freezer`: the loop's clock is frozen too.

    freezegun replaces `time.monotonic`, which `loop.time()` reads, so a timer (a
    simulator's latency, `asyncio.sleep`, aiohttp's timeout) never comes due unless the
    test ticks past it; a task waiting on one keeps `async_block_till_done` waiting.
    """
    loop = asyncio.new_event_loop()
    try:
        before = loop.time()
        time.sleep(0.01)  # real time passes
        assert loop.time() == before
    finally:
        loop.close()


@pytest.mark.freeze_time("2026-05-04 09:30:00+00:00", tick=True)
async def test_frozen_dates_with_a_running_loop_clock(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: GxpConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The remedy: a clock that starts frozen but ticks on (`tick=True`).

    A jump still fires the coordinator's timer; its read meets a slow phone and
    finishes, and `async_block_till_done` returns.
    """
    loop = asyncio.get_running_loop()
    before = loop.time()
    await asyncio.sleep(0.01)  # a timer: it would never come due with a frozen clock
    assert loop.time() > before

    coordinator = init_integration.runtime_data.coordinator
    sim.phone.requests.clear()
    sim.phone.set_faults(latency=0.1, times=1)
    freezer.tick(coordinator.update_interval or timedelta(seconds=30))
    async_fire_time_changed(hass)
    # The coordinator polls in a background task: wait for it too.
    async with asyncio.timeout(5):
        await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.phone.requests.count(LINE_STATUS) == 1
    assert coordinator.last_update_success
