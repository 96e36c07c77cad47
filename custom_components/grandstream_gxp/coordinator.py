"""The data coordinator: one line-status read per poll, faster while calls are up.

Push (the phone's Action URLs, `push.py`) and polling work together:

* a pushed event updates the data and fires the call event at once, then ONE
  confirming poll follows; `EventDeduplicator` drops the poll's report of the same
  event (and a push that arrives just after a poll found the change);
* push is "proven alive" when an event arrived and its confirming poll found no call
  that push had not announced. While it is, an idle phone is read rarely
  (`PUSH_IDLE_INTERVAL`, accounts every `PUSH_ACCOUNTS_INTERVAL`); otherwise every
  `scan_interval`. During calls and actions the phone is read every second;
* a poll that finds a call push never announced (on two reads in a row, so a push
  still on its way is not blamed) ends "proven alive": back to `scan_interval`;
* polls never overlap: one lock around every read.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    ACCOUNTS_INTERVAL,
    CONF_PUSH_SEEN,
    DOMAIN,
    DUPLICATE_WINDOW,
    FAST_POLL_INTERVAL,
    LOGGER,
    PUSH_ACCOUNTS_INTERVAL,
    PUSH_IDLE_INTERVAL,
)
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
    parse_server_header,
)
from .cti.call_control import CallController
from .cti.transitions import CallEvent, call_events, known_lines
from .push import (
    EventDeduplicator,
    PushEvent,
    Source,
    apply_push,
    async_update_push_issue,
    number_key,
)

if TYPE_CHECKING:
    from .call_history import CallHistory

# Lines in these states are calls push should have announced.
_CALL_STATES = frozenset(
    {LineState.RINGING, LineState.CALLING, LineState.CONNECTED, LineState.ONHOLD}
)
# Reads in a row that must find an unannounced call before push is no longer trusted.
_UNANNOUNCED_READS = 2

type GxpConfigEntry = ConfigEntry[GxpRuntimeData]


def auth_failed(err: CtiAuthError) -> ConfigEntryAuthFailed:
    """Return the reauth-starting error for a rejected password or a locked account."""
    return ConfigEntryAuthFailed(
        translation_domain=DOMAIN,
        translation_key="phone_locked" if err.locked else "invalid_auth",
    )


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
    history: CallHistory
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
        self._poll_lock = asyncio.Lock()
        self._dedupe = EventDeduplicator(DUPLICATE_WINDOW)
        # Push state: see the module docstring.
        self.push_alive = False
        self.last_push_at: datetime | None = None
        self._confirm_pending = False
        self._confirm_task: asyncio.Task[None] | None = None
        self._announced: set[str] = set()
        self._unannounced_reads = 0
        self._pushes = 0
        # The phone rejected the password: nothing automatic asks it again (it locks the
        # account after 5 failures) until a read succeeds or reauth reloads the entry.
        self.auth_error: CtiAuthError | None = None

    async def async_shutdown(self) -> None:
        """Stop polling, and stop an action under way before its next request."""
        self.controller.close()
        await super().async_shutdown()

    async def _async_update_data(self) -> PhoneData:
        async with self._poll_lock:
            confirming = self._confirm_pending
            self._confirm_pending = False
            pushes = self._pushes
            lines, accounts = await self._read()
            self._note_firmware()
            data = self._next_data(lines, accounts, confirming=confirming)
            if self._pushes != pushes and self.data is not None:
                # An event arrived during the read, which may show the phone from
                # before it: keep showing what the event implied until the
                # confirming read, which is next.
                data = PhoneData(
                    lines=self.data.lines, accounts=accounts, events=data.events
                )
                self.update_interval = self._interval(data)
            return data

    async def _read(self) -> tuple[tuple[LineStatus, ...], tuple[Account, ...]]:
        """Read the accounts when they are due, then the lines.

        The lines come last so that nothing is awaited between reading and publishing
        them: an action that publishes its own read meanwhile is never overwritten by
        an older one.
        """
        try:
            accounts = await self._read_accounts()
            lines = tuple(await self.client.get_line_status())
        except CtiAuthError as err:
            self.auth_error = err
            raise auth_failed(err) from err
        except CtiError as err:
            # Unavailable until the next read: at the user's polling interval, not the
            # longer one for an idle phone whose push works, nor 1 s as in a call.
            self.update_interval = self.idle_interval
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.auth_error = None
        return lines, accounts

    async def _read_accounts(self) -> tuple[Account, ...]:
        """Read the accounts every few minutes; keep the last list if the phone has none."""
        now = dt_util.utcnow()
        interval = PUSH_ACCOUNTS_INTERVAL if self.push_alive else ACCOUNTS_INTERVAL
        if (
            self._accounts_read_at is not None
            and now - self._accounts_read_at < interval
        ):
            return self._accounts
        self._accounts_read_at = now
        try:
            self._accounts = tuple(await self.client.get_accounts())
        except (CtiCommandError, CtiResponseError) as err:
            # The GXP116x is not in the CTI guide; it may lack this endpoint [INF].
            LOGGER.debug("Accounts not available from %s: %s", self.name, err)
        return self._accounts

    def _note_firmware(self) -> None:
        """Show a new firmware version (the phone was upgraded) on the device page."""
        _, version = parse_server_header(self.client.server_header)
        runtime: GxpRuntimeData | None = getattr(
            self.config_entry, "runtime_data", None
        )
        if version is None or runtime is None or version == runtime.firmware:
            return
        LOGGER.debug("%s: firmware %s -> %s", self.name, runtime.firmware, version)
        # Entities added later (lines the new firmware has) describe the device with it.
        runtime.firmware = version
        # Probe findings hold for the firmware they were made on: stop using old ones.
        from .helpers import key_table_for  # late: helpers imports this module

        runtime.client.key_table = key_table_for(
            self.config_entry, runtime.client.key_table.family, version
        )
        registry = dr.async_get(self.hass)
        entry = self.config_entry
        device = registry.async_get_device_by_identifier(
            (DOMAIN, entry.unique_id or ""), entry.entry_id
        )
        if device is not None:
            registry.async_update_device(device.id, sw_version=version)

    def _next_data(
        self,
        lines: tuple[LineStatus, ...],
        accounts: tuple[Account, ...],
        *,
        confirming: bool = False,
    ) -> PhoneData:
        """Turn a read into data: events against the last known lines, next interval.

        Events push has already fired are dropped. The baseline is only ever a read:
        what a push implied is a guess, and a wrong guess must not become an event.
        """
        now = dt_util.utcnow()
        expectations = self.controller.expectations
        events = tuple(
            event
            for event in call_events(self._baseline, lines, expectations.outcomes())
            if self._dedupe.admit(event, Source.POLL, now)
        )
        # Only a read settles what an action expected; a push is a guess.
        expectations.settle(lines)
        self._baseline = known_lines(self._baseline, lines)
        data = PhoneData(lines=lines, accounts=accounts, events=events)
        self._judge_push(data, confirming=confirming)
        self.update_interval = self._interval(data)
        return data

    def _interval(self, data: PhoneData) -> timedelta:
        """Return the polling period that fits the phone's state and push."""
        if not data.idle or self.controller.busy:
            return FAST_POLL_INTERVAL
        if self.push_alive:
            return max(PUSH_IDLE_INTERVAL, self.idle_interval)
        return self.idle_interval

    def _judge_push(self, data: PhoneData, *, confirming: bool) -> None:
        """Decide from a read whether push is (still) proven alive."""
        if data.idle:
            self._announced.clear()
            self._unannounced_reads = 0
        elif any(
            line.state in _CALL_STATES and not self._was_announced(line)
            for line in data.lines
        ):
            self._unannounced_reads += 1
        else:
            self._unannounced_reads = 0
        if self._unannounced_reads >= _UNANNOUNCED_READS and self.push_alive:
            LOGGER.debug("%s: a call was not pushed; polling as usual", self.name)
            self.push_alive = False
        elif confirming and self._unannounced_reads == 0 and not self.push_alive:
            LOGGER.debug("%s: push confirmed; polling less while idle", self.name)
            self.push_alive = True

    def _was_announced(self, line: LineStatus) -> bool:
        key = number_key(line.remote_number)
        # A template without $remote announces calls without numbers.
        return not key or key in self._announced or "" in self._announced

    def async_apply_lines(self, lines: tuple[LineStatus, ...]) -> None:
        """Publish lines an action has just read, without asking the phone again."""
        self.async_set_updated_data(self._next_data(lines, self._accounts))

    @callback
    def async_handle_push(self, push: PushEvent) -> None:
        """Apply one event from the phone at once, then confirm it with one poll."""
        now = dt_util.utcnow()
        self.last_push_at = now
        if self.auth_error is not None:
            # Its confirming read would be one more failed login; the entities stay
            # unavailable until the password is fixed.
            LOGGER.debug("%s: event ignored while the password is rejected", self.name)
            return
        self._pushes += 1
        entry = self.config_entry
        if not entry.data.get(CONF_PUSH_SEEN):
            # No update listener: changing the data does not reload the entry.
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_PUSH_SEEN: True}
            )
            async_update_push_issue(self.hass, entry)
        kind = push.slot.event
        if kind is None:
            # Registration changed: read the accounts with the confirming poll.
            self._accounts_read_at = None
        elif self.data is not None:
            self._announced.add(number_key(push.remote_number))
            expectations = self.controller.expectations
            if push.slot.starts_transfer:
                expectations.transfer_seen(self.data.lines)
            lines, event = apply_push(
                self.data.lines,
                kind,
                push.remote_number,
                push.remote_name,
                when_ringing=push.slot.when_ringing,
                outcomes=expectations.outcomes(),
            )
            fire = self._dedupe.admit(event, Source.PUSH, now)
            data = PhoneData(
                lines=lines,
                accounts=self.data.accounts,
                events=(event,) if fire else (),
            )
            self.update_interval = self._interval(data)
            self.async_set_updated_data(data)
        self._confirm_pending = True
        if self._confirm_task is None or self._confirm_task.done():
            self._confirm_task = entry.async_create_task(
                self.hass, self._async_confirm(), f"{self.name} confirm push"
            )

    async def _async_confirm(self) -> None:
        """Poll once for the events pushed so far.

        An event that arrives while that read is under way is confirmed by one more.
        """
        for _ in range(2):
            if not self._confirm_pending:
                return
            await self.async_refresh()
