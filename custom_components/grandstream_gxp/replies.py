"""Spoken replies in the user's language, from the translations (`common.voice_*`)."""

from dataclasses import dataclass
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import translation

from .const import DOMAIN

LANGUAGES: Final = frozenset({"en", "de", "fr", "es", "nl", "it"})

# Placeholders of an action error that are safe to speak: they are not English prose
# (`found` and `error` are).
_SPEAKABLE_PLACEHOLDERS: Final = frozenset({"key", "account", "device"})


@dataclass(frozen=True, slots=True)
class Replies:
    """The spoken texts of one language (its `common` and `exceptions` translations)."""

    _texts: dict[str, str]

    def say(self, key: str, **placeholders: str) -> str:
        """Return the reply `voice_<key>` with its placeholders filled in."""
        return self._texts[f"component.{DOMAIN}.common.voice_{key}"].format(
            **placeholders
        )

    def join(self, items: list[str], *, last: str = "or") -> str:
        """Join names as 'A, B or C' (or 'and') in this language."""
        if len(items) == 1:
            return items[0]
        return self.say(f"list_{last}", first=", ".join(items[:-1]), last=items[-1])

    def error(self, err: HomeAssistantError, phone: str, number: str = "") -> str:
        """Say why an action failed, without English exception text."""
        key = err.translation_key or ""
        # Errors with a short spoken form (`voice_error_<key>`) name the phone instead
        # of listing line states.
        if f"component.{DOMAIN}.common.voice_error_{key}" in self._texts:
            return self.say(f"error_{key}", phone=phone, number=number)
        placeholders = err.translation_placeholders or {}
        message = self._texts.get(f"component.{DOMAIN}.exceptions.{key}.message")
        if message and set(placeholders) <= _SPEAKABLE_PLACEHOLDERS:
            return self.say(
                "failed_because", phone=phone, reason=message.format(**placeholders)
            )
        return self.say("failed", phone=phone)


async def async_get_replies(hass: HomeAssistant, language: str | None) -> Replies:
    """Load the replies for the request's language (`*` from LLM agents: any)."""
    if not language or language == "*":
        language = hass.config.language
    base = language.split("-")[0].split("_")[0].lower()
    language = base if base in LANGUAGES else "en"
    texts: dict[str, str] = {}
    for category in ("common", "exceptions"):
        texts |= await translation.async_get_translations(
            hass, language, category, {DOMAIN}
        )
    return Replies(texts)
