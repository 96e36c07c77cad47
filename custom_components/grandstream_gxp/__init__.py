"""The Grandstream GXP Phone integration."""

from datetime import timedelta

from homeassistant.components.webhook import async_generate_id
from homeassistant.const import CONF_SCAN_INTERVAL, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .action_url_writer import async_release_slots, async_start_writing_slots
from .call_history import CallHistory, async_track_call_events
from .connection import async_update_data, client_for
from .const import (
    CONF_AUTO_ATTENDED_TRANSFER,
    CONF_FIRMWARE,
    CONF_KEYS_ONLY,
    CONF_MODEL,
    CONF_SWAP_METHOD,
    DEFAULT_AUTO_ATTENDED_TRANSFER,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SWAP_METHOD,
    DOMAIN,
)
from .coordinator import GxpConfigEntry, GxpCoordinator, GxpRuntimeData, auth_failed
from .cti import (
    CtiAuthError,
    CtiError,
    CtiForbiddenError,
    CtiPasswordNotAcceptedError,
    Family,
    family_for_model,
)
from .cti.call_control import CallController, CallControlSettings, SwapMethod
from .cti.keys_only import KeysOnlyController
from .entity import phone_device_info
from .firmware import async_note_firmware
from .frontend import async_register_card
from .issues import AUTO_ATTENDED_MISMATCH, VULNERABLE_FIRMWARE, async_set_issue
from .key_table import key_table_for, learned_swap_for
from .services import async_setup_services
from .voice_sentences import async_update_voice_sentences
from .webhook import async_setup_webhook, async_unload_webhook

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

_NOT_READY_KEYS = {
    CtiForbiddenError: "cti_disabled",
    CtiPasswordNotAcceptedError: "password_not_accepted",
}


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions and its dashboard card."""
    async_setup_services(hass)
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: GxpConfigEntry) -> bool:
    """Connect to the phone, read it once, and set up its entities."""
    options = entry.options
    try:
        device = await client_for(hass, entry.data).identify()
    except CtiAuthError as err:
        raise auth_failed(err) from err
    except CtiError as err:
        # Retried, no reauth: CTI off or a refused passcode style is fixed on the phone.
        key = next(
            (key for cls, key in _NOT_READY_KEYS.items() if isinstance(err, cls)),
            "cannot_connect",
        )
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"error": str(err)},
        ) from err

    model = device.model.value if device.model else entry.data.get(CONF_MODEL)
    # The GXP1165's header names no firmware [CODE S20]: the flow's login stored it.
    told = device.firmware.value if device.firmware else None
    firmware = told or entry.data.get(CONF_FIRMWARE)
    family = family_for_model(model)
    key_table = key_table_for(entry, family, firmware)
    client = client_for(hass, entry.data, key_table=key_table)
    keys_only = device.keys_only
    if entry.data.get(CONF_KEYS_ONLY, False) != keys_only:
        # Firmware may have gained (or lost) the line status since the flow ran.
        async_update_data(hass, entry, {CONF_KEYS_ONLY: keys_only})
    settings = CallControlSettings(
        has_line_keys=family is not Family.GXP116X,
        auto_attended_transfer=options.get(
            CONF_AUTO_ATTENDED_TRANSFER, DEFAULT_AUTO_ATTENDED_TRANSFER
        ),
        swap_method=SwapMethod(options.get(CONF_SWAP_METHOD, DEFAULT_SWAP_METHOD)),
    )
    controller = (KeysOnlyController if keys_only else CallController)(client, settings)
    controller.learned_swap_method = learned_swap_for(entry, firmware)
    # On unload, an action under way stops before its next request.
    entry.async_on_unload(controller.close)
    coordinator = GxpCoordinator(
        hass,
        entry,
        client,
        controller.expectations,
        timedelta(seconds=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)),
        firmware=firmware,
        keys_only=keys_only,
    )
    await coordinator.async_config_entry_first_refresh()
    history = CallHistory(hass, entry)
    await history.async_load()
    entry.async_on_unload(async_track_call_events(coordinator, history.handle_events))
    entry.async_on_unload(history.async_save)
    entry.runtime_data = GxpRuntimeData(
        client=client,
        controller=controller,
        coordinator=coordinator,
        history=history,
        model=model,
        firmware=firmware,
        keys_only=keys_only,
    )
    # The device exists from setup on, so actions can target it before any entity.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **phone_device_info(entry)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_note_firmware(hass, entry, model, firmware)
    async_setup_webhook(hass, entry)
    async_start_writing_slots(hass, entry)
    if not controller.settings.auto_attended_transfer:
        # The user set the option to match the phone: attended transfers are refused.
        async_set_issue(hass, entry, AUTO_ATTENDED_MISMATCH, None)
    await async_update_voice_sentences(hass, loading=entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: GxpConfigEntry) -> bool:
    """Stop listening to the phone and unload its entities."""
    async_unload_webhook(hass, entry)
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await async_update_voice_sentences(hass, unloading=entry)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: GxpConfigEntry) -> None:
    """Give the phone's Action URL slots back when the entry wrote them; drop its calls."""
    async_set_issue(hass, entry, VULNERABLE_FIRMWARE, None)
    await CallHistory.async_remove(hass, entry.entry_id)
    await async_release_slots(hass, entry)


async def async_migrate_entry(hass: HomeAssistant, entry: GxpConfigEntry) -> bool:
    """Bring an older entry up to date (1.2: a webhook id for the Action URLs)."""
    if entry.version > 1:
        # A newer release made this entry; it cannot be read here.
        return False
    if entry.minor_version < 2:
        hass.config_entries.async_update_entry(
            entry,
            data={**entry.data, CONF_WEBHOOK_ID: async_generate_id()},
            minor_version=2,
        )
    return True
