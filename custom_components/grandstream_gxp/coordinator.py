"""The data coordinator: one line-status read per poll, faster while calls are up."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import ACCOUNTS_INTERVAL, DOMAIN, FAST_POLL_INTERVAL, LOGGER
from .cti import (
    Account,
    CtiAuthError,
    CtiClient,
    CtiCommandError,
    CtiError,
    CtiResponseError,
    LineState,
    LineStatus,
    PhoneState,
)
from .cti.call_control import CallController
from .cti.transitions import CallEvent, call_events, known_lines

type GxpConfigEntry = ConfigEntry[GxpRuntimeData]


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneData:
    """What one poll found, plus the call events since the previous one."""

    lines: tuple[LineStatus, ...]
    accounts: tuple[Account, ...] = ()
    events: tuple[CallEvent, ...] = ()

    @property
    def phone_status(self) -> PhoneState:
        """Derive the phone status from the lines (cti-api.md §5.2 recommendation [INF])."""
        states = {line.state for line in self.lines}
        if LineState.RINGING in states and LineState.CONNECTED not in states:
            return PhoneState.RINGING
        if states - {LineState.IDLE, None}:
            return PhoneState.BUSY
        return PhoneState.AVAILABLE

    @property
    def idle(self) -> bool:
        """Whether every line is idle."""
        return all(line.state is LineState.IDLE for line in self.lines)


@dataclass(kw_only=True)
class GxpRuntimeData:
    """What a loaded entry holds."""

    client: CtiClient
    controller: CallController
    coordinator: GxpCoordinator
    model: str | None
    firmware: str | None


class GxpCoordinator(DataUpdateCoordinator[PhoneData]):
    """Polls one phone; fast while a call or an action is in progress."""

    config_entry: GxpConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GxpConfigEntry,
        client: CtiClient,
        controller: CallController,
        idle_interval: timedelta,
    ) -> None:
        """Poll `client` every `idle_interval` while the phone is idle."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {client.base_url.host}",
            update_interval=idle_interval,
        )
        self.client = client
        self.controller = controller
        self.idle_interval = idle_interval
        self._baseline: tuple[LineStatus, ...] | None = None
        self._accounts: tuple[Account, ...] = ()
        self._accounts_read_at: datetime | None = None

    async def _async_update_data(self) -> PhoneData:
        try:
            lines = tuple(await self.client.get_line_status())
            accounts = await self._read_accounts()
        except CtiAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="phone_locked" if err.locked else "invalid_auth",
            ) from err
        except CtiError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        return self._next_data(lines, accounts)

    async def _read_accounts(self) -> tuple[Account, ...]:
        """Read the accounts every few minutes; keep the last list if the phone has none."""
        now = dt_util.utcnow()
        if (
            self._accounts_read_at is not None
            and now - self._accounts_read_at < ACCOUNTS_INTERVAL
        ):
            return self._accounts
        self._accounts_read_at = now
        try:
            self._accounts = tuple(await self.client.get_accounts())
        except (CtiCommandError, CtiResponseError) as err:
            # The GXP116x is not in the CTI guide; it may lack this endpoint [INF].
            LOGGER.debug("Accounts not available from %s: %s", self.name, err)
        return self._accounts

    def _next_data(
        self, lines: tuple[LineStatus, ...], accounts: tuple[Account, ...]
    ) -> PhoneData:
        """Turn a read into data: events against the last known lines, next interval."""
        events = call_events(self._baseline, lines, self.controller.take_transferred())
        self._baseline = known_lines(self._baseline, lines)
        data = PhoneData(lines=lines, accounts=accounts, events=tuple(events))
        self.update_interval = (
            self.idle_interval
            if data.idle and not self.controller.busy
            else FAST_POLL_INTERVAL
        )
        return data

    def async_apply_lines(self, lines: tuple[LineStatus, ...]) -> None:
        """Publish lines an action has just read, without asking the phone again."""
        self.async_set_updated_data(self._next_data(lines, self._accounts))
