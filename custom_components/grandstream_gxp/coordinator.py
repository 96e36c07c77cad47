"""The data coordinator: one line-status read per poll, faster while calls are up.

Push (the phone's Action URLs, `push.py`) and polling work together:

* a pushed event starts ONE confirming read at once; the event is fired with that
  read, which names the caller (the Action URLs carry no number or name, see
  `push.py`): one CTI read later than the event itself, for the caller's name.
  `EventDeduplicator` drops the read's own report of the same event (and a push that
  arrives just after a poll found the change). A push whose read fails is dropped:
  the entities stay unavailable rather than flip to available and back;
* push is "proven alive" when an event arrived and its confirming poll found no call
  that push had not announced. While it is, an idle phone is read rarely
  (`PUSH_IDLE_INTERVAL`, accounts every `PUSH_ACCOUNTS_INTERVAL`); otherwise every
  `scan_interval`. During calls and actions the phone is read every second, but
  only for a state this library knows (an invented state string is no reason to
  hurry) and only until the lines have looked the same for `STEADY_CALL_LIMIT`;
* a poll that finds a call push never announced (on two reads in a row, so a push
  still on its way is not blamed) ends "proven alive": back to `scan_interval`; on a
  phone that never pushed, it shows the repair issue with the URLs;
* polls never overlap: one lock around every read;
* a keys-only phone (no `api-get_line_status`) is never read: its data stays empty.
"""

import asyncio
from dataclasses import dataclass, replace
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
from .cti.call_control import CallController
from .cti.transitions import CallEvent, call_events, known_lines
from .push import (
    EventDeduplicator,
    PushEvent,
    Source,
    async_push_missed,
    async_push_seen,
    number_key,
    resolve_push,
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
        """Derive the phone status from the lines (cti-api.md §5.2 recommendation [INF]).

        `unavailable` is the vendor's status for a phone with no registered account
        [VENDOR-CODE N1]; it is derived from the accounts read, once there is one.
        """
        states = {line.state for line in self.lines}
        if LineState.RINGING in states and LineState.CONNECTED not in states:
            return PhoneState.RINGING
        if states - {LineState.IDLE, None}:
            return PhoneState.BUSY
        if self.accounts and not any(account.registered for account in self.accounts):
            return PhoneState.UNAVAILABLE
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
    # The phone takes keys but reports no line state: actions cannot be checked.
    keys_only: bool = False


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
        *,
        keys_only: bool = False,
    ) -> None:
        """Poll `client` every `idle_interval` while the phone is idle.

        A keys-only phone has nothing to poll: no interval, and no request on a refresh.
        """
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {client.base_url.host}",
            update_interval=None if keys_only else idle_interval,
        )
        self.keys_only = keys_only
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
        # Pushes waiting for their confirming read, which fires their events.
        self._pending: list[PushEvent] = []
        self._confirm_task: asyncio.Task[None] | None = None
        self._announced: set[str] = set()
        self._unannounced_reads = 0
        # When a read or a push last showed the lines differently.
        self._lines_read: tuple[LineStatus, ...] | None = None
        self._lines_changed_at = dt_util.utcnow()
        # The phone rejected the password: nothing automatic asks it again (it locks the
        # account after 5 failures) until a read succeeds or reauth reloads the entry.
        self.auth_error: CtiAuthError | None = None

    async def async_shutdown(self) -> None:
        """Stop polling, and stop an action under way before its next request."""
        self.controller.close()
        await super().async_shutdown()

    async def _async_update_data(self) -> PhoneData:
        if self.keys_only:
            # Every other endpoint answers 404: no lines, no accounts, no events.
            return PhoneData(lines=())
        async with self._poll_lock:
            # Only pushes that arrived before the read: a later one may not show in
            # it, and stays pending for the next read.
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
            self._note_firmware()
            pushed = self._pushed_events(pushes, lines)
            data = self._next_data(lines, accounts, confirming=bool(pushes))
            if pushed:
                data = replace(data, events=pushed + data.events)
            return data

    def _pushed_events(
        self, pushes: list[PushEvent], lines: tuple[LineStatus, ...]
    ) -> tuple[CallEvent, ...]:
        """Return the events of `pushes` not yet fired, callers from `lines`."""
        before = self.data.lines if self.data is not None else lines
        now = dt_util.utcnow()
        expectations = self.controller.expectations
        events = []
        for push in pushes:
            if push.slot.event is None:
                continue
            if push.slot.starts_transfer:
                expectations.transfer_seen(lines)
            event = resolve_push(
                before,
                lines,
                push.slot.event,
                push.remote_number,
                push.remote_name,
                when_ringing=push.slot.when_ringing,
                outcomes=expectations.outcomes(),
            )
            self._announced.add(number_key(event.remote_number))
            if self._dedupe.admit(event, Source.PUSH, now):
                events.append(event)
        return tuple(events)

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
            if isinstance(err, CtiPasswordNotAcceptedError):
                # Not a wrong password: no reauth, the message names the cause.
                raise UpdateFailed(
                    translation_domain=DOMAIN, translation_key="password_not_accepted"
                ) from err
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
        from .firmware import async_note_firmware  # late: it imports this module

        async_note_firmware(self.hass, self.config_entry, runtime.model, version)
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
        if lines != self._lines_read:
            self._lines_read = lines
            self._lines_changed_at = now
        data = PhoneData(lines=lines, accounts=accounts, events=events)
        self._judge_push(data, confirming=confirming)
        self.update_interval = self._interval(data)
        return data

    def _interval(self, data: PhoneData) -> timedelta:
        """Return the polling period that fits the phone's state and push."""
        if self.controller.busy:
            return FAST_POLL_INTERVAL
        if any(line.state not in (LineState.IDLE, None) for line in data.lines):
            steady = dt_util.utcnow() - self._lines_changed_at >= STEADY_CALL_LIMIT
            return self.idle_interval if steady else FAST_POLL_INTERVAL
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
        if self._unannounced_reads == _UNANNOUNCED_READS:
            async_push_missed(self.hass, self.config_entry)
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
        """Confirm one event from the phone with a read at once; that read fires it.

        Nothing is published before the read: the entities keep what the last read
        showed (unavailable stays unavailable while reads fail).
        """
        self.last_push_at = dt_util.utcnow()
        if self.auth_error is not None:
            # Its confirming read would be one more failed login; the entities stay
            # unavailable until the password is fixed.
            LOGGER.debug("%s: event ignored while the password is rejected", self.name)
            return
        async_push_seen(self.hass, self.config_entry)
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
        """Read for the events pushed so far, until none is waiting.

        An event that arrives while a read is under way is confirmed by one more; each
        read takes the events that came before it (a failed read drops them), so this
        ends when the phone stops pushing.
        """
        while self._pending:
            waiting = self._pending
            await self.async_refresh()
            if self._pending is waiting:
                # No read took them (the coordinator is shutting down): stop.
                return
