"""The option that writes the Action URLs into the phone's slots (and gives them back)."""

from collections.abc import Mapping
import logging
import re
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_WEBHOOK_ID, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.grandstream_gxp import action_url_writer
from custom_components.grandstream_gxp.action_urls import SLOTS, slot_url, webhook_url
from custom_components.grandstream_gxp.const import (
    CONF_ACTION_URLS_FINGERPRINT,
    CONF_PUSH_SEEN,
    CONF_WRITE_ACTION_URLS,
    DOMAIN,
)
from custom_components.grandstream_gxp.cti import CtiError
from custom_components.grandstream_gxp.issues import (
    ACTION_URL_SLOTS_TAKEN,
    entry_issue_id,
)
from custom_components.grandstream_gxp.repairs import (
    SlotsTakenRepairFlow,
    async_create_fix_flow,
)
from gxp_simulator import SimulatedPhone
from gxp_simulator.action_url import event_name

FOREIGN = "http://crm.example/call?n=$remote"


def expected(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return the URLs the entry writes, by simulator event name."""
    base = webhook_url(hass, entry.data[CONF_WEBHOOK_ID])
    return {event_name(slot.pvalue): slot_url(base, slot) for slot in SLOTS}


async def setup(
    hass: HomeAssistant, entry: MockConfigEntry, *, write: bool = True
) -> None:
    """Set up the entry with the option, and wait for the background write."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={CONF_WRITE_ACTION_URLS: write}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def logins(sim: SimulatedPhone) -> int:
    """How many web logins the phone saw."""
    return sim.phone.requests.count("dologin")


async def test_writes_empty_slots(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """Empty slots get our URLs, in one session that logs out; no issue."""
    await setup(hass, mock_config_entry)
    assert sim.phone.settings.action_urls == expected(hass, mock_config_entry)
    assert logins(sim) == 1
    assert sim.phone.requests.count("dologout") == 1
    assert sim.phone.auth.sessions == {}
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, ACTION_URL_SLOTS_TAKEN)
    )

    # The same URLs as last written: a reload does not even log in.
    fingerprint = mock_config_entry.data[CONF_ACTION_URLS_FINGERPRINT]
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    sim.phone.requests.clear()
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert logins(sim) == 0
    assert sim.phone.requests.count("api.values.get") == 0
    await hass.config_entries.async_unload(mock_config_entry.entry_id)

    # With the option off the slots may change by hand: switched on again, it looks.
    await setup(hass, mock_config_entry, write=False)
    assert CONF_ACTION_URLS_FINGERPRINT not in mock_config_entry.data
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await setup(hass, mock_config_entry)
    assert logins(sim) == 1
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_changed_urls_are_written_again(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """Home Assistant's address changed: the next setup logs in and writes again."""
    hass.config.internal_url = "http://192.0.2.5:8123"
    await setup(hass, mock_config_entry)
    first = mock_config_entry.data[CONF_ACTION_URLS_FINGERPRINT]
    await hass.config_entries.async_unload(mock_config_entry.entry_id)

    hass.config.internal_url = "http://192.0.2.6:8123"
    sim.phone.requests.clear()
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert logins(sim) == 1
    assert sim.phone.settings.action_urls == expected(hass, mock_config_entry)
    assert mock_config_entry.data[CONF_ACTION_URLS_FINGERPRINT] != first
    # The fingerprint is a hash: the webhook id is not in the entry twice.
    assert mock_config_entry.data[CONF_WEBHOOK_ID] not in repr(
        {k: v for k, v in mock_config_entry.data.items() if k != CONF_WEBHOOK_ID}
    )
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.mark.parametrize(
    "phone_settings",
    [{"action_urls": {"incoming_call": FOREIGN, "missed_call": "http://old/x"}}],
)
async def test_foreign_slot_kept_then_repaired(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A slot in use is left and named in a fixable issue; fixing overwrites it."""
    # An old URL of ours (another address, same webhook id) is ours to replace.
    await setup(hass, mock_config_entry, write=False)
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    webhook_id = mock_config_entry.data[CONF_WEBHOOK_ID]
    sim.phone.settings.action_urls["missed_call"] = (
        f"http://old/api/webhook/{webhook_id}"
    )
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_WRITE_ACTION_URLS: True}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    want = expected(hass, mock_config_entry)
    urls = sim.phone.settings.action_urls
    assert urls["incoming_call"] == FOREIGN
    assert {k: v for k, v in urls.items() if k != "incoming_call"} == {
        k: v for k, v in want.items() if k != "incoming_call"
    }
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, ACTION_URL_SLOTS_TAKEN)
    )
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "name": mock_config_entry.title,
        "slots": "Incoming Call (P8310)",
    }
    # Not all written: no fingerprint, so the next setup looks again.
    assert CONF_ACTION_URLS_FINGERPRINT not in mock_config_entry.data

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    resp = await client.post(
        "/api/repairs/issues/fix",
        json={
            "handler": DOMAIN,
            "issue_id": entry_issue_id(mock_config_entry, ACTION_URL_SLOTS_TAKEN),
        },
    )
    assert resp.status == 200
    flow: dict[str, Any] = await resp.json()
    assert flow["step_id"] == "confirm"
    # The confirmation names the slots, as the issue did (its text moved into the flow).
    assert flow["description_placeholders"] == {
        "name": mock_config_entry.title,
        "slots": "Incoming Call (P8310)",
    }
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert resp.status == 200
    assert (await resp.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert sim.phone.settings.action_urls == want
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, ACTION_URL_SLOTS_TAKEN)
    )
    assert CONF_ACTION_URLS_FINGERPRINT in mock_config_entry.data
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_repair_flow_aborts(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not loaded, or the phone refuses: the flow aborts."""
    flow = await async_create_fix_flow(hass, "x", None)
    assert isinstance(flow, SlotsTakenRepairFlow)
    flow.hass = hass
    result = await flow.async_step_init()
    assert result["type"] == "abort"
    assert result["reason"] == "not_loaded"

    await setup(hass, mock_config_entry)
    flow = await async_create_fix_flow(
        hass, "x", {"entry_id": mock_config_entry.entry_id}
    )
    assert isinstance(flow, SlotsTakenRepairFlow)
    flow.hass = hass
    sim.phone.auth.password = "changed"  # noqa: S105
    result = await flow.async_step_confirm({})
    assert result["reason"] == "cannot_write"

    # A phone that does not keep what it was sent.
    sim.phone.auth.password = mock_config_entry.data[CONF_PASSWORD]
    monkeypatch.setattr(sim.phone, "set_pvalue", lambda _name, _value: None)
    sim.phone.settings.action_urls.clear()
    result = await flow.async_step_confirm({})
    assert result["reason"] == "cannot_write"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.mark.parametrize(
    "phone_settings", [{"action_urls": {"incoming_call": FOREIGN}}]
)
async def test_release_on_removal(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """Removing the entry clears our slots and leaves the foreign one."""
    await setup(hass, mock_config_entry)
    assert len(sim.phone.settings.action_urls) == len(SLOTS)
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert sim.phone.settings.action_urls == {"incoming_call": FOREIGN}
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, entry_issue_id(mock_config_entry, ACTION_URL_SLOTS_TAKEN)
    )


async def test_release_failure_is_only_logged(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A phone that refuses the login at removal: a log line, removal goes on."""
    await setup(hass, mock_config_entry)
    sim.phone.auth.password = "changed"  # noqa: S105
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert "cannot clear the Action URLs" in caplog.text
    assert len(sim.phone.settings.action_urls) == len(SLOTS)


@pytest.mark.parametrize("phone_settings", [{"user_password": "user-only"}])
async def test_wrong_admin_password_one_attempt(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The user password drives CTI but not the web login: one attempt, a log line."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_PASSWORD: "user-only"},
    )
    with caplog.at_level(logging.WARNING):
        await setup(hass, mock_config_entry)
    assert logins(sim) == 1
    assert sim.phone.auth.failures == 1
    assert sim.phone.settings.action_urls == {}
    assert "the web login was refused" in caplog.text
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_phone_error_is_logged(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any other phone error is one log line; setup is not affected."""
    monkeypatch.setattr(sim.phone, "set_pvalue", lambda _name, _value: None)
    await setup(hass, mock_config_entry)
    assert "did not keep the Action URLs" in caplog.text
    await hass.config_entries.async_unload(mock_config_entry.entry_id)

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise CtiError("boom")

    caplog.clear()
    monkeypatch.setattr(action_url_writer, "async_write_slots", broken)
    await action_url_writer.async_sync_slots(hass, mock_config_entry)
    assert "cannot write the Action URLs: boom" in caplog.text


@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_gxp1165_does_nothing(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """No slots, no login: the option has no effect on the GXP116x."""
    await setup(hass, mock_config_entry)
    assert logins(sim) == 0
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert logins(sim) == 0


async def test_option_off_no_login(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """With the option off, neither setup nor removal logs in."""
    await setup(hass, mock_config_entry, write=False)
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert logins(sim) == 0
    assert sim.phone.settings.action_urls == {}


async def test_written_slots_bring_events(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The phone sends its events to the URLs written into it, and they arrive."""
    # The integration and its dependencies (frontend, webhook) register their routes
    # before the test client freezes the router.
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client()
    hass.config.internal_url = str(client.make_url("/")).rstrip("/")
    await setup(hass, mock_config_entry)
    sim.phone.incoming_call("1002", "Bob")
    await sim.phone.wait_for(lambda p: bool(p.action_urls.sent), timeout=5)
    sent = sim.phone.action_urls.sent[0]
    assert sent.event == "incoming_call"
    assert sent.status == 200
    assert mock_config_entry.data[CONF_PUSH_SEEN]
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_previous_versions_urls_are_replaced(
    hass: HomeAssistant, sim: SimulatedPhone, mock_config_entry: MockConfigEntry
) -> None:
    """Slots holding an earlier version's URLs (caller variables in them) get the new ones.

    Filled in verbatim, `n=$display_remote` makes a request Home Assistant refuses
    (cti-api.md §12), so they must not stay in the phone.
    """
    await setup(hass, mock_config_entry, write=False)
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    want = expected(hass, mock_config_entry)
    sim.phone.settings.update(
        action_urls={
            name: f"{url}&r=$remote&n=$display_remote" for name, url in want.items()
        }
    )
    await setup(hass, mock_config_entry)
    assert sim.phone.settings.action_urls == want
    assert all("$display_remote" not in url for url in want.values())
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


@pytest.mark.parametrize(
    "phone_settings",
    [
        # The worst a phone does to its URLs (cti-api.md §12, N2): values verbatim,
        # the MAC with dashes in capitals, a one-session web login (WP826 1.0.3.35).
        {"mac_notation": "dashes", "mac_upper": True, "single_session": True},
    ],
)
async def test_verbatim_phone_delivers_worst_case_callers(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """URLs written into a phone that fills them verbatim still bring every event.

    The caller's name has a space, `&` and `#`, the number a leading `+` and spaces:
    the event and the line sensor name them, from the confirming read.
    """
    assert sim.phone.settings.action_url_encoding == "verbatim"
    # The integration and its dependencies (frontend, webhook) register their routes
    # before the test client freezes the router.
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client()
    hass.config.internal_url = str(client.make_url("/")).rstrip("/")
    events: list[Mapping[str, Any]] = []

    @callback
    def note(change: Event[EventStateChangedData]) -> None:
        new = change.data["new_state"]
        entity = change.data["entity_id"]
        if (
            entity == "event.grandstream_gxp2170_call"
            and new
            and new.state != "unknown"
        ):
            events.append(new.attributes)

    hass.bus.async_listen(EVENT_STATE_CHANGED, note)
    await setup(hass, mock_config_entry)
    assert logins(sim) == 1

    sim.phone.incoming_call("+49 30 1234567", "John Doe & Sons #2")
    await sim.phone.wait_for(lambda p: bool(p.action_urls.sent), timeout=5)
    await hass.async_block_till_done(wait_background_tasks=True)
    sent = sim.phone.action_urls.sent
    # The raw request line carried the MAC only; the phone got 200s.
    assert all(request.status == 200 for request in sent)
    assert [e.get("event_type") for e in events] == ["incoming"]
    assert events[-1]["remote_number"] == "+49 30 1234567"
    assert events[-1]["remote_name"] == "John Doe & Sons #2"
    line = hass.states.get("sensor.grandstream_gxp2170_line_1")
    assert line is not None
    assert line.state == "ringing"
    assert line.attributes["remote_name"] == "John Doe & Sons #2"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
