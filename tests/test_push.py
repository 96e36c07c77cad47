"""Push: the phone's Action URLs through the webhook, over loopback, with polling after."""

import asyncio
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
import logging
import re
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_ID,
    CONF_SCAN_INTERVAL,
    CONF_WEBHOOK_ID,
    EVENT_STATE_CHANGED,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.grandstream_gxp import (
    async_migrate_entry,
    coordinator as coordinator_module,
)
from custom_components.grandstream_gxp.action_urls import (
    SLOTS,
    SLOTS_BY_CODE,
    URL_PLACEHOLDER,
    PushEvent,
    action_urls,
    format_action_urls,
    slot_url,
    webhook_url,
)
from custom_components.grandstream_gxp.const import (
    CONF_PUSH_SEEN,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    DUPLICATE_WINDOW,
    FAST_POLL_INTERVAL,
    PUSH_IDLE_INTERVAL,
)
from custom_components.grandstream_gxp.coordinator import GxpConfigEntry, GxpCoordinator
from custom_components.grandstream_gxp.cti import LineState, LineStatus
from custom_components.grandstream_gxp.cti.call_events import (
    CallEvent,
    CallEventType,
    EventDeduplicator,
    Source,
    apply_push,
    resolve_push,
)
from custom_components.grandstream_gxp.issues import PUSH_NOT_SET_UP, entry_issue_id
from custom_components.grandstream_gxp.webhook import parse_push
from gxp_simulator import SimulatedPhone
from gxp_simulator.action_url import EVENT_PVALUES
from scripts.raw_request import fill_verbatim, raw_get

from .conftest import MAC

CALL = "event.grandstream_gxp2170_call"
LINE_1 = "sensor.grandstream_gxp2170_line_1"
PHONE_STATUS = "sensor.grandstream_gxp2170_phone_status"
RINGING = "binary_sensor.grandstream_gxp2170_ringing"
SIM_MAC = MAC.replace(":", "")  # what the phone substitutes for $mac

type Changes = list[Event[EventStateChangedData]]


@pytest.fixture
def phone_timing() -> str:
    """Call control and events run on the realistic phone (issue 11)."""
    return "realistic"


@pytest.fixture
def changes(hass: HomeAssistant) -> Changes:
    """Record every state change."""
    return async_capture_events(hass, EVENT_STATE_CHANGED)


def fired(changes: Changes) -> list[tuple[str, int, str, str]]:
    """Return the call events fired: (type, line, number, name), one per fire."""
    result = []
    for change in changes:
        new = change.data["new_state"]
        old = change.data["old_state"]
        if change.data["entity_id"] != CALL or new is None:
            continue
        if "event_type" not in new.attributes or new.attributes["event_type"] is None:
            continue
        if old is not None and old.state == new.state:
            continue  # the same event shown again, not fired again
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


def coordinator_of(entry: GxpConfigEntry) -> GxpCoordinator:
    """Return the entry's coordinator."""
    return entry.runtime_data.coordinator


def hook_path(entry: ConfigEntry[Any]) -> str:
    """Return the path of the entry's webhook."""
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


def alive(coordinator: GxpCoordinator) -> bool:
    """Return whether push is proven alive (a call, so that mypy does not narrow it)."""
    return coordinator.push_alive


def reads(sim: SimulatedPhone) -> int:
    """Return how many line-status reads the phone answered."""
    return len(sim.phone.requests.for_endpoint("api-get_line_status"))


def point_phone_at(sim: SimulatedPhone, base: str) -> None:
    """Store the integration's Action URLs in every slot the phone has."""
    by_pvalue = {slot.pvalue: slot for slot in SLOTS}
    sim.phone.settings.update(
        action_urls={
            name: slot_url(base, by_pvalue[pvalue])
            for name, pvalue in EVENT_PVALUES.items()
            if pvalue in by_pvalue
        }
    )


# The worst a phone substitutes verbatim [CODE N2].
WORST_NUMBER = "+49 30 1234567"
WORST_NAME = "John Doe & Sons #2"
WORST_VALUES = {
    "$remote": WORST_NUMBER,
    "$display_remote": WORST_NAME,
    "$local": "$local",
    "$display_local": "Front Desk #1",
    "$active_user": "$active_user",
}


# --- the webhook over HTTP ------------------------------------------------------


async def test_event_waits_for_the_read_that_names_the_caller(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
) -> None:
    """The URL names nobody; the event fires once, with the caller the read found.

    Nothing shows before that read: the line goes from idle straight to ringing with
    the number and the name.
    """
    coordinator = coordinator_of(init_integration)
    sim.phone.incoming_call(WORST_NUMBER, WORST_NAME)
    before = reads(sim)
    client = await hass_client()

    response = await client.get(f"{hook_path(init_integration)}?e=incoming&m={SIM_MAC}")

    assert response.status == 200
    assert await response.read() == b""
    await hass.async_block_till_done()
    assert reads(sim) == before + 1
    assert fired(changes) == [("incoming", 1, WORST_NUMBER, WORST_NAME)]
    line = hass.states.get(LINE_1)
    assert line is not None
    assert line.state == "ringing"
    assert line.attributes["remote_number"] == WORST_NUMBER
    assert line.attributes["remote_name"] == WORST_NAME
    assert [
        c.data["new_state"].state
        for c in changes
        if c.data["entity_id"] == LINE_1 and c.data["new_state"] is not None
    ] == ["ringing"]
    assert (state := hass.states.get(RINGING)) and state.state == "on"
    assert coordinator.update_interval == FAST_POLL_INTERVAL


async def test_old_url_values_when_the_read_no_longer_shows_the_call(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
) -> None:
    """An earlier version's URL carries the number: its `+` is kept, not a space.

    The simulated phone has no call, so the event can only name the caller from the
    URL; the read shows the line idle, and nothing else fires.
    """
    client = await hass_client()
    response = await client.get(
        f"{hook_path(init_integration)}?e=incoming&m={SIM_MAC}&r=+4930123&n=Bob%20B"
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert fired(changes) == [("incoming", 1, "+4930123", "Bob B")]
    assert (state := hass.states.get(LINE_1)) and state.state == "idle"


@pytest.mark.parametrize(
    "mac", [MAC, MAC.upper(), MAC.replace(":", "-"), SIM_MAC.upper()]
)
async def test_every_url_survives_verbatim_substitution(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    mac: str,
) -> None:
    """Each URL handed out, filled in as a phone does, arrives as a raw request line.

    Worst-case values for every variable (spaces, `&`, `#`, a leading `+`, a literal
    `$display_remote`) and the MAC in any notation: every event reaches the
    coordinator, and the first names the caller from the read [CODE N2]. The request
    is written to the socket byte for byte.
    """
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    coordinator = coordinator_of(init_integration)
    client = await hass_client()
    url = client.make_url("/")
    sim.phone.incoming_call(WORST_NUMBER, WORST_NAME)
    values = {**WORST_VALUES, "$mac": mac}
    arrived: list[str] = []
    handle = coordinator.async_handle_push

    def spy(push: PushEvent) -> None:
        arrived.append(push.slot.code)
        handle(push)

    with patch.object(coordinator, "async_handle_push", spy):
        for slot, template in action_urls(hass, init_integration.data[CONF_WEBHOOK_ID]):
            target = fill_verbatim(template, values)
            assert not {" ", "#"} & set(target), target
            assert await raw_get(url.port or 0, target, url.host or "") == 200
            await hass.async_block_till_done()
            assert arrived[-1:] == [slot.code], target
    assert arrived == [slot.code for slot in SLOTS]
    assert fired(changes)[0] == ("incoming", 1, WORST_NUMBER, WORST_NAME)
    assert init_integration.data[CONF_PUSH_SEEN] is True


async def test_a_raw_space_never_reaches_a_handler(
    hass_client: ClientSessionGenerator, init_integration: GxpConfigEntry
) -> None:
    """Why the URLs carry no name: HTTP answers 400 to a raw space (cti-api.md §12)."""
    client = await hass_client()
    url = client.make_url("/")
    base = action_urls(init_integration.runtime_data.coordinator.hass, "x")[0][1]
    old = fill_verbatim(f"{base}&r=$remote&n=$display_remote", WORST_VALUES)
    assert await raw_get(url.port or 0, old, url.host or "") == 400


async def test_end_to_end_from_the_simulated_phone(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
) -> None:
    """The phone calls the webhook itself; every event fires once, polls or not."""
    coordinator = await ring_with_push(hass, hass_client, init_integration, sim)
    assert [s.status for s in sim.phone.action_urls.sent] == [200]
    assert (state := hass.states.get(LINE_1)) and state.state == "ringing"
    assert fired(changes) == [("incoming", 1, "1001", "Alice")]
    # An event arrived and its confirming poll agreed.
    assert alive(coordinator)
    assert init_integration.data[CONF_PUSH_SEEN] is True

    assert sim.phone.phone_operation("acceptcall")
    await pushes_sent(hass, sim, 3)  # answered_call and established_call: one event
    await coordinator.async_refresh()
    assert (state := hass.states.get(LINE_1)) and state.state == "connected"

    sim.phone.far_end_hangup(1)
    await pushes_sent(hass, sim, 4)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert fired(changes) == [
        ("incoming", 1, "1001", "Alice"),
        ("answered", 1, "1001", "Alice"),
        ("ended", 1, "1001", "Alice"),
    ]
    assert (state := hass.states.get(LINE_1)) and state.state == "idle"
    assert alive(coordinator)
    assert coordinator.update_interval == PUSH_IDLE_INTERVAL


async def ring_with_push(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: GxpConfigEntry,
    sim: SimulatedPhone,
) -> GxpCoordinator:
    """Point the phone's Action URLs at the entry and ring it; return the coordinator."""
    client = await hass_client()
    point_phone_at(sim, str(client.make_url(hook_path(entry))))
    sim.phone.incoming_call("1001", "Alice")
    await pushes_sent(hass, sim, 1)
    return coordinator_of(entry)


async def pushes_sent(hass: HomeAssistant, sim: SimulatedPhone, count: int) -> None:
    """Wait until the phone has sent `count` Action URLs and Home Assistant took them."""
    await sim.phone.wait_for(
        lambda phone: len(phone.action_urls.sent) >= count, timeout=5
    )
    await hass.async_block_till_done()


async def test_a_failed_action_leaves_fast_polling_during_a_call(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """An action refused by the phone in a call does not leave push's 75 s idle reads.

    Found by the soak: with push alive, an action that failed (HTTP 500) left the next
    read 75 s away, so the phone showed its call late after the fault cleared.
    """
    coordinator = await ring_with_push(hass, hass_client, init_integration, sim)
    assert sim.phone.phone_operation("acceptcall")
    await coordinator.async_refresh()
    assert alive(coordinator)
    assert coordinator.update_interval == FAST_POLL_INTERVAL

    sim.phone.set_faults(http_status=500, endpoints=frozenset({"api-phone_operation"}))
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN, "hold", {ATTR_DEVICE_ID: device_id}, blocking=True
        )
    assert coordinator.update_interval == FAST_POLL_INTERVAL


async def test_a_failed_action_on_an_idle_phone_reads_again_soon(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """A phone that failed an action is read again at the user's interval, not in 75 s.

    Found by the soak: an idle push phone whose action failed in a fault was read again
    only 75 s later, so a call that came meanwhile showed late.
    """
    coordinator = await ring_with_push(hass, hass_client, init_integration, sim)
    sim.phone.far_end_hangup(1)
    await pushes_sent(hass, sim, 2)
    await coordinator.async_refresh()
    assert alive(coordinator)
    assert coordinator.update_interval == PUSH_IDLE_INTERVAL

    sim.phone.set_faults(http_status=500)
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN, "dial", {ATTR_DEVICE_ID: device_id, "number": "1002"}, blocking=True
        )
    assert coordinator.update_interval == timedelta(
        seconds=init_integration.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "e=incoming",  # no MAC
        "e=incoming&m=000b82654321",  # another phone
        "e=incoming&m=nonsense",
        "e=ringing&m=000b82123456",  # not an event we know
        "m=000b82123456",  # no event
        "e=incoming&e=missed&m=000b82123456",  # a key twice
        f"e=incoming&m=000b82123456&r={'1' * 300}",  # longer than a phone sends
        "e=%ff%fe&m=000b82123456",
    ],
)
async def test_foreign_or_malformed_requests_are_ignored(
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
    query: str,
) -> None:
    """Nothing happens, and the answer is the same empty 200 as for a valid event."""
    before = reads(sim)
    client = await hass_client()
    response = await client.get(f"{hook_path(init_integration)}?{query}")
    await coordinator_of(init_integration).hass.async_block_till_done()
    assert response.status == 200
    assert await response.read() == b""
    assert fired(changes) == []
    assert reads(sim) == before
    assert CONF_PUSH_SEEN not in init_integration.data


async def test_unknown_keys_are_ignored_and_mac_notation_does_not_matter(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    changes: Changes,
) -> None:
    """Extra keys do not spoil an event; the MAC may come in any notation."""
    client = await hass_client()
    response = await client.get(
        f"{hook_path(init_integration)}?e=outgoing&m=00-0B-82-12-34-56&r=1002"
        "&x=1&l=1001&a=$active_user"
    )
    await hass.async_block_till_done()
    assert response.status == 200
    # The phone has no call: the confirming poll shows it idle again, without an event.
    assert fired(changes) == [("outgoing", 1, "1002", "")]
    assert (state := hass.states.get(LINE_1)) and state.state == "idle"


async def test_post_and_remote_callers_are_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    changes: Changes,
) -> None:
    """Only GET from the local network reaches the integration."""
    client = await hass_client()
    query = f"?e=incoming&m={SIM_MAC}&r=1001"
    response = await client.post(hook_path(init_integration) + query)
    assert response.status == 405
    with patch(
        "homeassistant.components.webhook.ip_address",
        return_value=ip_address("203.0.113.7"),
    ):
        response = await client.get(hook_path(init_integration) + query)
    await hass.async_block_till_done()
    assert response.status == 200
    assert fired(changes) == []
    assert CONF_PUSH_SEEN not in init_integration.data


async def test_unload_unregisters_the_webhook(
    hass: HomeAssistant, init_integration: GxpConfigEntry
) -> None:
    """After unloading, the id is free again (registering it twice would fail)."""
    webhook_id = init_integration.data[CONF_WEBHOOK_ID]
    with pytest.raises(ValueError, match="already defined"):
        webhook.async_register(hass, DOMAIN, "test", webhook_id, _no_handler)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    webhook.async_register(hass, DOMAIN, "test", webhook_id, _no_handler)
    webhook.async_unregister(hass, webhook_id)


async def _no_handler(hass: HomeAssistant, webhook_id: str, request: Any) -> None:
    """Handle nothing (a webhook registered only to test registration)."""


# --- migration ------------------------------------------------------------------


async def test_migration_adds_a_webhook_id(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An entry from 1.1 gets a webhook id and becomes 1.2."""
    assert CONF_WEBHOOK_ID not in mock_config_entry.data
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.minor_version == 2
    assert re.fullmatch(r"[0-9a-f]{64}", mock_config_entry.data[CONF_WEBHOOK_ID])
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_migration_leaves_current_and_refuses_newer_entries(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An entry already at 1.2 is kept; one from a version 2 is not guessed at."""
    current = MockConfigEntry(
        domain=DOMAIN,
        data={**mock_config_entry.data, CONF_WEBHOOK_ID: "kept"},
        minor_version=2,
    )
    current.add_to_hass(hass)
    assert await async_migrate_entry(hass, current)
    assert current.data[CONF_WEBHOOK_ID] == "kept"
    newer = MockConfigEntry(domain=DOMAIN, data={}, version=2)
    newer.add_to_hass(hass)
    assert not await async_migrate_entry(hass, newer)


async def test_entry_from_a_newer_version_is_not_loaded(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A version 2 entry is not guessed at."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=MAC, data=dict(mock_config_entry.data), version=2
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


# --- the repair issue -------------------------------------------------------------


async def test_no_repair_issue_before_a_reason(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A phone that simply had no calls yet is not told to set up push."""
    coordinator = coordinator_of(init_integration)
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert (
        issue_registry.async_get_issue(
            DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
        )
        is None
    )


async def test_repair_issue_after_an_unannounced_call_until_the_first_event(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A call polling saw and no push announced: the issue, with the URLs; an event clears it."""
    coordinator = coordinator_of(init_integration)
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    # One read may still have the push on its way.
    assert (
        issue_registry.async_get_issue(
            DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
        )
        is None
    )
    await coordinator.async_refresh()
    issue = issue_registry.async_get_issue(
        DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
    )
    assert issue is not None
    assert issue.translation_key == "push_not_set_up"
    assert not issue.is_fixable
    assert issue.translation_placeholders is not None
    assert "?e=incoming&m=$mac`" in issue.translation_placeholders["urls"]
    runtime = init_integration.runtime_data

    client = await hass_client()
    await client.get(f"{hook_path(init_integration)}?e=registered&m={SIM_MAC}")
    await hass.async_block_till_done()

    assert (
        issue_registry.async_get_issue(
            DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
        )
        is None
    )
    assert init_integration.data[CONF_PUSH_SEEN] is True
    # Stored without a reload.
    assert init_integration.runtime_data is runtime
    assert init_integration.state is ConfigEntryState.LOADED

    # Seen once is enough: unannounced calls after a reload raise no issue.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    coordinator = coordinator_of(init_integration)
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert (
        issue_registry.async_get_issue(
            DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
        )
        is None
    )


@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_no_repair_issue_for_a_phone_without_action_urls(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The GXP1165 cannot push, so even its calls ask nothing of the user."""
    coordinator = coordinator_of(init_integration)
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert (
        issue_registry.async_get_issue(
            DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
        )
        is None
    )


async def test_repair_issue_goes_with_the_entry(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Unloading removes the issue."""
    coordinator = coordinator_of(init_integration)
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert issue_registry.async_get_issue(
        DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
    )
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert (
        issue_registry.async_get_issue(
            DOMAIN, entry_issue_id(init_integration, PUSH_NOT_SET_UP)
        )
        is None
    )


# --- polling and push -------------------------------------------------------------


async def push(
    hass: HomeAssistant,
    entry: GxpConfigEntry,
    code: str,
    number: str = "",
    name: str = "",
) -> None:
    """Deliver one event as the webhook would, and let its confirming poll run."""
    coordinator_of(entry).async_handle_push(
        PushEvent(slot=SLOTS_BY_CODE[code], remote_number=number, remote_name=name)
    )
    await hass.async_block_till_done()


async def test_polling_intervals(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """scan_interval until push is proven; long while idle then; fast in calls."""
    coordinator = coordinator_of(init_integration)
    idle = timedelta(seconds=DEFAULT_SCAN_INTERVAL)
    assert coordinator.update_interval == idle
    assert not alive(coordinator)

    # A registration event, and the confirming poll finds nothing unannounced.
    await push(hass, init_integration, "registered")
    assert alive(coordinator)
    assert coordinator.update_interval == PUSH_IDLE_INTERVAL

    # An announced call: fast, and push stays trusted.
    sim.phone.incoming_call("1001", "Alice")
    await push(hass, init_integration, "incoming", "1001", "Alice")
    assert coordinator.update_interval == FAST_POLL_INTERVAL
    await coordinator.async_refresh()
    assert alive(coordinator)
    sim.phone.far_end_hangup(1)
    await push(hass, init_integration, "missed", "1001", "Alice")
    assert coordinator.update_interval == PUSH_IDLE_INTERVAL

    # A call push never told about: seen on one read it may still be on its way ...
    sim.phone.incoming_call("1002", "Bob")
    await coordinator.async_refresh()
    assert alive(coordinator)
    assert coordinator.update_interval == FAST_POLL_INTERVAL
    # ... on the second read it is not: back to scan_interval once idle.
    await coordinator.async_refresh()
    assert not alive(coordinator)
    sim.phone.far_end_hangup(1)
    await coordinator.async_refresh()
    assert coordinator.update_interval == idle


async def test_failed_read_waits_scan_interval_not_the_push_interval(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """With push alive, a failed read is retried at scan_interval, not after 75 s."""
    coordinator = coordinator_of(init_integration)
    await push(hass, init_integration, "registered")
    assert coordinator.update_interval == PUSH_IDLE_INTERVAL

    sim.phone.faults.http_status = 500
    await coordinator.async_refresh()

    assert coordinator.last_exception is not None
    assert coordinator.update_interval == timedelta(seconds=DEFAULT_SCAN_INTERVAL)
    sim.phone.faults.http_status = None
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.update_interval == PUSH_IDLE_INTERVAL


async def test_push_never_polls_more_than_scan_interval(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """A scan interval longer than the push interval is kept."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_SCAN_INTERVAL: 600}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await push(hass, mock_config_entry, "registered")
    coordinator = coordinator_of(mock_config_entry)
    assert alive(coordinator)
    assert coordinator.update_interval == timedelta(seconds=600)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_idle_hour_with_push_stays_in_budget(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """An idle hour with push alive costs at most 60 requests, accounts included.

    The hour is walked poll by poll on a fake clock: each refresh runs at the time
    the previous one scheduled, and the phone counts the requests.
    """
    coordinator = coordinator_of(init_integration)
    await push(hass, init_integration, "registered")
    assert alive(coordinator)
    # A day after the real clock, which stamped the accounts read of the confirming
    # poll: a fixed date would make the result depend on when the suite runs.
    start = datetime.now(UTC) + timedelta(days=1)
    now = start
    clock = SimpleNamespace(utcnow=lambda: now)
    sim.phone.requests.clear()
    with patch.object(coordinator_module, "dt_util", clock):
        while now < start + timedelta(hours=1):
            await coordinator.async_refresh()
            assert coordinator.update_interval is not None
            now += coordinator.update_interval
    requests = [r.endpoint for r in sim.phone.requests]
    assert requests.count("api-get_line_status") == 48
    assert requests.count("api-get_accounts") == 4
    assert len(requests) <= 60


async def test_polls_never_overlap(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """Pushes during a slow poll wait for it; the phone never has two reads at once."""
    coordinator = coordinator_of(init_integration)
    client = coordinator.client
    read = client.get_line_status
    running = 0
    most = 0
    calls = 0

    async def counted() -> Any:
        nonlocal running, most, calls
        running += 1
        calls += 1
        most = max(most, running)
        try:
            return await read()
        finally:
            running -= 1

    sim.phone.set_faults(latency=0.2, endpoints=["api-get_line_status"])
    # Only the reads the pushes cause are counted: on a slow machine the 1 s poll of a
    # ringing phone would otherwise fall into the window too.
    with (
        patch.object(client, "get_line_status", counted),
        patch.object(coordinator, "_schedule_refresh"),
    ):
        refresh = hass.async_create_task(coordinator.async_refresh())
        await push(hass, init_integration, "incoming", "1001")
        await push(hass, init_integration, "missed", "1001")
        await refresh
        await hass.async_block_till_done()
    assert most == 1
    assert 2 <= calls <= 3


async def test_push_during_a_read_is_confirmed_by_the_next(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
) -> None:
    """A read that started before the event may not show it: one more read fires it."""
    coordinator = coordinator_of(init_integration)
    sim.phone.set_faults(latency=0.2, endpoints=["api-get_line_status"])
    before = reads(sim)
    refresh = hass.async_create_task(coordinator.async_refresh())
    await sim.phone.wait_for(lambda _: reads(sim) > before, timeout=5)
    sim.phone.incoming_call("1001", "Alice")
    coordinator.async_handle_push(PushEvent(slot=SLOTS_BY_CODE["incoming"]))
    await refresh
    await hass.async_block_till_done()
    assert reads(sim) == before + 2
    assert fired(changes) == [("incoming", 1, "1001", "Alice")]
    assert (state := hass.states.get(LINE_1)) and state.state == "ringing"


async def test_a_push_during_the_last_confirming_read_is_not_left_waiting(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
) -> None:
    """Events keep arriving while their reads run (a slow phone): each gets a read.

    The third push lands while the read for the second is under way; it must not
    wait for the next idle poll (75 s or more).
    """
    coordinator = coordinator_of(init_integration)
    sim.phone.set_faults(latency=0.2, endpoints=["api-get_line_status"])
    before = reads(sim)
    sim.phone.incoming_call("1001", "Alice")
    coordinator.async_handle_push(PushEvent(slot=SLOTS_BY_CODE["incoming"]))
    await sim.phone.wait_for(lambda _: reads(sim) > before, timeout=5)
    assert sim.phone.phone_operation("acceptcall")
    coordinator.async_handle_push(PushEvent(slot=SLOTS_BY_CODE["answered"]))
    await sim.phone.wait_for(lambda _: reads(sim) > before + 1, timeout=5)
    sim.phone.far_end_hangup(1)
    coordinator.async_handle_push(PushEvent(slot=SLOTS_BY_CODE["terminated"]))

    await sim.phone.wait_for(lambda _: reads(sim) > before + 2, timeout=5)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event[0] for event in fired(changes)] == ["incoming", "answered", "ended"]


async def test_a_push_after_shutdown_leaves_nothing_running(
    hass: HomeAssistant, init_integration: GxpConfigEntry, sim: SimulatedPhone
) -> None:
    """A push that lands while the entry unloads is dropped; no read loop is left."""
    coordinator = coordinator_of(init_integration)
    await coordinator.async_shutdown()
    before = reads(sim)
    coordinator.async_handle_push(PushEvent(slot=SLOTS_BY_CODE["incoming"]))
    async with asyncio.timeout(5):
        await hass.async_block_till_done(wait_background_tasks=True)
    assert reads(sim) == before


async def test_push_while_reads_fail_changes_nothing(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities stay unavailable (no flip to available and back), no error per push."""
    coordinator = coordinator_of(init_integration)
    sim.phone.faults.http_status = 500
    await coordinator.async_refresh()
    assert (state := hass.states.get(LINE_1)) and state.state == "unavailable"
    changes.clear()
    caplog.clear()

    for code in ("incoming", "answered", "terminated"):
        await push(hass, init_integration, code, "1001", "Alice")

    assert [c.data["entity_id"] for c in changes] == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    sim.phone.faults.http_status = None
    await coordinator.async_refresh()
    assert (state := hass.states.get(LINE_1)) and state.state == "idle"


@pytest.mark.parametrize(
    "order", [("terminated", "missed"), ("missed", "terminated")], ids=str
)
async def test_a_caller_who_gives_up_is_missed_in_either_order(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
    *,
    order: tuple[str, str],
) -> None:
    """Missed and Terminated may come in either order (cti-api.md §12): one `missed`."""
    coordinator = coordinator_of(init_integration)
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    assert sim.phone.far_end_hangup(1)
    client = await hass_client()

    for code in order:
        response = await client.get(
            f"{hook_path(init_integration)}?e={code}&m={SIM_MAC}&r=1001&n=Alice"
        )
        assert response.status == 200
    await hass.async_block_till_done()
    await coordinator.async_refresh()

    assert fired(changes) == [
        ("incoming", 1, "1001", "Alice"),
        ("missed", 1, "1001", "Alice"),
    ]


@pytest.mark.parametrize("push", [True, False], ids=["push", "polling"])
async def test_a_call_rejected_from_home_assistant_is_ended(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    changes: Changes,
    *,
    device_id: str,
    push: bool,
) -> None:
    """Rejected by Home Assistant: `ended`, whether push or a read reports it first."""
    coordinator = coordinator_of(init_integration)
    if push:
        client = await hass_client()
        point_phone_at(sim, str(client.make_url(hook_path(init_integration))))
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()
    sent = len(sim.phone.action_urls.sent)

    await hass.services.async_call(
        DOMAIN, "hang_up", {"device_id": device_id}, blocking=True, return_response=True
    )
    if push:
        await sim.phone.wait_for(lambda phone: len(phone.action_urls.sent) > sent)
    await hass.async_block_till_done()
    await coordinator.async_refresh()

    assert fired(changes)[-1] == ("ended", 1, "1001", "Alice")
    assert [kind for kind, *_ in fired(changes)] == ["incoming", "ended"]


async def test_a_transfer_the_phone_reports_can_be_completed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
    sim: SimulatedPhone,
    device_id: str,
) -> None:
    """An attended transfer started at the desk counts once the phone pushes P8321."""
    coordinator = coordinator_of(init_integration)
    phone = sim.phone
    phone.incoming_call("1001", "Alice")
    assert phone.phone_operation("acceptcall")
    phone.press_keys(["XFER"])
    await phone.wait_for_lines("onhold")
    phone.press_keys(["1", "0", "0", "2", "#"])
    await phone.wait_for_lines("onhold", "connected")
    await coordinator.async_refresh()
    client = await hass_client()
    await client.get(
        f"{hook_path(init_integration)}?e=attended_transfer&m={SIM_MAC}&r=1001"
    )
    await hass.async_block_till_done()

    await hass.services.async_call(
        DOMAIN,
        "complete_transfer",
        {"device_id": device_id},
        blocking=True,
        return_response=True,
    )

    assert [(t.kind, t.target) for t in phone.transfers] == [("attended", "1002")]


# --- parsing, URLs, lines ---------------------------------------------------------


def test_parse_plain_mapping_and_unsubstituted_variables() -> None:
    """A phone that does not know a variable sends it as written: it counts as empty."""
    event = parse_push({"e": "hold", "m": SIM_MAC, "r": "$remote", "n": " Bob "}, MAC)
    assert event == PushEvent(
        slot=SLOTS_BY_CODE["hold"], remote_number="", remote_name="Bob"
    )
    assert parse_push({"e": "hold", "m": SIM_MAC}, None) is None


async def test_urls_fit_the_phone(hass: HomeAssistant) -> None:
    """Every template stays well under the phone's 256 characters."""
    webhook_id = webhook.async_generate_id()
    for slot, url in action_urls(hass, webhook_id):
        assert url.startswith("http")
        # Nothing a phone fills with a space, `&` or `#` (cti-api.md §12).
        assert url.endswith(f"?e={slot.code}&m=$mac")
        assert len(url) <= 200
    assert format_action_urls(hass, None) == "-"


async def test_url_without_a_known_address(hass: HomeAssistant) -> None:
    """Without any URL of Home Assistant, the user sees where to put the address."""
    with patch(
        "homeassistant.components.webhook.get_url",
        side_effect=webhook_url.__globals__["NoURLAvailableError"],
    ):
        assert webhook_url(hass, "abc").startswith(URL_PLACEHOLDER)


@pytest.mark.parametrize(
    ("internal_url", "expected"),
    [
        # Phones resolve no mDNS name, nor often a local one: the IP it serves on.
        ("http://homeassistant.local:8123", "http://10.10.10.10:8123"),
        ("http://homeassistant:8123", "http://10.10.10.10:8123"),
        # An IP the owner configured is kept as it is.
        ("http://192.168.1.20:8123", "http://192.168.1.20:8123"),
    ],
)
async def test_urls_use_an_ip(
    hass: HomeAssistant,
    init_integration: GxpConfigEntry,
    internal_url: str,
    expected: str,
) -> None:
    """The URLs handed out point at an IP, whatever name the internal URL uses."""
    await hass.config.async_update(internal_url=internal_url)
    assert hass.config.api is not None
    assert hass.config.api.local_ip == "10.10.10.10"
    assert webhook_url(hass, "abc") == f"{expected}/api/webhook/abc"


# --- one event, however many times it is reported ---------------------------------

T0 = datetime(2026, 11, 26, 10, tzinfo=UTC)


def ev(kind: str, number: str = "1001", line: int = 1) -> CallEvent:
    """Return a call event."""
    return CallEvent(
        type=CallEventType(kind), line=line, remote_number=number, remote_name=""
    )


def at(seconds: float) -> datetime:
    """Return the time `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


def test_push_then_poll_fires_once() -> None:
    """The confirming poll's report of a pushed event is dropped, once."""
    dedupe = EventDeduplicator(DUPLICATE_WINDOW)
    assert dedupe.admit(ev("incoming"), Source.PUSH, at(0))
    assert not dedupe.admit(ev("incoming"), Source.POLL, at(0.5))
    # Answered and Established from the phone, then the poll: one event.
    assert dedupe.admit(ev("answered"), Source.PUSH, at(5))
    assert not dedupe.admit(ev("answered"), Source.PUSH, at(5.1))
    assert not dedupe.admit(ev("answered"), Source.POLL, at(6))
    # Rejected (ended) pushed, the poll sees a ringing call gone (missed): one event.
    assert dedupe.admit(ev("ended"), Source.PUSH, at(10))
    assert not dedupe.admit(ev("missed"), Source.POLL, at(10.5))


def test_poll_then_push_fires_once() -> None:
    """A push arriving just after a poll found the change is dropped."""
    dedupe = EventDeduplicator(DUPLICATE_WINDOW)
    assert dedupe.admit(ev("incoming"), Source.POLL, at(0))
    assert not dedupe.admit(ev("incoming"), Source.PUSH, at(0.8))
    assert dedupe.admit(ev("missed"), Source.PUSH, at(3))


def test_new_events_are_news() -> None:
    """A caller ringing twice, another number, or a late report all fire."""
    dedupe = EventDeduplicator(DUPLICATE_WINDOW)
    assert dedupe.admit(ev("incoming"), Source.PUSH, at(0))
    assert not dedupe.admit(ev("incoming"), Source.POLL, at(0.2))
    # The pushed event was used up: a second poll report is a second call.
    assert dedupe.admit(ev("incoming"), Source.POLL, at(1))
    # Polls never repeat themselves.
    assert dedupe.admit(ev("incoming"), Source.POLL, at(2))
    # Another number is another call.
    assert dedupe.admit(ev("incoming", "1002", 2), Source.PUSH, at(3))
    # The same event after the window is news.
    assert dedupe.admit(ev("held"), Source.PUSH, at(10))
    assert dedupe.admit(ev("held"), Source.POLL, at(10) + DUPLICATE_WINDOW * 2)


def test_numbers_are_compared_loosely() -> None:
    """`sip:1001@pbx` is 1001, and an event without a number matches any."""
    dedupe = EventDeduplicator(DUPLICATE_WINDOW)
    assert dedupe.admit(ev("outgoing", "sip:1001@pbx.example"), Source.PUSH, at(0))
    assert not dedupe.admit(ev("outgoing", "1001"), Source.POLL, at(0.1))
    assert dedupe.admit(ev("held", ""), Source.PUSH, at(1))
    assert not dedupe.admit(ev("held", "1001"), Source.POLL, at(1.1))


# --- what an event implies for the lines ------------------------------------------


def line(number: int, state: str, remote: str = "") -> LineStatus:
    """Return one line's status."""
    return LineStatus(
        line=number,
        state=LineState(state),
        raw_state=state,
        account=0,
        remote_number=remote,
        remote_name="",
        active=state != "idle",
        conference=None,
    )


def states(lines: tuple[LineStatus, ...]) -> list[tuple[str | None, str]]:
    """Return (state, remote number) per line."""
    return [(ln.state, ln.remote_number) for ln in lines]


def test_apply_push_finds_the_line() -> None:
    """By number first, then the free line for a new call, else the only call."""
    two = (line(1, "connected", "1001"), line(2, "idle"))
    lines, event = apply_push(two, CallEventType.INCOMING, "1002", "Bob")
    assert states(lines) == [("connected", "1001"), ("ringing", "1002")]
    assert event.line == 2

    lines, event = apply_push(two, CallEventType.HELD, "1001", "")
    assert states(lines) == [("onhold", "1001"), ("idle", "")]
    assert (event.line, event.remote_number) == (1, "1001")

    # Without a number, the only call is meant, and it keeps its number.
    lines, event = apply_push(two, CallEventType.ENDED, "", "")
    assert states(lines) == [("idle", ""), ("idle", "")]
    assert (event.line, event.remote_number) == (1, "1001")

    # A number on no line, with another call up: the lines stay as they are.
    lines, event = apply_push(two, CallEventType.ENDED, "1009", "")
    assert lines == two
    assert event.line == 0

    # No free line for a new call.
    full = (line(1, "connected", "1001"), line(2, "onhold", "1003"))
    lines, event = apply_push(full, CallEventType.OUTGOING, "1004", "")
    assert lines == full
    assert event.line == 0

    # A transfer says nothing certain about the line: the poll tells.
    lines, event = apply_push(two, CallEventType.TRANSFERRED, "1001", "")
    assert lines == two
    assert event.line == 1


def test_resolve_push_names_the_caller_from_the_reads() -> None:
    """The read after the event names a new call; the read before, one that went."""
    idle = (line(1, "idle"), line(2, "idle"))
    ringing = (line(1, "ringing", "+49 30 1234567"), line(2, "idle"))
    answered = (line(1, "connected", "+49 30 1234567"), line(2, "idle"))
    event = resolve_push(idle, ringing, CallEventType.INCOMING)
    assert (event.line, event.remote_number) == (1, "+49 30 1234567")
    # Answered before the read: still the call that rang.
    event = resolve_push(idle, answered, CallEventType.INCOMING)
    assert (event.line, event.remote_number) == (1, "+49 30 1234567")
    event = resolve_push(answered, idle, CallEventType.ENDED)
    assert (event.line, event.remote_number) == (1, "+49 30 1234567")
    # The second of two calls: the pushed number, else the line that changed.
    two = (line(1, "connected", "1001"), line(2, "ringing", "1002"))
    one = (line(1, "connected", "1001"), line(2, "idle"))
    event = resolve_push(one, two, CallEventType.INCOMING)
    assert (event.line, event.remote_number) == (2, "1002")
    # Over before the read: what the URL said, if anything.
    event = resolve_push(idle, idle, CallEventType.INCOMING, "+4930", "Bob")
    assert (event.line, event.remote_number, event.remote_name) == (1, "+4930", "Bob")
