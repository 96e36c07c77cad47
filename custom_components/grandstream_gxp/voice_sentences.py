"""The built-in conversation agent's sentences for the phone intents, in six languages.

The agent reads sentences only from its repository and the user's configuration, so
they come as one `conversation` trigger. Wildcards overlap ("call {number}" matches
"call back the missed call") and every matching trigger runs, so the trigger matches the
sentence again against `COMMANDS`, the more specific first, and runs the first only.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_COMMAND, CONF_PLATFORM
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, intent
from homeassistant.helpers.script import ScriptRunResult
from homeassistant.helpers.trigger import (
    async_initialize_triggers,
    async_validate_trigger_config,
)
from homeassistant.util.hass_dict import HassKey

from .const import CONF_VOICE_SENTENCES, DEFAULT_VOICE_SENTENCES, DOMAIN, LOGGER
from .coordinator import GxpConfigEntry
from .intent import (
    CALL_BACK_LAST,
    CALL_BACK_MISSED,
    INTENT_ANSWER,
    INTENT_CALL,
    INTENT_CALL_BACK,
    INTENT_HANG_UP,
    INTENT_TRANSFER,
    INTENT_WHO_IS_CALLING,
    SLOT_PREFERRED_AREA,
    SLOT_WHICH,
)
from .replies import async_get_replies

if TYPE_CHECKING:
    from hassil import Intents

type Sentences = dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Command:
    """Sentences per language that run one intent, with fixed slot values."""

    intent_type: str
    sentences: Sentences
    slots: dict[str, str] = field(default_factory=dict)

    @property
    def templates(self) -> list[str]:
        """Return the sentences of every language."""
        return [s for language in self.sentences.values() for s in language]


COMMANDS: Final[tuple[Command, ...]] = (
    Command(
        INTENT_CALL_BACK,
        {
            "en": (
                "(call back|return) [the] [last] missed call [on [the] {phone} phone]",
                "call [the] [last] missed caller back [on [the] {phone} phone]",
            ),
            "de": (
                "[den] [letzten] verpassten Anruf zurückrufen [auf [dem] {phone}]",
                "ruf[e] [den] [letzten] verpassten Anruf zurück [auf [dem] {phone}]",
            ),
            "fr": (
                "rappelle[z] [le dernier] appel manqué [sur [le] téléphone {phone}]",
                "rappelle[z] l'appel manqué [sur [le] téléphone {phone}]",
            ),
            "es": (
                "devuelve la [última] llamada perdida [desde [el] teléfono {phone}]",
                (
                    "(llama|vuelve a llamar) a la [última] llamada perdida "
                    "[desde [el] teléfono {phone}]"
                ),
            ),
            "nl": (
                "bel [de] [laatste] gemiste oproep terug [op [de] {phone} telefoon]",
                "bel de gemiste beller terug [op [de] {phone} telefoon]",
            ),
            "it": (
                "richiama [l'ultima] chiamata persa [sul telefono {phone}]",
                "richiama la [ultima] chiamata persa [sul telefono {phone}]",
            ),
        },
        {SLOT_WHICH: CALL_BACK_MISSED},
    ),
    Command(
        INTENT_CALL_BACK,
        {
            "en": (
                "call back [the] last (call|caller|number) [on [the] {phone} phone]",
                (
                    "(call back|redial) [the] last (call|caller|number) "
                    "[on [the] {phone} phone]"
                ),
                "call [the] last (caller|number) back [on [the] {phone} phone]",
            ),
            "de": (
                "[den] letzten Anruf zurückrufen [auf [dem] {phone}]",
                "ruf[e] [den] letzten (Anruf|Anrufer) zurück [auf [dem] {phone}]",
                "wähle [die] letzte Nummer [erneut|nochmal] [auf [dem] {phone}]",
            ),
            "fr": (
                (
                    "rappelle[z] le dernier (appel|appelant|numéro) "
                    "[sur [le] téléphone {phone}]"
                ),
                "recompose[z] le dernier numéro [sur [le] téléphone {phone}]",
            ),
            "es": (
                "devuelve la última llamada [desde [el] teléfono {phone}]",
                (
                    "(llama|vuelve a llamar) al último (número|llamante) "
                    "[desde [el] teléfono {phone}]"
                ),
            ),
            "nl": (
                "bel [het] laatste (gesprek|nummer) terug [op [de] {phone} telefoon]",
                "bel de laatste beller terug [op [de] {phone} telefoon]",
            ),
            "it": (
                "richiama l'ultima chiamata [sul telefono {phone}]",
                "richiama l'ultimo (numero|chiamante) [sul telefono {phone}]",
            ),
        },
        {SLOT_WHICH: CALL_BACK_LAST},
    ),
    Command(
        INTENT_ANSWER,
        {
            "en": (
                "(answer|pick up) [the] (phone|call)",
                "(answer|pick up) [the] {phone} phone",
            ),
            "de": (
                "(nimm|nehme) [den] (Anruf|das Telefon) an",
                "(nimm|nehme) [den Anruf auf] [dem] {phone} an",
                "(Anruf|Telefon) annehmen",
                "geh ran",
            ),
            "fr": (
                "décroche[z] [le téléphone|l'appel]",
                "réponds [au téléphone|à l'appel]",
                "répondez [au téléphone|à l'appel]",
                "décroche[z] [le] téléphone {phone}",
            ),
            "es": (
                "contesta [el teléfono|la llamada]",
                "coge [el teléfono|la llamada]",
                "contesta [el] teléfono {phone}",
            ),
            "nl": (
                "neem [de telefoon|het gesprek] op",
                "neem [de] {phone} telefoon op",
            ),
            "it": (
                "rispondi [al telefono|alla chiamata]",
                "rispondi al telefono {phone}",
            ),
        },
    ),
    Command(
        INTENT_HANG_UP,
        {
            "en": (
                "(hang up|end the call|reject the call|decline the call)",
                "hang up [the] {phone} phone",
            ),
            "de": (
                "leg[e] auf",
                "(Anruf|Gespräch) (beenden|ablehnen)",
                "(beende|beend) [den Anruf|das Gespräch]",
                "lehne [den] Anruf ab",
                "leg[e] [auf] [dem] {phone} auf",
            ),
            "fr": (
                "raccroche[z]",
                "(termine[z]|rejette[z]|refuse[z]) l'appel",
                "raccroche[z] [le] téléphone {phone}",
            ),
            "es": (
                "cuelga [el teléfono|la llamada]",
                "(termina|rechaza) la llamada",
                "cuelga [el] teléfono {phone}",
            ),
            "nl": (
                "hang op",
                "(beëindig|weiger) het gesprek",
                "hang [de] {phone} telefoon op",
            ),
            "it": (
                "riaggancia",
                "(chiudi|rifiuta) la chiamata",
                "riaggancia [il] telefono {phone}",
            ),
        },
    ),
    Command(
        INTENT_TRANSFER,
        {
            "en": (
                "transfer [the call] to {number}",
                "transfer [the call on] [the] {phone} phone to {number}",
            ),
            "de": (
                "(verbinde|leite) [den Anruf] (an|zu|mit) {number} weiter",
                "(verbinde|leite) [den Anruf auf] [dem] {phone} (an|zu|mit) {number} weiter",
                "[den] Anruf (an|zu) {number} weiterleiten",
            ),
            "fr": (
                "transfère[z] [l'appel] (à|au|vers) {number}",
                "transfère[z] l'appel du téléphone {phone} (à|au|vers) {number}",
            ),
            "es": (
                "transfiere [la llamada] (a|al) {number}",
                "transfiere la llamada del teléfono {phone} (a|al) {number}",
            ),
            "nl": (
                "verbind [het gesprek] door (naar|met) {number}",
                "verbind het gesprek op [de] {phone} telefoon door (naar|met) {number}",
            ),
            "it": (
                "trasferisci [la chiamata] (a|al) {number}",
                "trasferisci la chiamata del telefono {phone} (a|al) {number}",
            ),
        },
    ),
    Command(
        INTENT_WHO_IS_CALLING,
        {
            "en": (
                "who is (calling|ringing)",
                "who is calling [on] [the] {phone} phone",
            ),
            "de": (
                "wer ruft an",
                "wer ruft (auf|bei) [dem] {phone} an",
            ),
            "fr": (
                "qui appelle",
                "qui appelle sur [le] téléphone {phone}",
            ),
            "es": (
                "quién llama",
                "quién llama al teléfono {phone}",
            ),
            "nl": (
                "wie belt er",
                "wie belt (er|) [op] [de] {phone} telefoon",
            ),
            "it": (
                "chi (chiama|sta chiamando)",
                "chi chiama sul telefono {phone}",
            ),
        },
    ),
    Command(
        INTENT_CALL,
        {
            "en": (
                "(call|dial) {number}",
                "(call|dial) {number} (on|from) [the] {phone} phone",
            ),
            "de": (
                "(ruf|rufe) {number} an",
                "wähle {number}",
                "(ruf|rufe) {number} (vom|mit dem|auf dem) {phone} an",
            ),
            "fr": (
                "(appelle[z]|compose[z]) [le] {number}",
                "(appelle[z]|compose[z]) [le] {number} (sur|depuis) [le] téléphone {phone}",
            ),
            "es": (
                "(llama|marca) [al] {number}",
                "(llama|marca) [al] {number} desde [el] teléfono {phone}",
            ),
            "nl": (
                "(bel|kies) {number}",
                "(bel|kies) {number} (op|met) [de] {phone} telefoon",
            ),
            "it": (
                "(chiama|componi) [il] {number}",
                "(chiama|componi) [il] {number} (dal|con il) telefono {phone}",
            ),
        },
    ),
)

# The trigger's remove callback, while the sentences are registered.
_REMOVE: HassKey[Callable[[], None]] = HassKey(f"{DOMAIN}_voice_sentences")


@cache
def _intents() -> list[tuple[Command, Intents]]:
    """Each command's sentences of every language, parsed, in matching order."""
    # hassil comes with the conversation integration, not with Home Assistant itself.
    from hassil import Intents

    wildcards = {"phone": {"wildcard": True}, "number": {"wildcard": True}}
    return [
        (
            command,
            Intents.from_dict(
                {
                    "language": "en",
                    "intents": {
                        "command": {"data": [{"sentences": command.templates}]}
                    },
                    "lists": wildcards,
                }
            ),
        )
        for command in COMMANDS
    ]


async def async_update_voice_sentences(
    hass: HomeAssistant,
    *,
    loading: GxpConfigEntry | None = None,
    unloading: GxpConfigEntry | None = None,
) -> None:
    """Register the sentences while a loaded (or `loading`) phone wants them."""
    wanted = "conversation" in hass.config.components and any(
        entry.options.get(CONF_VOICE_SENTENCES, DEFAULT_VOICE_SENTENCES)
        for entry in hass.config_entries.async_entries(DOMAIN)
        if (entry.state is ConfigEntryState.LOADED or entry is loading)
        and entry is not unloading
    )
    if wanted and _REMOVE not in hass.data:
        commands = await hass.async_add_executor_job(_intents)
        sentences = [s for command in COMMANDS for s in command.templates]
        config = await async_validate_trigger_config(
            hass, [{CONF_PLATFORM: "conversation", CONF_COMMAND: sentences}]
        )

        async def run(
            run_variables: dict[str, Any], context: Context | None = None
        ) -> ScriptRunResult:
            speech = await _async_speech(
                hass, commands, run_variables["trigger"], context
            )
            return ScriptRunResult(
                conversation_response=speech, service_response=None, variables={}
            )

        if remove := await async_initialize_triggers(
            hass, config, run, DOMAIN, "voice sentences", _log
        ):
            hass.data[_REMOVE] = remove
    elif not wanted and _REMOVE in hass.data:
        hass.data.pop(_REMOVE)()


async def _async_speech(
    hass: HomeAssistant,
    commands: list[tuple[Command, Intents]],
    trigger: dict[str, Any],
    context: Context | None,
) -> str:
    """Run the first command the sentence matches; return its one reply."""
    from hassil import recognize_best

    text, device_id = trigger["sentence"], trigger.get("device_id")
    language = trigger["user_input"].get("language")
    device = dr.async_get(hass).async_get(device_id) if device_id else None
    for command, intents in commands:
        if (result := recognize_best(text, intents)) is None:
            continue
        slots = {name: {"value": value} for name, value in command.slots.items()}
        for name, entity in result.entities.items():
            slots[name] = {"value": str(entity.value).strip()}
        if device and device.area_id is not None:
            slots[SLOT_PREFERRED_AREA] = {"value": device.area_id}
        try:
            response = await intent.async_handle(
                hass,
                DOMAIN,
                command.intent_type,
                slots,
                text_input=text,
                context=context,
                language=language,
                device_id=device_id,
            )
        except intent.IntentHandleError as err:
            # The handlers' errors are already spoken text in the language.
            return str(err)
        except intent.IntentError:
            LOGGER.debug("Voice command failed", exc_info=True)
            break
        return str(response.speech.get("plain", {}).get("speech", ""))
    replies = await async_get_replies(hass, language)
    return replies.say("not_understood")


def _log(level: int, msg: str, **kwargs: Any) -> None:
    LOGGER.log(level, "Voice sentences: %s", msg, **kwargs)


@callback
def voice_sentences_registered(hass: HomeAssistant) -> bool:
    """Whether the built-in agent's sentences are active."""
    return _REMOVE in hass.data
