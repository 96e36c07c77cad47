"""Config flow for the Grandstream GXP Phone integration.

One entry is one phone, identified by its MAC (`format_mac` form). The flow tests
the connection before it stores anything, and never sends a password twice for one
submit: phones lock web and CTI access after a few wrong passwords.

The MAC comes without a login where Home Assistant already knows it: from the DHCP
discovery of the phone, or from what the dhcp integration saw for the address. Only
otherwise does the flow log in to the web interface once (its answer carries the MAC
and the firmware), and when even that does not tell, it asks.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
import re
import traceback
from typing import TYPE_CHECKING, Any, Final, TypeIs
from urllib.parse import quote, quote_plus

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_RECONFIGURE,
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
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
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

if TYPE_CHECKING:
    # What Home Assistant's types name; at run time newer releases alias voluptuous
    # to probatio, and Home Assistant 2026.3 still uses voluptuous itself.
    import probatio as vol
else:
    import voluptuous as vol

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
)
from .coordinator import GxpConfigEntry
from .cti import (
    Account,
    CtiAuthError,
    CtiClient,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiPasswordNotAcceptedError,
    CtiResponseError,
    KeyTable,
    PhoneIdentity,
    normalize_mac,
)
from .cti.call_control import SwapMethod
from .cti.url import split_host
from .push import format_action_urls

# Discovery reads only the web root's Server header; a desk phone answers quickly.
PROBE_TIMEOUT: Final = 5.0
# Models the integration drives (cti-api.md §1); other Grandstream devices (HT8xx
# ATAs, GSC cameras and speakers, GWN access points) are not offered.
DESK_PHONE_PREFIXES: Final = ("GXP", "GRP")

# Where each error shows: next to the field of the form it concerns, else above it.
_USER_ERRORS: Final = {
    "cannot_connect": CONF_HOST,
    "invalid_auth": CONF_PASSWORD,
    "phone_locked": CONF_PASSWORD,
}
_PASSWORD_ERRORS: Final = {"invalid_auth": CONF_PASSWORD, "phone_locked": CONF_PASSWORD}
_HOST_ERRORS: Final = {"cannot_connect": CONF_HOST}

_OVERRIDE_SEPARATORS: Final = re.compile(r"[,;\n]+")

_PASSWORD_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
)
_PASSWORD_SCHEMA: Final = vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR})
_MAC_SCHEMA: Final = vol.Schema({vol.Required(CONF_MAC): TextSelector()})


def _discovery_schema(*, ssl: bool) -> vol.Schema:
    """Return the discovery confirmation: password, and HTTPS as the probe found it."""
    return vol.Schema(
        {
            vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
            vol.Required(CONF_SSL, default=ssl): BooleanSelector(),
        }
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
    """Return the form for where the phone is: host, maybe password, HTTPS section."""
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


@dataclass(frozen=True, slots=True, kw_only=True)
class _Connection:
    """Where and how to reach a phone (everything but the password)."""

    host: str
    port: int | None = None
    ssl: bool = False
    verify_ssl: bool = False

    @classmethod
    def from_form(cls, user_input: Mapping[str, Any]) -> _Connection:
        """Read the host field (`name[:port]`) and the HTTPS section.

        Raise ValueError for a host that is not a name or address with an optional port.
        """
        host, port = split_host(user_input[CONF_HOST])
        advanced = user_input[CONF_ADVANCED]
        return cls(
            host=host,
            port=port,
            ssl=advanced[CONF_SSL],
            verify_ssl=advanced[CONF_VERIFY_SSL],
        )

    @classmethod
    def from_entry(cls, data: Mapping[str, Any]) -> _Connection:
        """Read the connection of a config entry."""
        return cls(
            host=data[CONF_HOST],
            port=data.get(CONF_PORT),
            ssl=data.get(CONF_SSL, False),
            verify_ssl=data.get(CONF_VERIFY_SSL, False),
        )

    @property
    def address(self) -> str:
        """Return the host as the user writes it: `host`, `host:port`, `[v6]:port`."""
        if self.port is None:
            return self.host
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"

    def form_values(self) -> dict[str, Any]:
        """Return the connection as suggested values of the connection form."""
        return {
            CONF_HOST: self.address,
            CONF_ADVANCED: {CONF_SSL: self.ssl, CONF_VERIFY_SSL: self.verify_ssl},
        }

    def entry_data(self) -> dict[str, Any]:
        """Return the connection as config entry data (flat, port None if not given)."""
        return {
            CONF_HOST: self.host,
            CONF_PORT: self.port,
            CONF_SSL: self.ssl,
            CONF_VERIFY_SSL: self.verify_ssl,
        }

    def client(
        self, hass: HomeAssistant, password: str, timeout: float = REQUEST_TIMEOUT
    ) -> CtiClient:
        """Return a CTI client on Home Assistant's shared session."""
        return CtiClient(
            async_get_clientsession(hass, verify_ssl=self.verify_ssl),
            self.host,
            password=password,
            port=self.port,
            https=self.ssl,
            verify_ssl=self.verify_ssl,
            timeout=timeout,
        )


def _on_https(connection: _Connection, redirect: PhoneIdentity) -> _Connection:
    """Return the connection on HTTPS, at the port the phone's redirect names."""
    return replace(connection, ssl=True, port=redirect.https_port)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Tested:
    """What a phone that took the password told about itself."""

    info: PhoneIdentity
    extension: str | None = None

    @property
    def model(self) -> str | None:
        return self.info.model.value if self.info.model else None

    @property
    def mac(self) -> str | None:
        return format_mac(self.info.mac.value) if self.info.mac else None

    @property
    def firmware(self) -> str | None:
        return self.info.firmware.value if self.info.firmware else None


def _extension(accounts: list[Account]) -> str | None:
    """Return the SIP user id of the lowest-numbered account that has one."""
    for account in sorted(accounts, key=lambda account: account.id):
        if account.sip_id.strip():
            return account.sip_id.strip()
    return None


async def _async_try_phone(
    hass: HomeAssistant,
    connection: _Connection,
    password: str,
    *,
    login: bool,
    accounts: bool = True,
) -> _Tested | str:
    """Test the connection and the password once; return the facts or an error key.

    `identify` reads the line status (one request with the passcode) and, with
    `login`, only after that worked, makes one web login for the MAC. A phone with no
    line status (HTTP 404) is asked `api-send_key` with no key instead: the password
    is checked and nothing is pressed (keys-only mode). With
    `accounts` the accounts are read after that (for the entry's title). Nothing is retried, so one submit
    costs the phone at most one wrong password.
    """
    client = connection.client(hass, password)
    try:
        info = await client.identify(login=login)
    except (CtiConnectionError, CtiResponseError) as err:
        LOGGER.debug("Cannot reach the phone at %s: %s", connection.address, err)
        return "cannot_connect"
    except CtiAuthError as err:
        LOGGER.debug("The phone at %s refused: %s", connection.address, err)
        # Locked, the phone refuses even the right password: say so, or the user
        # tries other passwords and extends the lockout.
        return "phone_locked" if err.locked else "invalid_auth"
    except CtiForbiddenError as err:
        LOGGER.debug("The phone at %s refuses CTI: %s", connection.address, err)
        return "cti_disabled"
    except CtiPasswordNotAcceptedError as err:
        LOGGER.debug(
            "The phone at %s refuses the passcode: %s", connection.address, err
        )
        return "password_not_accepted"
    except Exception as err:  # noqa: BLE001
        if _shows_password(err, password):
            LOGGER.error(
                "Unexpected %s testing the phone at %s (details not logged: they "
                "contain the password)",
                type(err).__name__,
                connection.address,
            )
        else:
            LOGGER.exception(
                "Unexpected error testing the phone at %s", connection.address
            )
        return "unknown"
    if not accounts or info.keys_only:
        # A keys-only phone answers nothing but api-send_key.
        return _Tested(info=info)
    try:
        found = await client.get_accounts()
    except CtiError as err:
        # The GXP116x is not in the CTI guide; it may lack this endpoint [INF].
        LOGGER.debug("No accounts from %s: %s", connection.address, err)
        found = []
    return _Tested(info=info, extension=_extension(found))


def _shows_password(err: BaseException, password: str) -> bool:
    """Whether the exception's traceback text shows the password in any encoding."""
    secrets = {password, quote(password, safe=""), quote_plus(password)} - {""}
    text = "".join(traceback.format_exception(err))
    return any(secret in text for secret in secrets)


def _model(info: PhoneIdentity) -> str | None:
    return info.model.value if info.model else None


def _dhcp_mac(hass: HomeAssistant, host: str) -> str | None:
    """Return the MAC the dhcp integration last saw with this address, if it runs."""
    if "dhcp" not in hass.config.components:
        return None
    # Late: the dhcp integration's module needs its packages, present only when it runs.
    from homeassistant.components.dhcp import async_discovered_service_info

    for info in async_discovered_service_info(hass):
        if info.ip == host:
            return format_mac(info.macaddress)
    return None


def _is_desk_phone(model: str | None) -> TypeIs[str]:
    """Whether a model name (`GXP2170`, `GRP2614`) is one of the supported desk phones."""
    return model is not None and model.upper().startswith(DESK_PHONE_PREFIXES)


def _title(model: str | None, host: str) -> str:
    """Return how the flow names a phone before it knows which one it is."""
    return f"Grandstream {model}" if model else host


def _mac_suffix(mac: str) -> str:
    """Return the last two bytes of a MAC, `34:56`."""
    return mac[-5:].upper()


def _entry_title(
    model: str | None, host: str, extension: str | None, mac: str, taken: set[str]
) -> str:
    """Name a phone so that two of one model differ: `GXP2170 1001`, `GXP2170 34:56`.

    The extension is account 1's SIP user id (the lowest account that has one), else
    the MAC's last bytes; a title another entry has gets the MAC's last bytes too.
    """
    if model is None:
        title = host
    else:
        title = f"{model} {extension or _mac_suffix(mac)}"
    if title in taken:
        title = f"{title} {_mac_suffix(mac)}"
    return title


def parse_key_overrides(text: str) -> dict[str, str]:
    """Parse `XFER=TRANSFER, #=POUND` into validated overrides {logical: wire}.

    Items are separated by commas, semicolons or new lines; empty text means no
    overrides. Raise ValueError (CtiKeyError is one) for an item without `=`, a key
    the library does not know, a wire token that is not upper-case letters and
    digits (or `%23`), or the same key given twice.
    """
    pairs: list[tuple[str, str]] = []
    for item in _OVERRIDE_SEPARATORS.split(text):
        if not item.strip():
            continue
        token, equals, wire = item.partition("=")
        if not equals or not token.strip() or not wire.strip():
            raise ValueError(f"Not TOKEN=VALUE: {item.strip()!r}")
        pairs.append((token.strip(), wire.strip()))
    overrides = KeyTable(overrides=dict(pairs)).overrides
    if len(overrides) != len(pairs):
        raise ValueError("A key is given more than once")
    return dict(overrides)


def format_key_overrides(overrides: Mapping[str, str]) -> str:
    """Return stored overrides as the text the options form shows."""
    return ", ".join(f"{token}={wire}" for token, wire in overrides.items())


class GxpConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a phone, by hand or from DHCP discovery."""

    VERSION = 1
    # 1.2: a webhook id for the phone's Action URLs.
    MINOR_VERSION = 2

    _connection: _Connection
    _model: str | None
    _password: str
    _tested: _Tested

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: GxpConfigEntry) -> GxpOptionsFlow:
        """Return the options flow."""
        return GxpOptionsFlow()

    def _known_mac(self, host: str) -> str | None:
        """Return the MAC Home Assistant already knows for a host, without a login.

        A DHCP discovery of this integration in progress for the host, else what the
        dhcp integration saw for the address.
        """
        for flow in self._async_in_progress(include_uninitialized=True):
            context = flow["context"]
            placeholders = context.get("title_placeholders") or {}
            if (
                context.get("source") == SOURCE_DHCP
                and placeholders.get("host") == host
                and (unique_id := context.get("unique_id"))
            ):
                return unique_id
        return _dhcp_mac(self.hass, host)

    async def _async_test(
        self, connection: _Connection, password: str
    ) -> tuple[_Tested, str | None] | str:
        """Test the phone; log in for the MAC only when nothing else knows it.

        Return what the phone told with its MAC (None when still unknown), or an
        error key. A phone whose plain-HTTP web root redirects to HTTPS (HTTPS-only
        web access) is tested again on HTTPS; the phone refused no password, so
        this costs no lockout attempt.
        """
        mac = self._known_mac(connection.host)
        # The accounts name a new entry; a reconfigured one keeps its title.
        accounts = self.source != SOURCE_RECONFIGURE
        tested = await _async_try_phone(
            self.hass, connection, password, login=mac is None, accounts=accounts
        )
        if tested == "cannot_connect" and not connection.ssl:
            if (redirect := await self._async_https_redirect(connection)) is not None:
                connection = redirect
                tested = await _async_try_phone(
                    self.hass,
                    connection,
                    password,
                    login=mac is None,
                    accounts=accounts,
                )
        if isinstance(tested, str):
            return tested
        self._connection = connection
        self._password = password
        self._tested = tested
        self._model = tested.model
        return tested, mac or tested.mac

    async def _async_https_redirect(
        self, connection: _Connection
    ) -> _Connection | None:
        """Return where the plain-HTTP web root redirects to on HTTPS, if it does.

        Read without the password.
        """
        client = connection.client(self.hass, "", timeout=PROBE_TIMEOUT)
        try:
            info = await client.identify_without_password()
        except CtiError:
            return None
        return _on_https(connection, info) if info.https_redirect else None

    # --- by hand -------------------------------------------------------------

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where the phone is and its password, then test both."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                connection = _Connection.from_form(user_input)
            except ValueError:
                errors[CONF_HOST] = "invalid_host"
            else:
                found = await self._async_test(connection, user_input[CONF_PASSWORD])
                if isinstance(found, str):
                    errors[_USER_ERRORS.get(found, "base")] = found
                else:
                    _, mac = found
                    if mac is None:
                        return await self.async_step_mac()
                    await self.async_set_unique_id(mac, raise_on_progress=False)
                    self._abort_if_unique_id_configured()
                    return self._async_create_phone_entry()
        # The password is never sent back to the form.
        suggested = {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(password=True, collapsed=True), suggested
            ),
            errors=errors,
        )

    async def async_step_mac(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the MAC printed on the phone's label (the phone did not tell it)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            mac = normalize_mac(user_input[CONF_MAC])
            if mac is not None:
                await self.async_set_unique_id(format_mac(mac), raise_on_progress=False)
                if self.source == SOURCE_RECONFIGURE:
                    self._abort_if_unique_id_mismatch(reason="unique_id_mismatch")
                    return self._async_update_reconfigured_entry()
                self._abort_if_unique_id_configured()
                return self._async_create_phone_entry()
            errors[CONF_MAC] = "invalid_mac"
        return self.async_show_form(
            step_id="mac",
            data_schema=self.add_suggested_values_to_schema(_MAC_SCHEMA, user_input),
            errors=errors,
            description_placeholders={
                "name": _title(self._model, self._connection.address)
            },
        )

    @callback
    def _async_create_phone_entry(self) -> ConfigFlowResult:
        """Create the entry for the tested phone (the unique id is set)."""
        tested = self._tested
        data = {
            **self._connection.entry_data(),
            CONF_PASSWORD: self._password,
            CONF_MODEL: self._model,
            CONF_WEBHOOK_ID: webhook.async_generate_id(),
        }
        if tested.firmware:
            data[CONF_FIRMWARE] = tested.firmware
        if tested.info.keys_only:
            data[CONF_KEYS_ONLY] = True
        taken = {entry.title for entry in self._async_current_entries()}
        return self.async_create_entry(
            title=_entry_title(
                self._model,
                self._connection.host,
                tested.extension,
                self.unique_id or "",
                taken,
            ),
            data=data,
        )

    # --- discovery -----------------------------------------------------------

    async def async_step_dhcp(
        self, discovery_info: DhcpServiceInfo
    ) -> ConfigFlowResult:
        """Handle a device with a Grandstream MAC that got an address by DHCP."""
        await self.async_set_unique_id(format_mac(discovery_info.macaddress))
        self._abort_if_unique_id_configured(updates={CONF_HOST: discovery_info.ip})

        found = await self._async_probe(discovery_info.ip)
        if found is None:
            return self.async_abort(reason="not_supported")
        self._connection, self._model = found
        self.context["title_placeholders"] = {
            "name": _title(self._model, discovery_info.ip),
            "host": discovery_info.ip,
        }
        return await self.async_step_discovery_confirm()

    async def _async_probe(self, host: str) -> tuple[_Connection, str] | None:
        """Return how the host answers and its model, if it is a desk phone.

        Reads only the `Server` header of the web root, without the password, so an
        unknown device is never sent a password and the phone's lockout counter is
        not touched. HTTP comes first; HTTPS is tried when HTTP does not answer or
        redirects to HTTPS (the web UI may be HTTPS only, as on GRP26xx by default
        [DOC S10]).
        """
        for ssl in (False, True):
            connection = _Connection(host=host, ssl=ssl)
            client = connection.client(self.hass, "", timeout=PROBE_TIMEOUT)
            try:
                info = await client.identify_without_password()
            except CtiError as err:
                LOGGER.debug("No answer from %s: %s", client.base_url, err)
                continue
            model = _model(info)
            LOGGER.debug("%s answers as %r", client.base_url, info.server_header)
            if info.https_redirect and not ssl:
                if _is_desk_phone(model):
                    return _on_https(connection, info), model
                continue
            if not _is_desk_phone(model):
                return None
            return connection, model
        return None

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the discovered phone's password (and HTTPS), then test it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            connection = replace(self._connection, ssl=user_input[CONF_SSL])
            password = user_input[CONF_PASSWORD]
            # The MAC is known from DHCP: no web login is needed.
            tested = await _async_try_phone(
                self.hass, connection, password, login=False
            )
            if isinstance(tested, str):
                errors[_PASSWORD_ERRORS.get(tested, "base")] = tested
            else:
                self._connection = connection
                self._password = password
                self._tested = tested
                self._model = tested.model or self._model
                return self._async_create_phone_entry()
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=_discovery_schema(ssl=self._connection.ssl),
            errors=errors,
            description_placeholders={
                "name": _title(self._model, self._connection.host),
                "host": self._connection.host,
            },
        )

    # --- reauthentication ----------------------------------------------------

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start when the phone rejected the stored password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password and test it."""
        entry = self._get_reauth_entry()
        connection = _Connection.from_entry(entry.data)
        errors: dict[str, str] = {}
        if user_input is not None:
            password = user_input[CONF_PASSWORD]
            tested = await _async_try_phone(
                self.hass, connection, password, login=False, accounts=False
            )
            if isinstance(tested, str):
                errors[_PASSWORD_ERRORS.get(tested, "base")] = tested
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
                "host": connection.address,
            },
        )

    # --- reconfiguration -----------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change where the phone is (host, port, HTTPS), keeping its password.

        The phone at the new address must be this entry's phone: its MAC is checked
        (known, from a login, or asked for), never assumed.
        """
        entry = self._get_reconfigure_entry()
        current = _Connection.from_entry(entry.data)
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                connection = _Connection.from_form(user_input)
            except ValueError:
                errors[CONF_HOST] = "invalid_host"
            else:
                found = await self._async_test(connection, entry.data[CONF_PASSWORD])
                if isinstance(found, str):
                    errors[_HOST_ERRORS.get(found, "base")] = found
                else:
                    _, mac = found
                    if mac is None:
                        return await self.async_step_mac()
                    await self.async_set_unique_id(mac, raise_on_progress=False)
                    self._abort_if_unique_id_mismatch(reason="unique_id_mismatch")
                    return self._async_update_reconfigured_entry()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(password=False, collapsed=not current.ssl),
                user_input or current.form_values(),
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    @callback
    def _async_update_reconfigured_entry(self) -> ConfigFlowResult:
        """Store the new connection (and what the phone told) in the checked entry."""
        updates = self._connection.entry_data()
        tested = self._tested
        if tested.model is not None:
            updates[CONF_MODEL] = tested.model
        if tested.firmware:
            updates[CONF_FIRMWARE] = tested.firmware
        return self.async_update_reload_and_abort(
            self._get_reconfigure_entry(), data_updates=updates
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
                        CONF_AUTO_ATTENDED_TRANSFER: user_input[
                            CONF_AUTO_ATTENDED_TRANSFER
                        ],
                        CONF_SWAP_METHOD: user_input[CONF_SWAP_METHOD],
                        CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                        CONF_KEY_OVERRIDES: overrides,
                        CONF_WRITE_ACTION_URLS: user_input[CONF_WRITE_ACTION_URLS],
                        CONF_VOICE_SENTENCES: user_input[CONF_VOICE_SENTENCES],
                    }
                )
        options = self.config_entry.options
        current = user_input or {
            CONF_AUTO_ATTENDED_TRANSFER: options.get(
                CONF_AUTO_ATTENDED_TRANSFER, DEFAULT_AUTO_ATTENDED_TRANSFER
            ),
            CONF_SWAP_METHOD: options.get(CONF_SWAP_METHOD, DEFAULT_SWAP_METHOD),
            CONF_SCAN_INTERVAL: options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
            CONF_KEY_OVERRIDES: format_key_overrides(
                options.get(CONF_KEY_OVERRIDES) or {}
            ),
            CONF_WRITE_ACTION_URLS: options.get(
                CONF_WRITE_ACTION_URLS, DEFAULT_WRITE_ACTION_URLS
            ),
            CONF_VOICE_SENTENCES: options.get(
                CONF_VOICE_SENTENCES, DEFAULT_VOICE_SENTENCES
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
