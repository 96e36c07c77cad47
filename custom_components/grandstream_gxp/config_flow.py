"""Config flow: one entry per phone, identified by its MAC (docs/architecture.md).

A password is sent at most once per submit: phones lock access after a few wrong ones.
"""

from collections.abc import Mapping
import re
from typing import Any, Final

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_MAC,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    CONF_SSL,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo

from .action_urls import format_action_urls
from .connection import client_for
from .const import (
    CONF_ADVANCED,
    CONF_AUTO_ATTENDED_TRANSFER,
    CONF_FIRMWARE,
    CONF_KEY_OVERRIDES,
    CONF_KEYS_ONLY,
    CONF_MODEL,
    CONF_SWAP_METHOD,
    CONF_VOICE_SENTENCES,
    CONF_WRITE_ACTION_URLS,
    DEFAULT_AUTO_ATTENDED_TRANSFER,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SWAP_METHOD,
    DEFAULT_VOICE_SENTENCES,
    DEFAULT_WRITE_ACTION_URLS,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    REQUEST_TIMEOUT,
    vol,
)
from .coordinator import GxpConfigEntry
from .cti import CtiClient, KeyTable, normalize_mac
from .cti.call_control import SwapMethod
from .cti.connect import (
    PROBE_TIMEOUT,
    CheckedPhone,
    CheckError,
    check_phone,
    find_desk_phone,
    https_redirect,
)
from .cti.url import split_host

# Where each error shows: next to the field of the form it concerns, else above it.
_PASSWORD_ERRORS: Final = {"invalid_auth": CONF_PASSWORD, "phone_locked": CONF_PASSWORD}
_HOST_ERRORS: Final = {"cannot_connect": CONF_HOST}

_OVERRIDE_SEPARATORS: Final = re.compile(r"[,;\n]+")

_PASSWORD_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
)
_PASSWORD_SCHEMA: Final = vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR})
_MAC_SCHEMA: Final = vol.Schema({vol.Required(CONF_MAC): TextSelector()})


def _discovery_schema(*, ssl: bool) -> vol.Schema:
    """Return the password form with HTTPS as the probe found it."""
    return _PASSWORD_SCHEMA.extend(
        {vol.Required(CONF_SSL, default=ssl): BooleanSelector()}
    )


OPTIONS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(
            CONF_AUTO_ATTENDED_TRANSFER, default=DEFAULT_AUTO_ATTENDED_TRANSFER
        ): BooleanSelector(),
        vol.Required(CONF_SWAP_METHOD, default=DEFAULT_SWAP_METHOD): SelectSelector(
            SelectSelectorConfig(
                options=[method.value for method in SwapMethod],
                translation_key=CONF_SWAP_METHOD,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Required(CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL): NumberSelector(
            NumberSelectorConfig(
                min=MIN_SCAN_INTERVAL,
                max=MAX_SCAN_INTERVAL,
                step=1,
                unit_of_measurement="s",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Optional(CONF_KEY_OVERRIDES): TextSelector(),
        vol.Required(
            CONF_WRITE_ACTION_URLS, default=DEFAULT_WRITE_ACTION_URLS
        ): BooleanSelector(),
        vol.Required(
            CONF_VOICE_SENTENCES, default=DEFAULT_VOICE_SENTENCES
        ): BooleanSelector(),
    }
)


def _connection_schema(*, password: bool, collapsed: bool) -> vol.Schema:
    fields: dict[vol.Marker, Any] = {vol.Required(CONF_HOST): TextSelector()}
    if password:
        fields[vol.Required(CONF_PASSWORD)] = _PASSWORD_SELECTOR
    fields[vol.Required(CONF_ADVANCED)] = section(
        vol.Schema(
            {
                vol.Required(CONF_SSL, default=False): BooleanSelector(),
                vol.Required(CONF_VERIFY_SSL, default=False): BooleanSelector(),
            }
        ),
        {"collapsed": collapsed},
    )
    return vol.Schema(fields)


def _connection_from_form(user_input: Mapping[str, Any]) -> dict[str, Any]:
    host, port = split_host(user_input[CONF_HOST])
    return {CONF_HOST: host, CONF_PORT: port, **user_input[CONF_ADVANCED]}


def _address(data: Mapping[str, Any]) -> str:
    """Return `host`, `host:port` or `[v6]:port`."""
    host, port = data[CONF_HOST], data[CONF_PORT]
    if port is None:
        return str(host)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _title(model: str | None, host: str) -> str:
    return f"Grandstream {model}" if model else host


def parse_key_overrides(text: str) -> dict[str, str]:
    """Parse `XFER=TRANSFER, #=POUND` (`,`, `;` or new lines); ValueError if invalid."""
    pairs: list[tuple[str, str]] = []
    for item in filter(str.strip, _OVERRIDE_SEPARATORS.split(text)):
        token, _, wire = (part.strip() for part in item.partition("="))
        if not token or not wire:
            raise ValueError(f"Not TOKEN=VALUE: {item.strip()!r}")
        pairs.append((token, wire))
    overrides = KeyTable(overrides=dict(pairs)).overrides
    if len(overrides) != len(pairs):
        raise ValueError("A key is given more than once")
    return dict(overrides)


class GxpConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a phone, by hand or from DHCP discovery."""

    VERSION = 1
    # 1.2: a webhook id for the phone's Action URLs.
    MINOR_VERSION = 2

    # The checked phone, its connection as entry data (host, port, ssl, verify_ssl).
    _connection: Mapping[str, Any]
    _password: str
    _checked: CheckedPhone
    _model: str | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: GxpConfigEntry) -> GxpOptionsFlow:
        """Return the options flow."""
        return GxpOptionsFlow()

    def _client(
        self, data: Mapping[str, Any], password: str, timeout: float = REQUEST_TIMEOUT
    ) -> CtiClient:
        return client_for(self.hass, {**data, CONF_PASSWORD: password}, timeout=timeout)

    def _known_mac(self, host: str) -> str | None:
        """Return the MAC a DHCP discovery in progress or the dhcp integration saw."""
        for flow in self._async_in_progress(include_uninitialized=True):
            context = flow["context"]
            placeholders = context.get("title_placeholders") or {}
            if (
                context.get("source") == SOURCE_DHCP
                and placeholders.get("host") == host
                and (unique_id := context.get("unique_id"))
            ):
                return unique_id
        if "dhcp" not in self.hass.config.components:
            return None
        # Late: the dhcp integration's module needs its packages, present only when it runs.
        from homeassistant.components.dhcp import async_discovered_service_info

        found = async_discovered_service_info(self.hass)
        return next((format_mac(i.macaddress) for i in found if i.ip == host), None)

    async def _async_check(
        self, connection: Mapping[str, Any], password: str, *, login: bool
    ) -> CheckError | None:
        """Check the phone once and keep what it told; return the error key if any."""
        accounts = self.source in (SOURCE_USER, SOURCE_DHCP)
        checked = await check_phone(
            self._client(connection, password), login=login, accounts=accounts
        )
        typed = self.source in (SOURCE_USER, SOURCE_RECONFIGURE)
        # A typed HTTP address redirecting to HTTPS: checked again, no password was refused.
        if checked == CheckError.CANNOT_CONNECT and typed and not connection[CONF_SSL]:
            probe = self._client(connection, "", PROBE_TIMEOUT)
            if redirect := await https_redirect(probe):
                connection = {**connection, CONF_SSL: True, CONF_PORT: redirect.port}
                checked = await check_phone(
                    self._client(connection, password), login=login, accounts=accounts
                )
        if not isinstance(checked, CheckedPhone):
            return checked
        self._connection, self._password, self._checked = connection, password, checked
        self._model = checked.model or self._model
        return None

    async def _async_finish(self, mac: str) -> ConfigFlowResult:
        """Add the checked phone, or update the reconfigured entry if it is this one."""
        await self.async_set_unique_id(mac, raise_on_progress=False)
        if self.source != SOURCE_RECONFIGURE:
            self._abort_if_unique_id_configured()
            return self._async_create_phone_entry()
        self._abort_if_unique_id_mismatch()
        # What the phone does not name (model, firmware) stays as stored.
        told = {CONF_MODEL: self._checked.model, CONF_FIRMWARE: self._checked.firmware}
        updates = {**self._connection, **{k: v for k, v in told.items() if v}}
        return self.async_update_reload_and_abort(
            self._get_reconfigure_entry(), data_updates=updates
        )

    @callback
    def _async_create_phone_entry(self) -> ConfigFlowResult:
        checked = self._checked
        data = {
            **self._connection,
            CONF_PASSWORD: self._password,
            CONF_MODEL: self._model,
            CONF_WEBHOOK_ID: webhook.async_generate_id(),
        }
        if checked.firmware:
            data[CONF_FIRMWARE] = checked.firmware
        if checked.keys_only:
            data[CONF_KEYS_ONLY] = True
        # `GXP2170 1001` (the lowest account's SIP user id), else `GXP2170 34:56` (the
        # MAC's last bytes); a title another entry has gets the MAC's last bytes too.
        mac_suffix = (self.unique_id or "")[-5:].upper()
        title = self._connection[CONF_HOST]
        if self._model is not None:
            title = f"{self._model} {checked.extension or mac_suffix}"
        if title in {entry.title for entry in self._async_current_entries()}:
            title = f"{title} {mac_suffix}"
        return self.async_create_entry(title=title, data=data)

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where the phone is and its password, then check both."""
        return await self._async_connection_step(user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change where the phone is, keeping its password; its MAC is checked."""
        return await self._async_connection_step(
            user_input, self._get_reconfigure_entry()
        )

    async def _async_connection_step(
        self, user_input: dict[str, Any] | None, entry: GxpConfigEntry | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                connection = _connection_from_form(user_input)
            except ValueError:
                errors[CONF_HOST] = "invalid_host"
            else:
                password = (entry.data if entry else user_input)[CONF_PASSWORD]
                mac = self._known_mac(connection[CONF_HOST])
                if error := await self._async_check(
                    connection, password, login=mac is None
                ):
                    fields = _HOST_ERRORS if entry else _HOST_ERRORS | _PASSWORD_ERRORS
                    errors[fields.get(error, "base")] = error
                elif mac := mac or self._checked.mac:
                    return await self._async_finish(mac)
                else:
                    return await self.async_step_mac()
        if user_input is None and entry is not None:
            advanced = {key: entry.data[key] for key in (CONF_SSL, CONF_VERIFY_SSL)}
            user_input = {CONF_HOST: _address(entry.data), CONF_ADVANCED: advanced}
        # The password is never sent back to the form.
        shown = {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}
        return self.async_show_form(
            step_id="reconfigure" if entry else "user",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(
                    password=entry is None,
                    collapsed=not (entry and entry.data[CONF_SSL]),
                ),
                shown,
            ),
            errors=errors,
            description_placeholders={"name": entry.title} if entry else None,
        )

    async def async_step_mac(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the MAC printed on the phone's label (the phone did not tell it)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            # Not format_mac: that passes any text it cannot read through unchecked.
            if mac := normalize_mac(user_input[CONF_MAC]):
                return await self._async_finish(mac)
            errors[CONF_MAC] = "invalid_mac"
        return self.async_show_form(
            step_id="mac",
            data_schema=self.add_suggested_values_to_schema(_MAC_SCHEMA, user_input),
            errors=errors,
            description_placeholders={
                "name": _title(self._model, _address(self._connection))
            },
        )

    async def async_step_dhcp(
        self, discovery_info: DhcpServiceInfo
    ) -> ConfigFlowResult:
        """Handle a device with a Grandstream MAC that got an address by DHCP."""
        host = discovery_info.ip
        await self.async_set_unique_id(format_mac(discovery_info.macaddress))
        self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        http = {
            CONF_HOST: host,
            CONF_PORT: None,
            CONF_SSL: False,
            CONF_VERIFY_SSL: False,
        }
        found = await find_desk_phone(
            lambda https: self._client({**http, CONF_SSL: https}, "", PROBE_TIMEOUT)
        )
        if found is None:
            return self.async_abort(reason="not_supported")
        endpoint, self._model = found
        self._connection = {**http, CONF_SSL: endpoint.https, CONF_PORT: endpoint.port}
        self.context["title_placeholders"] = {
            "name": _title(self._model, host),
            "host": host,
        }
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the discovered phone's password (and HTTPS), then check it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            connection = {**self._connection, CONF_SSL: user_input[CONF_SSL]}
            # The MAC is known from DHCP: no web login is needed.
            if error := await self._async_check(
                connection, user_input[CONF_PASSWORD], login=False
            ):
                errors[_PASSWORD_ERRORS.get(error, "base")] = error
            else:
                return self._async_create_phone_entry()
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=_discovery_schema(ssl=self._connection[CONF_SSL]),
            errors=errors,
            description_placeholders=self.context["title_placeholders"],
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start when the phone rejected the stored password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password and check it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            password = user_input[CONF_PASSWORD]
            if error := await self._async_check(entry.data, password, login=False):
                errors[_PASSWORD_ERRORS.get(error, "base")] = error
            else:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_PASSWORD: password}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_PASSWORD_SCHEMA,
            errors=errors,
            description_placeholders={
                "name": entry.title,
                "host": _address(entry.data),
            },
        )


class GxpOptionsFlow(OptionsFlowWithReload):
    """Change how the integration drives the phone; the entry reloads afterwards."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                overrides = parse_key_overrides(user_input.get(CONF_KEY_OVERRIDES, ""))
            except ValueError as err:
                LOGGER.debug("Invalid key overrides: %s", err)
                errors[CONF_KEY_OVERRIDES] = "invalid_key_overrides"
            else:
                return self.async_create_entry(
                    data={
                        **user_input,
                        CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                        CONF_KEY_OVERRIDES: overrides,
                    }
                )
        options = self.config_entry.options
        # The schema's defaults (what validating no input gives), then what is stored.
        current = user_input or {
            **OPTIONS_SCHEMA({}),
            **options,
            CONF_KEY_OVERRIDES: ", ".join(
                f"{token}={wire}"
                for token, wire in (options.get(CONF_KEY_OVERRIDES) or {}).items()
            ),
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
            errors=errors,
            description_placeholders={
                "urls": format_action_urls(
                    self.hass, self.config_entry.data.get(CONF_WEBHOOK_ID)
                )
            },
        )
