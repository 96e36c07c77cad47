"""The built-in conversation agent understands the phone commands with no user files."""

import pytest

# The conversation integration's matcher; the minimum Home Assistant's test venv lacks it.
pytest.importorskip("hassil")

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.grandstream_gxp.const import CONF_VOICE_SENTENCES
from custom_components.grandstream_gxp.voice_sentences import (
    COMMANDS,
    voice_sentences_registered,
)
from gxp_simulator import SimulatedPhone

from .test_voice import INTENTS, LANGUAGES, missed_call, refresh


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Set up what the voice tests talk to, before the phone."""
    for component in ("homeassistant", "conversation", "intent"):
        assert await async_setup_component(hass, component, {})


@pytest.fixture
def phone(assist: None, init_integration: MockConfigEntry) -> MockConfigEntry:
    """Home Assistant with Assist (as default_config has it), then the phone."""
    return init_integration


async def converse(hass: HomeAssistant, text: str, language: str) -> str:
    """Say a sentence to the built-in agent; return its spoken answer."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language=language
    )
    return str(result.response.speech["plain"]["speech"])


async def test_every_command_has_sentences_in_six_languages() -> None:
    """The built-in agent understands every intent in each shipped language."""
    assert {command.intent_type for command in COMMANDS} == INTENTS
    for command in COMMANDS:
        assert set(command.sentences) == LANGUAGES, command.intent_type


@pytest.mark.parametrize(
    ("language", "ask", "answer", "who", "nobody"),
    [
        (
            "de",
            "nimm den Anruf an",
            "Anruf von Alice (1001) auf Grandstream GXP2170 angenommen.",
            "wer ruft an",
            "Auf Grandstream GXP2170 klingelt nichts.",
        ),
        (
            "fr",
            "décroche le téléphone",
            "Appel de Alice (1001) décroché sur Grandstream GXP2170.",
            "qui appelle",
            "Rien ne sonne sur Grandstream GXP2170.",
        ),
    ],
)
async def test_built_in_agent_understands_without_custom_sentences(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedPhone,
    phone: MockConfigEntry,
    language: str,
    ask: str,
    answer: str,
    who: str,
    nobody: str,
) -> None:
    """The registered sentences run the intents and answer in the pipeline's language."""
    assert await converse(hass, who, language) == nobody
    sim.phone.incoming_call("1001", "Alice")
    await refresh(phone)
    assert await converse(hass, ask, language) == answer
    assert sim.phone.line_states()[0] == "connected"


async def test_overlapping_sentences_run_one_command(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """'call back the missed call' also fits 'call {number}': only call-back runs.

    "answer the phone" also fits "answer [the] {phone} phone": the literal one wins.
    """
    sim.phone.incoming_call("1005", "Eve")
    await refresh(phone)
    assert await converse(hass, "answer the phone", "en") == (
        "Answered the call from Eve (1005) on Grandstream GXP2170."
    )
    await converse(hass, "hang up", "en")
    await refresh(phone)
    await missed_call(sim, phone, "1001")
    speech = await converse(hass, "call back the missed call", "en")
    assert speech == "Calling back Caller 1001 (1001) on Grandstream GXP2170."
    await sim.phone.wait_for_lines("calling")
    assert sim.phone.line(1).remote_number == "1001"
    assert await converse(hass, "hang up", "en") == (
        "Hung up the call on Grandstream GXP2170."
    )
    assert await converse(hass, "call 10 02", "en") == (
        "Calling 10 02 on Grandstream GXP2170."
    )
    await sim.phone.wait_for_lines("calling")
    assert sim.phone.line(1).remote_number == "1002"


@pytest.mark.parametrize("entry_options", [{CONF_VOICE_SENTENCES: False}])
async def test_option_turns_the_sentences_off(
    hass: HomeAssistant, sim: SimulatedPhone, phone: MockConfigEntry
) -> None:
    """With the option off the built-in agent does not know the sentences."""
    assert not voice_sentences_registered(hass)
    sim.phone.incoming_call("1001", "Alice")
    await refresh(phone)
    speech = await converse(hass, "wer ruft an", "de")
    assert "Alice" not in speech
    assert sim.phone.line_states()[0] == "ringing"

    hass.config_entries.async_update_entry(phone, options={})
    await hass.config_entries.async_reload(phone.entry_id)
    await hass.async_block_till_done()
    assert voice_sentences_registered(hass)
    assert await converse(hass, "wer ruft an", "de") == (
        "Alice (1001) ruft auf Grandstream GXP2170 an."
    )


async def test_sentences_leave_with_the_last_phone(
    hass: HomeAssistant, phone: MockConfigEntry
) -> None:
    """Unloading the last phone removes the sentences."""
    assert voice_sentences_registered(hass)
    await hass.config_entries.async_unload(phone.entry_id)
    await hass.async_block_till_done()
    assert not voice_sentences_registered(hass)
