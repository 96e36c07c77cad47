"""Voice on current Home Assistant: LLM tools, call and call back, replies in language."""

from typing import Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent, llm
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.grandstream_gxp.const import DOMAIN
from custom_components.grandstream_gxp.llm import async_get_tools
from gxp_simulator import SimulatedPhone

INTENTS = {
    "GrandstreamAnswerCall",
    "GrandstreamHangUp",
    "GrandstreamTransferCall",
    "GrandstreamWhoIsCalling",
    "GrandstreamCall",
    "GrandstreamCallBack",
}
LANGUAGES = {"en", "de", "fr", "es", "nl", "it"}


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Set up what the voice tests talk to, before the phone."""
    for component in ("intent", "llm"):
        assert await async_setup_component(hass, component, {})


@pytest.fixture
def phone(assist: None, init_integration: MockConfigEntry) -> MockConfigEntry:
    """Set up the intent and LLM integrations, then the phone."""
    return init_integration


async def handle(
    hass: HomeAssistant, intent_type: str, language: str | None = None, **slots: Any
) -> str:
    """Handle an intent with plain slot values; return the speech."""
    response = await intent.async_handle(
        hass,
        "test",
        intent_type,
        {key: {"value": v} for key, v in slots.items()},
        language=language,
    )
    return str(response.speech["plain"]["speech"])


async def refresh(entry: MockConfigEntry) -> None:
    """Let the integration read the phone."""
    await entry.runtime_data.coordinator.async_refresh()


async def missed_call(sim: SimulatedPhone, entry: MockConfigEntry, number: str) -> None:
    """Let `number` ring and give up."""
    sim.phone.incoming_call(number, f"Caller {number}")
    await refresh(entry)
    sim.phone.far_end_hangup(1)
    await refresh(entry)


async def test_assist_api_lists_and_calls_the_tools(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """An LLM agent's Assist API has a tool per intent; calling one acts on the phone."""
    api = await llm.async_get_api(
        hass,
        llm.LLM_API_ASSIST,
        llm.LLMContext(
            platform="test",
            context=Context(),
            language="*",
            assistant="conversation",
            device_id=None,
        ),
    )
    names = {tool.name for tool in api.tools}
    ours = {name for name in names if "Grandstream" in name}
    assert {name.removeprefix(f"{DOMAIN}__") for name in ours} == INTENTS
    call = next(name for name in ours if name.endswith("GrandstreamCall"))

    tool = next(tool for tool in api.tools if tool.name == call)
    # The tool itself (the API's wrapper also writes a conversation trace).
    result = await tool.async_call(
        hass,
        llm.ToolInput(tool_name=call, tool_args={"number": "1002"}),
        api.llm_context,
    )
    data: Any = getattr(result, "data", result)
    assert data["speech"]["plain"]["speech"] == "Calling 1002 on Grandstream GXP2170."
    await sim.phone.wait_for_lines("calling")
    assert sim.phone.line(1).remote_number == "1002"


async def test_no_tools_for_other_apis_or_without_a_phone(hass: HomeAssistant) -> None:
    """The platform offers nothing to other APIs, nor before a phone is set up."""
    context = llm.LLMContext(
        platform="test",
        context=Context(),
        language="en",
        assistant="conversation",
        device_id=None,
    )
    assert async_get_tools(hass, context, llm.LLM_API_ASSIST) is None
    MockConfigEntry(domain=DOMAIN).add_to_hass(hass)
    assert async_get_tools(hass, context, "other_api") is None


async def test_call_in_german_and_a_bad_number_in_french(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """The call intent dials; replies follow the request's language."""
    speech = await handle(hass, "GrandstreamCall", "de", number="1002")
    assert speech == "Rufe 1002 auf Grandstream GXP2170 an."
    await sim.phone.wait_for_lines("calling")
    await handle(hass, "GrandstreamHangUp")
    with pytest.raises(
        intent.IntentHandleError,
        match=r"^Bob n'est pas un numéro que je peux composer\.$",
    ):
        await handle(hass, "GrandstreamCall", "fr", number="Bob")


async def test_call_back_the_missed_caller_or_the_last_call(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """`missed` (default) returns the newest missed call; `last` the newest call."""
    with pytest.raises(
        intent.IntentHandleError,
        match=r"^Auf Grandstream GXP2170 gibt es keinen verpassten Anruf",
    ):
        await handle(hass, "GrandstreamCallBack", "de")

    await missed_call(sim, phone, "1001")
    # A newer outgoing call: the newest call, but not a missed one.
    await handle(hass, "GrandstreamCall", number="1003")
    await sim.phone.wait_for_lines("calling")
    await refresh(phone)
    await handle(hass, "GrandstreamHangUp")
    await refresh(phone)
    assert phone.runtime_data.history.calls()[0]["number"] == "1003"

    speech = await handle(hass, "GrandstreamCallBack", "fr")
    assert speech == "Je rappelle Caller 1001 (1001) sur Grandstream GXP2170."
    await sim.phone.wait_for_lines("calling")
    assert sim.phone.line(1).remote_number == "1001"
    await handle(hass, "GrandstreamHangUp")
    await refresh(phone)

    speech = await handle(hass, "GrandstreamCallBack", "de", which="last")
    assert speech == "Rufe 1001 auf Grandstream GXP2170 zurück."
    await sim.phone.wait_for_lines("calling")


async def test_replies_in_every_shipped_language(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """Each shipped language answers in itself; others and `*` in Home Assistant's."""
    answers = {
        language: await handle(hass, "GrandstreamWhoIsCalling", language)
        for language in (*LANGUAGES, "pt", "de-CH", "*")
    }
    assert answers["en"] == "Nothing is ringing on Grandstream GXP2170."
    assert answers["de"] == "Auf Grandstream GXP2170 klingelt nichts."
    assert answers["fr"] == "Rien ne sonne sur Grandstream GXP2170."
    assert len({answers[language] for language in LANGUAGES}) == len(LANGUAGES)
    assert answers["de-CH"] == answers["de"]
    assert answers["pt"] == answers["*"] == answers["en"]
    hass.config.language = "it"
    assert await handle(hass, "GrandstreamWhoIsCalling", "*") == answers["it"]
