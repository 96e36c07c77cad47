"""The webhook the phone's Action URLs call, and the "push not set up" repair issue.

A plain GET without authentication (cti-api.md §7), with the query keys of `action_urls`.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qsl

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from multidict import MultiDict

from .action_urls import (
    SLOTS_BY_CODE,
    PushEvent,
    format_action_urls,
    supports_action_urls,
)
from .connection import async_update_data
from .const import CONF_PUSH_SEEN, DOMAIN, LOGGER
from .coordinator import GxpConfigEntry
from .cti import normalize_mac
from .issues import PUSH_NOT_SET_UP, async_set_issue

# The phone drops values over about 256 characters [CAP S8]; longer ones are not its.
MAX_VALUE_LENGTH: Final = 256
# A 256-character template plus six values at most: longer is not the phone's, unparsed.
MAX_QUERY_LENGTH: Final = 2048
QUERY_KEYS: Final = frozenset({"e", "m", "r", "n", "l", "a"})


def parse_push(query: Mapping[str, str], mac: str | None) -> PushEvent | None:
    """Return the event of a query (a key given twice is refused), None if not ours."""
    query = MultiDict(query)
    values: dict[str, str] = {}
    for key in QUERY_KEYS.intersection(query):
        given = query.getall(key)
        if len(given) > 1:
            LOGGER.debug("Action URL ignored: %r given %d times", key, len(given))
            return None
        value = given[0]
        if len(value) > MAX_VALUE_LENGTH:
            LOGGER.debug("Action URL ignored: %r is %d long", key, len(value))
            return None
        # A firmware that does not know a variable sends it as written [INF].
        values[key] = "" if value.startswith("$") else value.strip()
    slot = SLOTS_BY_CODE.get(values.get("e", ""))
    if slot is None:
        LOGGER.debug("Action URL ignored: unknown event %r", values.get("e"))
        return None
    sender = normalize_mac(values.get("m"))
    if sender is None or sender != normalize_mac(mac):
        LOGGER.debug("Action URL ignored: MAC %r is not this phone's", values.get("m"))
        return None
    return PushEvent(
        slot=slot,
        remote_number=values.get("r", ""),
        remote_name=values.get("n", ""),
    )


def parse_raw_query(raw: str) -> MultiDict[str]:
    """Split a raw query: `+` stays `+` [CODE N2], percent escapes are decoded."""
    return MultiDict(parse_qsl(raw.replace("+", "%2B"), keep_blank_values=True))


@callback
def async_setup_webhook(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Register the webhook; raise the push issue (interface.md §Push) when needed."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        # Always 200 and an empty body: the phone neither retries nor reads it.
        raw = request.rel_url.raw_query_string
        if len(raw) > MAX_QUERY_LENGTH:
            LOGGER.debug("Action URL ignored: the query is %d long", len(raw))
        elif (push := parse_push(parse_raw_query(raw), entry.unique_id)) is not None:
            if coordinator.auth_error is None:
                # The phone pushes (no update listener: storing it reloads nothing).
                async_update_data(hass, entry, {CONF_PUSH_SEEN: True})
                async_set_issue(hass, entry, PUSH_NOT_SET_UP, None)
            coordinator.async_handle_push(push)
        return web.Response(status=HTTPStatus.OK)

    @callback
    def push_missed() -> None:
        if (
            not coordinator.data.push_missed
            or entry.data.get(CONF_PUSH_SEEN)
            or not supports_action_urls(runtime.model)
        ):
            return
        urls = format_action_urls(hass, entry.data.get(CONF_WEBHOOK_ID))
        async_set_issue(hass, entry, PUSH_NOT_SET_UP, {"urls": urls})

    webhook.async_register(
        hass,
        DOMAIN,
        f"{entry.title} Action URLs",
        entry.data[CONF_WEBHOOK_ID],
        handle,
        local_only=True,
        allowed_methods=["GET"],
    )
    entry.async_on_unload(coordinator.async_add_listener(push_missed))


@callback
def async_unload_webhook(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Unregister the webhook; the issue comes back with the next unannounced call."""
    webhook.async_unregister(hass, entry.data[CONF_WEBHOOK_ID])
    async_set_issue(hass, entry, PUSH_NOT_SET_UP, None)
