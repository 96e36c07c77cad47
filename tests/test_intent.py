"""The Assist intents, handled as the conversation agent and LLM tools call them."""

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_VERIFY_SSL,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import area_registry as ar, device_registry as dr, intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.grandstream_gxp.const import CONF_MODEL, DOMAIN
from gxp_simulator import SimulatedPhone

from .conftest import PASSWORD

OTHER_MAC = "00:0b:82:65:43:21"


@pytest.fixture
async def phone(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Set up the intent integration after the phone; it picks up intent.py itself."""
    assert await async_setup_component(hass, "intent", {})
    await hass.async_block_till_done()
    return init_integration


@pytest.fixture
async def second(
    hass: HomeAssistant, phone: MockConfigEntry
) -> AsyncIterator[tuple[SimulatedPhone, MockConfigEntry]]:
    """Add a second loaded phone, "Office phone" in the office; put the first in the kitchen."""
    async with SimulatedPhone.start(
        "GXP2170",
        password=PASSWORD,
        mac=OTHER_MAC,
        auto_attended_transfer=True,
        no_key_entry_timeout=None,
        failed_time=0.05,
        setup="readme",
        timing="instant",
    ) as other:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Office",
            unique_id=OTHER_MAC,
            data={
                CONF_HOST: other.host,
                CONF_PORT: other.port,
                CONF_PASSWORD: PASSWORD,
                CONF_SSL: False,
                CONF_VERIFY_SSL: False,
                CONF_MODEL: "GXP2170",
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        devices = dr.async_get(hass)
        kitchen = ar.async_get(hass).async_create("Kitchen", aliases={"cuisine"})
        office = ar.async_get(hass).async_create("Office room")
        (first,) = dr.async_entries_for_config_entry(devices, phone.entry_id)
        (device,) = dr.async_entries_for_config_entry(devices, entry.entry_id)
        devices.async_update_device(first.id, area_id=kitchen.id)
        devices.async_update_device(
            device.id, area_id=office.id, name_by_user="Office phone"
        )
        yield other, entry
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def handle(
    hass: HomeAssistant, intent_type: str, **slots: Any
) -> intent.IntentResponse:
    """Handle an intent with plain slot values."""
    return await intent.async_handle(
        hass, "test", intent_type, {key: {"value": v} for key, v in slots.items()}
    )


async def ring(
    sim: SimulatedPhone,
    entry: MockConfigEntry,
    number: str = "1001",
    name: str = "Alice",
) -> None:
    """Let a call ring and the integration see it."""
    sim.phone.incoming_call(number, name)
    await entry.runtime_data.coordinator.async_refresh()


def speech(response: intent.IntentResponse) -> str:
    """Return the plain speech."""
    return str(response.speech["plain"]["speech"])


async def test_registered_with_llm_descriptions(
    hass: HomeAssistant, phone: MockConfigEntry
) -> None:
    """The intent integration found the platform; each intent explains itself."""
    handlers = {h.intent_type: h for h in intent.async_get(hass)}
    for name in (
        "GrandstreamAnswerCall",
        "GrandstreamHangUp",
        "GrandstreamTransferCall",
        "GrandstreamWhoIsCalling",
    ):
        assert handlers[name].description
        assert "Use when" in (handlers[name].description or "")
    assert "blind" in (handlers["GrandstreamTransferCall"].description or "")


async def test_answer_and_hang_up(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """One phone: no slot needed; answer, then hang up."""
    await ring(sim, phone)
    response = await handle(hass, "GrandstreamAnswerCall")
    assert speech(response) == (
        "Answered the call from Alice (1001) on Grandstream GXP2170."
    )
    assert sim.phone.line_states()[0] == "connected"

    response = await handle(hass, "GrandstreamHangUp")
    assert speech(response) == "Hung up the call on Grandstream GXP2170."
    assert set(sim.phone.line_states()) == {"idle"}


@pytest.mark.parametrize("phone_timing", ["realistic"])
async def test_lines_a_spoken_answer_changed_carry_its_context(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """The logbook names the voice command that answered, as for any action."""
    await ring(sim, phone)
    context = Context()
    await intent.async_handle(hass, "test", "GrandstreamAnswerCall", context=context)
    line_1 = hass.states.get("sensor.grandstream_gxp2170_line_1")
    assert line_1 is not None
    assert line_1.state == "connected"
    assert line_1.context is context


async def test_answer_and_hang_up_fail_without_a_call(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """Nothing ringing and no call: short English errors."""
    with pytest.raises(intent.IntentHandleError, match=r"^No call is ringing on "):
        await handle(hass, "GrandstreamAnswerCall")
    with pytest.raises(intent.IntentHandleError, match=r"^There is no call to end on"):
        await handle(hass, "GrandstreamHangUp")


async def test_who_is_calling(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """Name and number of the ringing call, or that nothing rings."""
    response = await handle(hass, "GrandstreamWhoIsCalling")
    assert speech(response) == "Nothing is ringing on Grandstream GXP2170."

    await ring(sim, phone)
    response = await handle(hass, "GrandstreamWhoIsCalling")
    assert speech(response) == "Alice (1001) is calling on Grandstream GXP2170."
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER


async def test_who_is_calling_number_only_and_two_calls(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """A caller without a name is said by number; two ringing calls are both said."""
    await ring(sim, phone, "1001", "")
    response = await handle(hass, "GrandstreamWhoIsCalling")
    assert speech(response) == "1001 is calling on Grandstream GXP2170."
    await ring(sim, phone, "1003", "Carol")
    response = await handle(hass, "GrandstreamWhoIsCalling")
    assert speech(response) == (
        "1001 and Carol (1003) are calling on Grandstream GXP2170."
    )


async def test_transfer_blind_by_default(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """Voice transfers hand the call over at once."""
    await ring(sim, phone)
    await handle(hass, "GrandstreamAnswerCall")
    response = await handle(hass, "GrandstreamTransferCall", number="10 02")
    assert speech(response) == "Transferred the call on Grandstream GXP2170 to 10 02."
    assert [(t.kind, t.target) for t in sim.phone.transfers] == [("blind", "1002")]
    assert set(sim.phone.line_states()) == {"idle"}


async def test_transfer_attended(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """Attended: the caller waits on hold while the number is called."""
    await ring(sim, phone)
    await handle(hass, "GrandstreamAnswerCall")
    response = await handle(
        hass, "GrandstreamTransferCall", number="1002", mode="attended"
    )
    assert speech(response).startswith("Calling 1002 on Grandstream GXP2170;")
    await sim.phone.wait_for_lines("onhold", "connected")
    assert sim.phone.line(2).remote_number == "1002"


async def test_transfer_failures(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """No connected call; a number that is not one; a bad mode."""
    with pytest.raises(
        intent.IntentHandleError, match=r"no connected call to transfer"
    ):
        await handle(hass, "GrandstreamTransferCall", number="1002")
    await ring(sim, phone)
    await handle(hass, "GrandstreamAnswerCall")
    with pytest.raises(
        intent.IntentHandleError, match=r"^Bob is not a number I can dial"
    ):
        await handle(hass, "GrandstreamTransferCall", number="Bob")
    with pytest.raises(intent.InvalidSlotInfo):
        await handle(hass, "GrandstreamTransferCall", number="1002", mode="later")
    assert sim.phone.transfers == []


async def test_unreachable_phone_is_said_without_the_error_text(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """A connection error is spoken as a short sentence, never the exception's text."""
    await ring(sim, phone)
    await sim.stop_listening()
    with pytest.raises(
        intent.IntentHandleError,
        match=r"^Grandstream GXP2170 cannot be reached right now\.$",
    ):
        await handle(hass, "GrandstreamAnswerCall")
    await sim.start_listening()


async def test_phone_slot_one_phone(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """The slot matches the name without case; an unknown name is refused."""
    await ring(sim, phone)
    response = await handle(
        hass, "GrandstreamWhoIsCalling", phone="  grandstream   gxp2170 "
    )
    assert speech(response).startswith("Alice (1001) is calling")
    with pytest.raises(
        intent.IntentHandleError, match=r"^I don't know a phone called Garage."
    ):
        await handle(hass, "GrandstreamAnswerCall", phone="Garage")


async def test_not_loaded(hass: HomeAssistant, phone: MockConfigEntry) -> None:
    """A phone that is not loaded."""
    await hass.config_entries.async_unload(phone.entry_id)
    await hass.async_block_till_done()
    assert phone.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(
        intent.IntentHandleError, match=r"^Grandstream GXP2170 is not available"
    ):
        await handle(hass, "GrandstreamHangUp")


async def test_no_phone(hass: HomeAssistant) -> None:
    """The integration set up without any phone, after the intent integration."""
    assert await async_setup_component(hass, "intent", {})
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    with pytest.raises(intent.IntentHandleError, match=r"^No Grandstream phone"):
        await handle(hass, "GrandstreamHangUp")


async def test_several_phones_pick_the_one_ringing(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    phone: MockConfigEntry,
    second: tuple[SimulatedPhone, MockConfigEntry],
) -> None:
    """Without a name, the only phone that suits the intent is used."""
    other, entry = second
    with pytest.raises(intent.IntentHandleError, match=r"^No phone is ringing."):
        await handle(hass, "GrandstreamAnswerCall")
    with pytest.raises(intent.IntentHandleError, match=r"^Nothing is ringing."):
        await handle(hass, "GrandstreamWhoIsCalling")
    with pytest.raises(intent.IntentHandleError, match=r"^No phone is in a call."):
        await handle(hass, "GrandstreamHangUp")

    await ring(other, entry, "2002", "Bob")
    response = await handle(hass, "GrandstreamAnswerCall")
    assert speech(response) == "Answered the call from Bob (2002) on Office phone."
    assert other.phone.line_states()[0] == "connected"
    assert set(sim.phone.line_states()) == {"idle"}
    response = await handle(hass, "GrandstreamTransferCall", number="1002")
    assert speech(response) == "Transferred the call on Office phone to 1002."
    assert [(t.kind, t.target) for t in other.phone.transfers] == [("blind", "1002")]


async def test_several_phones_busy_ask_or_use_the_area(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    phone: MockConfigEntry,
    second: tuple[SimulatedPhone, MockConfigEntry],
) -> None:
    """Two ringing phones: the satellite's area decides, else the user is asked."""
    other, entry = second
    await ring(sim, phone)
    await ring(other, entry, "2002", "Bob")
    with pytest.raises(
        intent.IntentHandleError,
        match=r"^Which phone do you mean: Grandstream GXP2170 or Office phone\?",
    ):
        await handle(hass, "GrandstreamWhoIsCalling")
    office = ar.async_get(hass).async_get_area_by_name("Office room")
    assert office is not None
    response = await handle(
        hass, "GrandstreamWhoIsCalling", preferred_area_id=office.id
    )
    assert speech(response) == "Bob (2002) is calling on Office phone."
    # By area name or alias, by the renamed device, by the entry title.
    for name, caller in (
        ("Kitchen", "Alice"),
        ("Cuisine", "Alice"),
        ("office phone", "Bob"),
        ("Office", "Bob"),
        ("office room", "Bob"),
    ):
        response = await handle(hass, "GrandstreamWhoIsCalling", phone=name)
        assert speech(response).startswith(caller), name


async def test_several_phones_none_loaded(
    hass: HomeAssistant,
    phone: MockConfigEntry,
    second: tuple[SimulatedPhone, MockConfigEntry],
) -> None:
    """With every phone unloaded there is nothing to choose from."""
    _, entry = second
    for unload in (phone, entry):
        await hass.config_entries.async_unload(unload.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(intent.IntentHandleError, match=r"^None of the phones"):
        await handle(hass, "GrandstreamAnswerCall")
