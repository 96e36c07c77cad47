"""The integration's actions, driven as a user would: hass.services.async_call."""

from typing import Any

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
import voluptuous as vol

from custom_components.grandstream_gxp.const import CONF_LEARNED_SWAP, DOMAIN
from custom_components.grandstream_gxp.cti import CtiCommandError, LineStatus
from custom_components.grandstream_gxp.cti.call_control import SwapMethod
from gxp_simulator import SimulatedPhone

from .common import call, keys_sent
from .conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("init_integration")

BOTH_MODELS = pytest.mark.parametrize("phone_model", ["GXP1165", "GXP2170"])


@pytest.fixture
def phone_timing() -> str:
    """Call control and events run on the realistic phone (issue 11)."""
    return "realistic"


async def connected_call(
    sim: SimulatedPhone, hass: HomeAssistant, device_id: str
) -> None:
    """Let Alice call and answer through the action."""
    sim.phone.incoming_call("1001", "Alice")
    await call(hass, "answer", device_id)
    sim.phone.requests.clear()


@BOTH_MODELS
async def test_attended_transfer_and_complete(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """From one call: line 1 on hold and line 2 to 1002; complete leaves all idle."""
    await connected_call(sim, hass, device_id)

    response = await call(hass, "transfer", device_id, number="1002")

    assert response is not None
    assert response["verified"] is True  # False only on a keys-only phone
    states = [line["state"] for line in response["lines"]]
    assert states[0] == "onhold"
    assert states[1] in {"calling", "connected"}
    await sim.phone.wait_for_lines("onhold", "connected")
    assert sim.phone.line(2).remote_number == "1002"
    assert keys_sent(sim) == ["XFER", "1:0:0:2:#"]
    raw = [rec.raw_query for rec in sim.phone.requests.for_endpoint("api-send_key")]
    assert raw[1].endswith("keys=1:0:0:2:%23")

    response = await call(hass, "complete_transfer", device_id)

    assert response is not None
    assert {line["state"] for line in response["lines"]} == {"idle"}
    assert keys_sent(sim)[-1] == "XFER"
    assert sim.phone.line_states() == ["idle"] * len(sim.phone.line_states())
    assert [t.kind for t in sim.phone.transfers] == ["attended"]


@BOTH_MODELS
async def test_blind_transfer(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Blind with Auto-Attended Transfer on: XFER, the number, XFER."""
    await connected_call(sim, hass, device_id)

    await call(hass, "transfer", device_id, number="1002", mode="blind")

    assert keys_sent(sim) == ["XFER", "1:0:0:2:XFER"]
    assert set(sim.phone.line_states()) == {"idle"}
    assert [(t.kind, t.target) for t in sim.phone.transfers] == [("blind", "1002")]


@BOTH_MODELS
async def test_cancel_transfer(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Cancel ends the consultation and takes the caller back."""
    await connected_call(sim, hass, device_id)
    await call(hass, "transfer", device_id, number="1002")
    await sim.phone.wait_for_lines("onhold", "connected")

    await call(hass, "cancel_transfer", device_id)

    assert sim.phone.line_states()[:2] == ["connected", "idle"]
    assert sim.phone.line(1).remote_number == "1001"
    assert sim.phone.transfers == []


@pytest.mark.parametrize(
    ("phone_model", "phone_settings"),
    [("GXP2170", {}), ("GXP1165", {"line_keys_select_calls": True})],
)
async def test_swap(hass: HomeAssistant, sim: SimulatedPhone, device_id: str) -> None:
    """Swap presses the held call's line key and never XFER."""
    await connected_call(sim, hass, device_id)
    await call(hass, "transfer", device_id, number="1002")
    await sim.phone.wait_for_lines("onhold", "connected")

    response = await call(hass, "swap", device_id)

    assert response is not None
    assert [line["state"] for line in response["lines"]][:2] == ["connected", "onhold"]
    assert keys_sent(sim)[-1] == "LINE1"
    assert keys_sent(sim).count("XFER") == 1


@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_swap_unsupported_on_a_factory_gxp1165(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """No method works: a translated error, and the calls stay where they were."""
    await connected_call(sim, hass, device_id)
    await call(hass, "transfer", device_id, number="1002")
    await sim.phone.wait_for_lines("onhold", "connected")

    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "swap", device_id)

    assert caught.value.translation_key == "swap_unsupported"
    assert sim.phone.line_states() == ["onhold", "connected"]


async def test_send_key_sends_hash_as_percent_23(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """`#` travels as %23 and `*` as STAR; the password reaches the phone intact."""
    await call(hass, "send_key", device_id, keys="*72 1002#")

    records = sim.phone.requests.for_endpoint("api-send_key")
    assert records[-1].raw_query.endswith("keys=STAR:7:2:1:0:0:2:%23")
    assert all(rec.query["passcode"] == PASSWORD for rec in sim.phone.requests)


async def test_send_key_with_delay_sends_one_request_per_key(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """A delay spreads the keys over separate requests."""
    await call(hass, "send_key", device_id, keys="VUP, VDOWN", delay=0.01)
    assert keys_sent(sim) == ["VUP", "VDOWN"]


@pytest.mark.parametrize("keys", ["FLASH", "XFER 12 BOGUS", "LINE99"])
async def test_unknown_key_is_refused_before_any_request(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str, keys: str
) -> None:
    """A translated error names the key; nothing reaches the phone."""
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "send_key", device_id, keys=keys)
    assert caught.value.translation_key == "unknown_key"
    assert keys_sent(sim) == []


@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_keys_beyond_the_model_are_refused(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """The GXP116x has two call appearances and no MPKs: LINE3 and MPK1 are refused."""
    for key in ("LINE3", "MPK1"):
        with pytest.raises(ServiceValidationError) as caught:
            await call(hass, "send_key", device_id, keys=key)
        assert caught.value.translation_placeholders == {"key": key}
    assert keys_sent(sim) == []


async def test_wrong_call_state_says_what_it_found(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Transfer with no call: refused before any key, naming the phone's state."""
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "transfer", device_id, number="1002")
    assert caught.value.translation_key == "no_connected_call"
    assert caught.value.translation_placeholders == {"found": "all lines idle"}
    assert keys_sent(sim) == []


async def test_call_handling_actions(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Answer, hold, resume, DTMF and hang up, each verified on the phone."""
    sim.phone.incoming_call("1001", "Alice")
    await call(hass, "answer", device_id, line=1)
    assert sim.phone.line_states()[0] == "connected"

    await call(hass, "hold", device_id)
    assert sim.phone.line_states()[0] == "onhold"
    await call(hass, "resume", device_id)
    assert sim.phone.line_states()[0] == "connected"

    await call(hass, "send_dtmf", device_id, digits="42#")
    await sim.phone.wait_for(lambda p: p.dtmf_log == "42#")  # keys play after the reply

    response = await call(hass, "hang_up", device_id)
    assert response is not None
    assert {line["state"] for line in response["lines"]} == {"idle"}


@pytest.mark.parametrize("phone_settings", [{"click_to_dial": True}])
async def test_dial_with_account(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """The action's account counts from 1; the phone's from 0."""
    await call(hass, "dial", device_id, number="1002", account=1)

    request = sim.phone.requests.for_endpoint("api-make_call")[0]
    assert request.query["phonenumber"] == "1002"
    assert request.query["account"] == "0"
    assert sim.phone.line_states()[0] in {"calling", "connected"}


async def test_bad_number_is_refused(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Letters in a number are refused by the action's schema."""
    with pytest.raises(vol.Invalid):
        await call(hass, "dial", device_id, number="call me")


@pytest.mark.parametrize("phone_model", ["GXP1165"])
async def test_phone_refusing_a_key_is_a_command_error(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: MockConfigEntry,
) -> None:
    """The phone answers `unknown` to LINE1: the action fails with the phone's answer."""
    hass.config_entries.async_update_entry(
        init_integration, options={"swap_method": "line_key"}
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await connected_call(sim, hass, device_id)
    await call(hass, "transfer", device_id, number="1002")
    await sim.phone.wait_for_lines("onhold", "connected")

    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "swap", device_id)
    assert caught.value.translation_key == "command_failed"
    assert caught.value.translation_placeholders == {"answer": "unknown"}


async def test_phone_down_during_an_action(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """An unreachable phone is a HomeAssistantError, not a validation error."""
    await sim.stop_listening()
    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "hold", device_id)
    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "cannot_connect"


async def test_unknown_device_and_unloaded_entry(
    hass: HomeAssistant, device_id: str, init_integration: MockConfigEntry
) -> None:
    """The device must be a loaded phone of this integration."""
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "hold", "not-a-device")
    assert caught.value.translation_key == "invalid_device"

    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "hold", device_id)
    assert caught.value.translation_key == "not_loaded"


@pytest.mark.parametrize(
    ("action", "data", "reason"),
    [
        ("answer", {}, "no_ringing_call"),
        ("hang_up", {}, "no_call"),
        ("hold", {}, "no_connected_call"),
        ("resume", {}, "no_held_call"),
        ("hold", {"line": 13}, "no_such_line"),
        ("complete_transfer", {}, "no_transfer_in_progress"),
        ("cancel_transfer", {}, "no_transfer_in_progress"),
        ("swap", {}, "two_calls_needed"),
        ("send_dtmf", {"digits": "1"}, "no_connected_call"),
        ("transfer", {"number": "1002", "mode": "blind"}, "no_connected_call"),
    ],
)
async def test_actions_refused_on_an_idle_phone(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    *,
    action: str,
    data: dict[str, Any],
    reason: str,
) -> None:
    """Each action says why it cannot act, and nothing reaches the phone but reads."""
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, action, device_id, **data)
    assert caught.value.translation_key == reason
    assert {rec.endpoint for rec in sim.phone.requests} <= {
        "api-get_line_status",
        "api-get_accounts",
    }


@pytest.mark.parametrize(
    "phone_settings", [{"transfer_handover": (3.0, 3.0), "click_to_dial": False}]
)
@pytest.mark.parametrize("mode", ["blind", "attended"])
async def test_a_three_second_hand_over_is_waited_for(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str, mode: str
) -> None:
    """The PBX takes 3 s from REFER to NOTIFY; the lines show `transfered` meanwhile.

    Blind: the action waits it out and answers with the lines idle. Attended: the
    completion does the same. Nothing is called a failed transfer.
    """
    await connected_call(sim, hass, device_id)
    if mode == "attended":
        await call(hass, "transfer", device_id, number="1002")
        await sim.phone.wait_for_lines("onhold", "connected")
        response = await call(hass, "complete_transfer", device_id)
    else:
        response = await call(hass, "transfer", device_id, number="1002", mode="blind")

    assert response is not None
    assert {line["state"] for line in response["lines"]} == {"idle"}
    assert [t.target for t in sim.phone.transfers] == ["1002"]


async def call_waiting(
    sim: SimulatedPhone, hass: HomeAssistant, device_id: str
) -> None:
    """Alice on hold, then Bob's waiting call answered: two calls, no transfer."""
    await connected_call(sim, hass, device_id)
    await call(hass, "hold", device_id)
    sim.phone.incoming_call("1003", "Bob")
    await call(hass, "answer", device_id, line=2)
    sim.phone.requests.clear()


@pytest.mark.parametrize("action", ["complete_transfer", "cancel_transfer"])
async def test_no_transfer_with_a_held_call_and_call_waiting(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str, action: str
) -> None:
    """A held call and an unrelated second call are no transfer: nothing is pressed."""
    await call_waiting(sim, hass, device_id)

    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, action, device_id)

    assert caught.value.translation_key == "no_transfer_in_progress"
    assert {rec.endpoint for rec in sim.phone.requests} == {"api-get_line_status"}
    assert sim.phone.line_states()[:2] == ["onhold", "connected"]
    assert sim.phone.transfers == []


@pytest.mark.parametrize("phone_settings", [{"auto_attended_transfer": False}])
async def test_attended_transfer_handed_over_blind_by_the_phone(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: MockConfigEntry,
) -> None:
    """The phone's factory setting turns XFER number # into a blind transfer [C S1].

    The option says on; the caller is gone to 1002. The action says so truthfully,
    names the phone's setting, the event is `transferred`, and a repair issue stays.
    """
    await connected_call(sim, hass, device_id)

    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "transfer", device_id, number="1002")
    await hass.async_block_till_done()

    assert caught.value.translation_key == "transferred_blind_auto_attended_off"
    assert [(t.kind, t.target) for t in sim.phone.transfers] == [("blind", "1002")]
    await init_integration.runtime_data.coordinator.async_refresh()
    event = hass.states.get("event.grandstream_gxp2170_call")
    assert event is not None
    assert event.attributes["event_type"] == "transferred"
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"auto_attended_mismatch_{init_integration.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {"name": init_integration.title}

    # Set the option off (the options flow reloads the entry): the issue goes.
    hass.config_entries.async_update_entry(
        init_integration, options={"auto_attended_transfer": False}
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"auto_attended_mismatch_{init_integration.entry_id}"
        )
        is None
    )


@pytest.mark.parametrize(
    ("phone_settings", "method", "keys"),
    [
        ({"click_to_dial": True}, "click_to_dial", []),
        ({"click_to_dial": False}, "keys", ["1:0:0:2:SEND"]),
    ],
)
async def test_dial_says_how_the_call_was_placed(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    method: str,
    keys: list[str],
) -> None:
    """Click-to-dial where the phone allows it, else keys; the response says which."""
    response = await call(hass, "dial", device_id, number="1002")

    assert response is not None
    assert response["method"] == method
    assert response["lines"][0]["state"] in {"calling", "connected"}
    assert keys_sent(sim) == keys


async def test_dial_falls_back_to_keys_on_invalid_request(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: MockConfigEntry,
) -> None:
    """The vendor's answer for Click-To-Dial off is "Invalid Request" [VENDOR-CODE N1]."""
    client = init_integration.runtime_data.client

    async def refuse(number: str, account: int | None = None) -> None:
        raise CtiCommandError("api-make_call", "Invalid Request")

    client.make_call = refuse
    response = await call(hass, "dial", device_id, number="1002")

    assert response is not None
    assert response["method"] == "keys"
    assert keys_sent(sim) == ["1:0:0:2:SEND"]


@pytest.mark.parametrize("phone_settings", [{"click_to_dial": False}])
async def test_dial_from_an_account_needs_click_to_dial(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Keys dial from the default account only: with an account, refused, no keys."""
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "dial", device_id, number="1002", account=1)

    assert caught.value.translation_key == "account_needs_click_to_dial"
    assert len(sim.phone.requests.for_endpoint("api-make_call")) == 1
    assert keys_sent(sim) == []
    assert set(sim.phone.line_states()) == {"idle"}


@pytest.mark.parametrize("phone_settings", [{"click_to_dial": True}])
@pytest.mark.parametrize(
    ("account", "reason"), [(2, "account_not_registered"), (7, "no_such_account")]
)
async def test_dial_from_an_unusable_account_is_refused_before_sending(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    account: int,
    reason: str,
) -> None:
    """The GXP2170 has 6 accounts, only account 1 registered: nothing is sent."""
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "dial", device_id, number="1002", account=account)

    assert caught.value.translation_key == reason
    assert caught.value.translation_placeholders == {"account": str(account)}
    assert sim.phone.requests.for_endpoint("api-make_call") == []


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("dial", {"number": "12a"}),
        ("dial", {"number": "1+2"}),
        ("dial", {"number": "#"}),
        ("transfer", {"number": "+4930123"}),
        ("transfer", {"number": "10 02x"}),
        ("send_dtmf", {"digits": "12 3"}),
        ("send_dtmf", {"digits": "+1"}),
    ],
)
async def test_numbers_and_digits_are_checked_by_the_schema(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    action: str,
    data: dict[str, Any],
) -> None:
    """The schema refuses them (the UI shows it); nothing reaches the phone."""
    sim.phone.requests.clear()
    with pytest.raises(vol.Invalid):
        await call(hass, action, device_id, **data)
    assert list(sim.phone.requests) == []


@pytest.mark.parametrize("phone_settings", [{"click_to_dial": True}])
async def test_a_number_written_with_separators_is_dialled_clean(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Spaces, dashes, dots and brackets are how people write numbers: dropped."""
    await call(hass, "dial", device_id, number="+49 (30) 123-45.6")
    request = sim.phone.requests.for_endpoint("api-make_call")[0]
    assert request.query["phonenumber"] == "+4930123456"


async def test_send_key_holds_the_phone_for_at_most_a_minute(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Ten keys 10 s apart would take 90 s: refused before anything is sent."""
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "send_key", device_id, keys="1234567890", delay=10)

    assert caught.value.translation_key == "send_key_too_long"
    assert caught.value.translation_placeholders == {"seconds": "90", "limit": "60"}
    assert keys_sent(sim) == []


async def test_learned_swap_method_survives_a_restart(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: MockConfigEntry,
) -> None:
    """`auto` finds the line key once; the entry keeps it; a reload restores it."""
    await connected_call(sim, hass, device_id)
    await call(hass, "transfer", device_id, number="1002")
    await sim.phone.wait_for_lines("onhold", "connected")
    await call(hass, "swap", device_id)

    assert init_integration.data[CONF_LEARNED_SWAP] == {
        "method": "line_key",
        "firmware": init_integration.runtime_data.firmware,
    }
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    controller = init_integration.runtime_data.controller
    assert controller.learned_swap_method is SwapMethod.LINE_KEY


async def test_an_empty_read_is_never_published(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: MockConfigEntry,
) -> None:
    """A read inside an action that comes back empty: the last lines stay shown."""
    await connected_call(sim, hass, device_id)
    client = init_integration.runtime_data.client
    read = client.get_line_status
    reads = 0

    async def second_read_empty() -> list[LineStatus]:
        nonlocal reads
        reads += 1
        return [] if reads == 2 else await read()

    client.get_line_status = second_read_empty
    response = await call(hass, "send_dtmf", device_id, digits="1")

    assert response is not None
    assert response["lines"][0]["state"] == "connected"
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.data.lines
    assert coordinator.data.lines[0].state == "connected"


async def test_lines_an_action_changed_carry_its_context(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str, hass_admin_user: MockUser
) -> None:
    """The logbook and automations see which action, and which user, changed the lines."""
    coordinator = hass.config_entries.async_entries(DOMAIN)[0].runtime_data.coordinator
    sim.phone.incoming_call("1001", "Alice")
    await coordinator.async_refresh()

    answer = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        DOMAIN, "answer", {ATTR_DEVICE_ID: device_id}, blocking=True, context=answer
    )
    changed = ("sensor.grandstream_gxp2170_line_1", "event.grandstream_gxp2170_call")
    for entity_id in changed:
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.context is answer, entity_id

    hang_up = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.grandstream_gxp2170_hang_up"},
        blocking=True,
        context=hang_up,
    )
    line_1 = hass.states.get(changed[0])
    assert line_1 is not None
    assert line_1.state == "idle"
    assert line_1.context is hang_up
