"""Polls one phone and turns reads and pushes into call events (docs/architecture.md)."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .action_urls import PushEvent
from .connection import async_update_data
from .const import (
    ACCOUNTS_INTERVAL,
    CONF_FIRMWARE,
    DOMAIN,
    DUPLICATE_WINDOW,
    FAST_POLL_INTERVAL,
    LOGGER,
    PUSH_ACCOUNTS_INTERVAL,
    PUSH_IDLE_INTERVAL,
    STEADY_CALL_LIMIT,
)
from .cti import (
    Account,
    CtiAuthError,
    CtiClient,
    CtiCommandError,
    CtiError,
    CtiPasswordNotAcceptedError,
    CtiResponseError,
    LineState,
    LineStatus,
    PhoneState,
    parse_server_header,
)
from .cti.call_events import (
    CallEvent,
    CallExpectations,
    EventDeduplicator,
    Source,
    call_events,
    known_lines,
    number_key,
    resolve_push,
)

if TYPE_CHECKING:
    from .call_history import CallHistory
    from .cti.call_control import CallController

# Lines in these states are calls push should have announced.
_CALL_STATES = frozenset(
    {LineState.RINGING, LineState.CALLING, LineState.CONNECTED, LineState.ONHOLD}
)
# Reads in a row that must find an unannounced call before push is no longer trusted.
_UNANNOUNCED_READS = 2

type GxpConfigEntry = ConfigEntry[GxpRuntimeData]


def auth_failed(err: CtiAuthError) -> ConfigEntryAuthFailed:
    """Return the reauth-starting error for a rejected password or locked account."""
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
    # Reads in a row found a call that push did not announce.
    push_missed: bool = False

    @property
    def phone_status(self) -> PhoneState:
        """Derive the status from the lines (cti-api.md §5.2 [INF])."""
        states = {line.state for line in self.lines}
        if LineState.RINGING in states and LineState.CONNECTED not in states:
            return PhoneState.RINGING
        if states - {LineState.IDLE, None}:
            return PhoneState.BUSY
        # No account registered, once accounts were read [VENDOR-CODE N1].
        if self.accounts and not any(account.registered for account in self.accounts):
            return PhoneState.UNAVAILABLE
        return PhoneState.AVAILABLE


@dataclass(kw_only=True)
class GxpRuntimeData:
    """What a loaded entry holds."""

    client: CtiClient
    controller: CallController
    coordinator: GxpCoordinator
    history: CallHistory
    model: str | None
    firmware: str | None  # as at setup: a new one reloads the entry
    keys_only: bool  # takes keys, reports no line state: no action can be checked


class GxpCoordinator(DataUpdateCoordinator[PhoneData]):
    """Polls one phone; fast while a call or an action is in progress."""

    config_entry: GxpConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GxpConfigEntry,
        client: CtiClient,
        expectations: CallExpectations,
        idle_interval: timedelta,
        *,
        firmware: str | None,
        keys_only: bool = False,
    ) -> None:
        """Poll `client` every `idle_interval` while idle; a keys-only phone never."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {client.base_url.host}",
            update_interval=None if keys_only else idle_interval,
            always_update=False,
        )
        self.keys_only = keys_only
        self.client = client
        self.expectations = expectations
        self.idle_interval = idle_interval
        self.firmware = firmware
        self._actions_running = 0
        self._baseline: tuple[LineStatus, ...] | None = None
        self._accounts: tuple[Account, ...] = ()
        self._accounts_read_at: datetime | None = None
        self._poll_lock = asyncio.Lock()
        self._dedupe = EventDeduplicator(DUPLICATE_WINDOW)
        self.push_alive = False
        self.last_push_at: datetime | None = None
        # Pushes waiting for their confirming read, which fires their events.
        self._pending: list[PushEvent] = []
        self._confirm_task: asyncio.Task[None] | None = None
        self._announced: set[str] = set()
        self._unannounced_reads = 0
        # When a read or a push last showed the lines differently.
        self._lines_read: tuple[LineStatus, ...] | None = None
        self._lines_changed_at = dt_util.utcnow()
        # Set: nothing automatic asks the phone (5 failures lock it) until a read succeeds.
        self.auth_error: CtiAuthError | None = None
        # While an action's lines are published: its context, which the entities take.
        self.action_context: Context | None = None

    async def async_run_action[T](self, action: Callable[[], Awaitable[T]]) -> T:
        """Run an action that reads the lines itself: no fast polls meanwhile.

        A rejected password is remembered as a poll's is: nothing automatic asks again.
        """
        self._actions_running += 1
        self._reschedule()
        failed = False
        try:
            return await action()
        except CtiAuthError as err:
            self.auth_error = err
            raise
        except CtiError:
            failed = True
            raise
        finally:
            self._actions_running -= 1
            # A failed action published no read: read again at the user's interval at
            # most, as after a failed poll (push's 75 s would show a change late).
            self._reschedule(at_most=self.idle_interval if failed else None)

    def _reschedule(self, at_most: timedelta | None = None) -> None:
        if self.data is not None and self._unsub_refresh is not None:
            interval = min(self._interval(self.data), at_most or timedelta.max)
            if interval != self.update_interval:
                self.update_interval = interval
                self._schedule_refresh()

    async def _async_update_data(self) -> PhoneData:
        if self.keys_only:
            # Every other endpoint answers 404: no lines, no accounts, no events.
            return PhoneData(lines=())
        async with self._poll_lock:
            # Only pushes before the read: a later one may not show in it, so waits.
            pushes, self._pending = self._pending, []
            try:
                lines, accounts = await self._read()
            except UpdateFailed:
                if pushes:
                    LOGGER.debug(
                        "%s: %d pushed event(s) dropped, the read failed",
                        self.name,
                        len(pushes),
                    )
                raise
            self._check_firmware()
            pushed = self._pushed_events(pushes, lines)
            data = self._next_data(lines, accounts, confirming=bool(pushes))
            return replace(data, events=pushed + data.events)

    def _pushed_events(
        self, pushes: list[PushEvent], lines: tuple[LineStatus, ...]
    ) -> tuple[CallEvent, ...]:
        before = self.data.lines if self.data is not None else lines
        now = dt_util.utcnow()
        events = []
        for push in pushes:
            if push.slot.event is None:
                continue
            if push.slot.starts_transfer:
                self.expectations.transfer_seen(lines)
            event = resolve_push(
                before,
                lines,
                push.slot.event,
                push.remote_number,
                push.remote_name,
                when_ringing=push.slot.when_ringing,
                outcomes=self.expectations.outcomes(),
            )
            self._announced.add(number_key(event.remote_number))
            if self._dedupe.admit(event, Source.PUSH, now):
                events.append(event)
        return tuple(events)

    async def _read(self) -> tuple[tuple[LineStatus, ...], tuple[Account, ...]]:
        """Read the accounts when due, then the lines."""
        try:
            accounts = await self._read_accounts()
            # Last: nothing is awaited between reading and publishing the lines, so an
            # older read never overwrites lines an action published meanwhile.
            lines = tuple(await self.client.get_line_status())
        except CtiAuthError as err:
            self.auth_error = err
            raise auth_failed(err) from err
        except CtiError as err:
            # Unavailable until the next read at the user's interval (not push's, not 1 s).
            self.update_interval = self.idle_interval
            # Not a wrong password: no reauth, the message names the cause.
            refused = isinstance(err, CtiPasswordNotAcceptedError)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="password_not_accepted" if refused else "update_failed",
                translation_placeholders=None if refused else {"error": str(err)},
            ) from err
        self.auth_error = None
        return lines, accounts

    async def _read_accounts(self) -> tuple[Account, ...]:
        now = dt_util.utcnow()
        interval = PUSH_ACCOUNTS_INTERVAL if self.push_alive else ACCOUNTS_INTERVAL
        if self._accounts_read_at and now - self._accounts_read_at < interval:
            return self._accounts
        self._accounts_read_at = now
        try:
            self._accounts = tuple(await self.client.get_accounts())
        except (CtiCommandError, CtiResponseError) as err:
            # The GXP116x is not in the CTI guide; it may lack this endpoint [INF].
            LOGGER.debug("Accounts not available from %s: %s", self.name, err)
        return self._accounts

    def _check_firmware(self) -> None:
        """Reload on a new firmware: key table, advisory and lines are per firmware."""
        _, version = parse_server_header(self.client.server_header)
        if version is None or version == self.firmware:
            return
        LOGGER.debug("%s: firmware %s -> %s", self.name, self.firmware, version)
        self.firmware = version
        async_update_data(self.hass, self.config_entry, {CONF_FIRMWARE: version})
        self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)

    def _next_data(
        self,
        lines: tuple[LineStatus, ...],
        accounts: tuple[Account, ...],
        *,
        confirming: bool = False,
    ) -> PhoneData:
        """Turn a read into data: events against the last read, next interval."""
        now = dt_util.utcnow()
        expectations = self.expectations
        events = tuple(
            event
            for event in call_events(self._baseline, lines, expectations.outcomes())
            if self._dedupe.admit(event, Source.POLL, now)
        )
        # Only a read settles expectations and is the baseline: a push is a guess.
        expectations.settle(lines)
        self._baseline = known_lines(self._baseline, lines)
        if lines != self._lines_read:
            self._lines_read = lines
            self._lines_changed_at = now
        data = PhoneData(
            lines=lines,
            accounts=accounts,
            events=events,
            push_missed=self._judge_push(lines, confirming=confirming),
        )
        self.update_interval = self._interval(data)
        return data

    def _interval(self, data: PhoneData) -> timedelta:
        if self._actions_running:
            # The action reads the lines itself; a failed one leaves a read due soon.
            return self.idle_interval
        if any(line.state not in (LineState.IDLE, None) for line in data.lines):
            steady = dt_util.utcnow() - self._lines_changed_at >= STEADY_CALL_LIMIT
            return self.idle_interval if steady else FAST_POLL_INTERVAL
        if self.push_alive:
            return max(PUSH_IDLE_INTERVAL, self.idle_interval)
        return self.idle_interval

    def _judge_push(self, lines: tuple[LineStatus, ...], *, confirming: bool) -> bool:
        """Return whether push missed a call; stop or start trusting it."""
        if all(line.state is LineState.IDLE for line in lines):
            self._announced.clear()
            self._unannounced_reads = 0
        elif any(
            line.state in _CALL_STATES and not self._was_announced(line)
            for line in lines
        ):
            self._unannounced_reads += 1
        else:
            self._unannounced_reads = 0
        missed = self._unannounced_reads >= _UNANNOUNCED_READS
        if missed and self.push_alive:
            LOGGER.debug("%s: a call was not pushed; polling as usual", self.name)
            self.push_alive = False
        elif confirming and self._unannounced_reads == 0 and not self.push_alive:
            LOGGER.debug("%s: push confirmed; polling less while idle", self.name)
            self.push_alive = True
        return missed

    def _was_announced(self, line: LineStatus) -> bool:
        key = number_key(line.remote_number)
        # A template without $remote announces calls without numbers.
        return not key or key in self._announced or "" in self._announced

    @callback
    @override
    def async_update_listeners(self) -> None:
        """Tell the entities; then forget the events, which are told once.

        Only data unequal to the last is published (`always_update=False`: every
        entity write, even of an unchanged state, is an event on Home Assistant's bus),
        so the next read that finds the same lines must compare equal again.
        """
        super().async_update_listeners()
        if self.data is not None and self.data.events:
            self.data = replace(self.data, events=())

    @callback
    def async_apply_lines(
        self, lines: tuple[LineStatus, ...], context: Context | None = None
    ) -> None:
        """Publish lines an action has just read, under its context if given."""
        data = self._next_data(lines, self._accounts)
        if data != self.data or not self.last_update_success:
            self.action_context = context
            try:
                self.async_set_updated_data(data)
            finally:
                self.action_context = None

    @callback
    def async_handle_push(self, push: PushEvent) -> None:
        """Confirm a pushed event with a read at once; that read fires it."""
        self.last_push_at = dt_util.utcnow()
        if self.auth_error is not None:
            # Its confirming read would be one more failed login.
            LOGGER.debug("%s: event ignored while the password is rejected", self.name)
            return
        if push.slot.event is None:
            # Registration changed: read the accounts with the confirming poll.
            self._accounts_read_at = None
        else:
            # A call changed: fast polling starts again (see `_interval`).
            self._lines_changed_at = self.last_push_at
        self._pending.append(push)
        if self._confirm_task is None or self._confirm_task.done():
            self._confirm_task = self.config_entry.async_create_task(
                self.hass, self._async_confirm(), f"{self.name} confirm push"
            )

    async def _async_confirm(self) -> None:
        """Read until no pushed event waits (HA's Debouncer would drop one)."""
        while self._pending:
            waiting = self._pending
            await self.async_refresh()
            if self._pending is waiting:
                # No read took them (the coordinator is shutting down): stop.
                return
