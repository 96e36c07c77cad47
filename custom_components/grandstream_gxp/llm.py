"""The phone intents as Assist API tools (from 2026.8 an intent is no tool itself)."""

import inspect

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import intent
from homeassistant.helpers.llm import LLM_API_ASSIST, IntentTool, LLMContext, Tool

from .const import DOMAIN
from .intent import HANDLERS

# IntentTool learnt to call an intent other than its name (and to say which
# integration provides it) after 2026.8; there a tool's name must be the intent's.
_NAMED_TOOLS = "integration" in inspect.signature(IntentTool.__init__).parameters


def _tool(handler: intent.IntentHandler) -> Tool:
    if _NAMED_TOOLS:
        # Tool names carry the domain (unprefixed ones are reported from 2026.10 on).
        return IntentTool(
            f"{DOMAIN}__{handler.intent_type}", handler, integration=DOMAIN
        )
    return IntentTool(handler.intent_type, handler)


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """Return a tool per phone intent while a phone is configured."""
    if api_id != LLM_API_ASSIST or not hass.config_entries.async_entries(DOMAIN):
        return None
    registered = set(intent.async_get(hass))
    return LLMTools(
        tools=[_tool(handler) for handler in HANDLERS if handler in registered]
    )
