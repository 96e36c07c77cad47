"""One simulated phone: call state + settings + far ends + timers + Action URLs.

Everything that takes time (far ends answering, `failed` clearing, the dial timeout,
queued keys, reboots) runs on the event loop through tracked timers and tasks that
`close()` cancels. `wait_for()` lets tests await a state instead of sleeping.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager, nullcontext
from dataclasses import replace
import itertools
import logging
import random
from typing import Any, Protocol

from . import keys as key_handling
from .action_url import ActionUrlSender, SentAction, event_name, render
from .auth import Authenticator
from .clock import Clock
from .farend import FarEndScript
from .faults import Faults
from .linestatus import snapshot
from .operations import OPERATIONS
from .profiles import ModelProfile, get_profile
from .requestlog import RequestLog
from .settings import TIMING_FIELDS, PhoneSettings, setup_values, timing_values
from .state import CALL_FAILED, CallEvent, CallState, Line, status_of

_LOGGER = logging.getLogger(__name__)

_MAC_COUNTER = itertools.count(1)
# The most lines a firmware upgrade may give a phone (the largest models have 16) [I].
MAX_LINES = 16
# api-make_call's failure body [VENDOR-CODE N1].
INVALID_REQUEST = "Invalid Request"


def next_mac() -> str:
    """Return a distinct Grandstream-looking MAC (OUI 00:0B:82 [CODE S10c])."""
    n = next(_MAC_COUNTER)
    return f"00:0B:82:5A:{(n >> 8) & 0xFF:02X}:{n & 0xFF:02X}"


class PhoneHost(Protocol):
    """What the phone needs from its HTTP server to go down and up."""

    async def stop_listening(self) -> None:
        """Close the listening socket and drop connections."""

    async def start_listening(self) -> None:
        """Listen again on the same address."""


class SimPhone:
    """The simulated phone, without HTTP (the harness adds the server)."""

    def __init__(
        self,
        profile: ModelProfile | str = "GXP1165",
        *,
        password: str = "admin",  # noqa: S107
        settings: PhoneSettings | None = None,
        mac: str | None = None,
        setup: str = "factory",
        timing: str = "realistic",
        **setting_changes: Any,
    ) -> None:
        """Create an idle phone of the given model; extra keywords change settings.

        `setup` is "factory" (the real factory defaults) or "readme" (set up as the
        project README asks); `timing` is "realistic" or "instant". Both are ignored
        when `settings` is given.
        """
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.settings = settings or PhoneSettings.for_profile(
            self.profile, setup=setup, timing=timing
        )
        self.settings.update(**setting_changes)
        self.mac = (mac or next_mac()).upper()
        self.clock = Clock()
        self.auth = Authenticator(self.clock, password)
        self.random = random.Random(self.settings.seed)  # noqa: S311 - not security
        self.raw_states: dict[int, str] = {}
        self.published_lines: list[dict[str, Any]] = []
        self._serial = asyncio.Lock()
        self.state = CallState(self.profile.lines)
        self._wire_state()
        self.far_ends = FarEndScript()
        self.faults = Faults()
        self.fault_generation = 0
        self.requests = RequestLog(self.clock)
        self.events: list[CallEvent] = []
        self.action_urls = ActionUrlSender(self._action_url_sent)
        self.host: PhoneHost | None = None
        self.down = False
        self.refusing = False
        self.closing = False
        self.reboots = 0
        self.upgrades = 0
        self.popup_answers = 0
        self.popup_accept = True
        self._timers: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dial_timer: asyncio.TimerHandle | None = None
        self._key_queue: deque[str] = deque()
        self._key_worker: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._snapshot_seq = 0
        self._published_seq = -1
        self._publish_current()

    def _wire_state(self) -> None:
        self.state.refer_ok = self._refer_ok
        self.state.giveup_events = self._giveup_events
        self.state.handover = self._handover
        self.state.connected_name_is_number = self.profile.connected_name_is_number

    def configure(
        self, *, setup: str | None = None, timing: str | None = None, **changes: Any
    ) -> None:
        """Apply a setup and/or timing preset, then single settings."""
        presets: dict[str, Any] = {}
        if setup is not None:
            presets.update(setup_values(self.profile, setup))
        if timing is not None:
            presets.update(timing_values(timing))
        self.settings.update(**presets, **changes)
        if "seed" in changes:
            self.random.seed(self.settings.seed)
        self.notify()

    # ------------------------------------------------------------- queries

    @property
    def password(self) -> str:
        """The admin password (CTI passcode)."""
        return self.auth.password

    def line(self, number: int) -> Line:
        """Line by 1-based number."""
        return self.state.line(number)

    def line_states(self) -> list[str]:
        """State string of every line, e.g. ["connected", "idle"]."""
        return [str(line.state) for line in self.state.lines]

    @property
    def dtmf_log(self) -> str:
        """All tones sent into calls, in order (see `state.dtmf_log` for details)."""
        return self.state.dtmf_for()

    @property
    def transfers(self) -> list[Any]:
        """Transfers the phone performed."""
        return self.state.transfers

    def describe(self) -> str:
        """One line for assertion messages."""
        xfer = self.state.xfer
        return (
            f"{self.profile.key} lines={self.line_states()} focus={self.state.focus} "
            f"xfer={xfer} pending={self.state.xfer_pending} down={self.down}"
        )

    # -------------------------------------------------------- notification

    def notify(self) -> None:
        """Wake everyone awaiting a change (called after every change)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_for(
        self,
        predicate: Callable[[SimPhone], bool],
        timeout: float | None = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Return once `predicate(phone)` holds; TimeoutError after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self):
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"condition not reached; {self.describe()}") from None

    async def wait_for_lines(
        self,
        *states: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until the lines are in exactly these states (first lines; rest idle)."""
        want = list(states) + ["idle"] * (len(self.state.lines) - len(states))
        await self.wait_for(lambda p: p.line_states() == want, timeout)

    # -------------------------------------------------- timers and tasks

    def call_later(
        self, delay: float, callback: Callable[..., object], *args: Any
    ) -> None:
        """Run `callback` later; tracked, so close() and reboots cancel it."""
        handle: asyncio.TimerHandle

        def run() -> None:
            self._timers.discard(handle)
            callback(*args)

        handle = asyncio.get_running_loop().call_later(delay, run)
        self._timers.add(handle)

    def create_task(
        self, coro: Coroutine[Any, Any, Any], name: str
    ) -> asyncio.Task[Any]:
        """Start a task that close() cancels."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _cancel_timers(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        if self._dial_timer is not None:
            self._dial_timer.cancel()
            self._dial_timer = None

    # --------------------------------------------------------- the engine

    def _after_change(self, *, lag: bool = False) -> None:
        for event in self.state.drain_events():
            self._on_event(event)
        self._reschedule_dial_timer()
        self._publish_current(lag=lag)
        self.notify()

    # ------------------------------------------------- what a poll shows

    def _publish(self, lines: list[dict[str, Any]], seq: int) -> None:
        if seq > self._published_seq:  # a newer snapshot may have overtaken this one
            self._published_seq = seq
            self.published_lines = lines
            self.notify()

    def _publish_current(self, *, lag: bool = False) -> None:
        """Show the current lines to api-get_line_status.

        A key's effect shows after `status_lag` [C S20 waits between keys; INF].
        """
        self._snapshot_seq += 1
        lines = snapshot(self)
        if lag and self.settings.status_lag > 0:
            self.call_later(
                self.settings.status_lag, self._publish, lines, self._snapshot_seq
            )
        else:
            self._publish(lines, self._snapshot_seq)

    def show_raw_state(
        self, line: int, state: str | None, duration: float | None = None
    ) -> None:
        """Make a line report a raw state string for a while (None clears it).

        Strings the evidence lists as possible: `transfered`, `ending`, `conference`
        [DOC S25, GMI only; D S4], `none` [CODE S17]. The call behind it does not change.
        """
        self.state.line(line)  # ValueError for a line the phone lacks
        if state is None:
            self.raw_states.pop(line, None)
        else:
            self.raw_states[line] = state
            if duration is not None:
                self.call_later(duration, self._clear_raw_state, line, state)
        self.notify()

    def line_status(self) -> list[dict[str, Any]]:
        """api-get_line_status body: the published lines, raw states laid over.

        With no key effect pending, the lines as they are now (so a test that pokes
        the state directly is seen).
        """
        if self._published_seq == self._snapshot_seq:
            self.published_lines = snapshot(self)
        return [
            {**line, "state": self.raw_states[line["line"]]}
            if line["line"] in self.raw_states
            else line
            for line in self.published_lines
        ]

    def _clear_raw_state(self, line: int, state: str) -> None:
        if self.raw_states.get(line) == state:
            self.show_raw_state(line, None)

    def phone_status(self) -> str:
        """api-get_phone_status body, from what line status shows [CAP S8; INF].

        `unavailable` while no account is registered [VENDOR-CODE N1].
        """
        if not any(account.registered for account in self.settings.accounts):
            return "unavailable"
        return status_of([str(line["state"]) for line in self.line_status()])

    def idle_call_allowed(self) -> bool:
        """`misc` of the vendor's extension: 1 = a call may be placed now [VENDOR-CODE N1]."""
        return self.phone_status() == "available"

    # --------------------------------------------------------- randomness

    def _giveup_events(self) -> Sequence[str]:
        order = self.settings.giveup_order
        if order == "missed_only":
            return ("missed_call",)
        if order == "random":
            order = self.random.choice(("missed_first", "terminated_first"))
        if order == "missed_first":
            return ("missed_call", "terminated_call")
        return ("terminated_call", "missed_call")

    def _handover(self, finish: Callable[[], None]) -> None:
        """Let the NOTIFY after a REFER arrive 0.5-3 s later (realistic) [INF]."""
        low, high = self.settings.transfer_handover
        delay = self.random.uniform(low, high) if high > 0 else 0.0

        def done() -> None:
            finish()
            self._after_change()

        if delay <= 0:
            finish()  # inside the change that started the transfer
            return
        self.call_later(delay, done)

    @asynccontextmanager
    async def request_slot(self) -> AsyncIterator[None]:
        """Serve one request: one at a time (embedded server), `request_latency` each."""
        lock = self._serial if self.settings.serialize_requests else nullcontext()
        async with lock:
            if self.settings.request_latency > 0:
                await asyncio.sleep(self.settings.request_latency)
            yield

    def _on_event(self, event: CallEvent) -> None:
        if event.name == "terminated_call" and self.settings.hangup_name_is_number:
            event = replace(event, remote_name=event.remote_number)  # [CAP N4]
        self.events.append(event)
        self._send_action_url(event)
        line = self.state.line(event.line) if event.line else None
        if line is None:
            return
        far_end = self.far_ends.for_number(event.remote_number)
        if event.name == "outgoing_call":
            if far_end.busy:
                self.call_later(far_end.busy_after, self._far_busy, line, event.call_id)
            elif far_end.answer_after is not None:
                self.call_later(
                    far_end.answer_after, self._far_answer, line, event.call_id
                )
        elif event.name == "incoming_call" and far_end.give_up_after is not None:
            self.call_later(
                far_end.give_up_after, self._far_hangup, line, event.call_id
            )
        elif event.name == "established_call" and far_end.hangup_after is not None:
            self.call_later(far_end.hangup_after, self._far_hangup, line, event.call_id)
        elif event.name == CALL_FAILED:
            self.call_later(
                self.settings.failed_time, self._clear_failed, line, event.call_id
            )

    def _timed(self, line: Line, call_id: int, action: Callable[[Line], bool]) -> None:
        if line.call_id == call_id and action(line):
            self._after_change()

    def _far_answer(self, line: Line, call_id: int) -> None:
        self._timed(line, call_id, self.state.far_answer)

    def _far_busy(self, line: Line, call_id: int) -> None:
        self._timed(line, call_id, self.state.far_busy)

    def _far_hangup(self, line: Line, call_id: int) -> None:
        self._timed(line, call_id, self.state.far_hangup)

    def _clear_failed(self, line: Line, call_id: int) -> None:
        if self.state.clear_failed(line, call_id):
            self._after_change()

    def _refer_ok(self, target: str) -> bool:
        return self.far_ends.for_number(target).accept_transfer

    def _reschedule_dial_timer(self) -> None:
        if self._dial_timer is not None:
            self._dial_timer.cancel()
            self._dial_timer = None
        timeout = self.settings.no_key_entry_timeout
        if timeout is not None and key_handling.has_pending_digits(self.state):
            self._dial_timer = asyncio.get_running_loop().call_later(
                timeout, self._dial_timeout
            )

    def _dial_timeout(self) -> None:
        self._dial_timer = None
        key_handling.dial_timeout(self.state, self.settings)
        self._after_change()

    # ------------------------------------------------------------- keys

    def accepted_keys(self) -> frozenset[str]:
        """Tokens api-send_key takes on this phone now."""
        return key_handling.accepted_keys(self.profile, self.settings)

    def parse_keys(self, raw: str | None) -> list[str] | None:
        """Validate a `keys=` value; None = refuse the whole request [I]."""
        return key_handling.parse_keys(raw, self.accepted_keys())

    def press_keys(self, tokens: list[str]) -> None:
        """Apply keys now (key_delay 0) or queue them behind earlier ones [C S20]."""
        if self.settings.key_delay <= 0 and not self._key_queue:
            for token in tokens:
                self.press_key(token)
            return
        self._key_queue.extend(tokens)
        if self._key_worker is None:
            self._key_worker = self.create_task(self._play_keys(), "gxp keys")

    def press_key(self, token: str) -> None:
        """Apply one accepted key."""
        key_handling.apply_key(self.state, token, self.settings)
        self._after_change(lag=True)

    async def _play_keys(self) -> None:
        try:
            while self._key_queue:
                await asyncio.sleep(self.settings.key_delay)
                if self._key_queue:
                    self.press_key(self._key_queue.popleft())
        finally:
            self._key_worker = None

    @property
    def queued_keys(self) -> list[str]:
        """Keys waiting to be applied."""
        return list(self._key_queue)

    # ------------------------------------------------- operations, calls

    def phone_operation(self, cmd: str) -> bool:
        """api-phone_operation; False when unknown or nothing to act on [I]."""
        operation = OPERATIONS.get(cmd)
        if operation is None:
            return False
        done = operation(self.state, self.settings)
        self._after_change()
        return done

    def make_call(self, number: str, account: int = 0) -> bool:
        """api-make_call: needs Click-To-Dial (P1561) [CODE S15, S16; FORUM S12; I]."""
        return self.make_call_error(number, account) is None

    def make_call_error(self, number: str, account: int = 0) -> str | None:
        """Place a call as api-make_call does; return the error body, or None.

        "Invalid Request" when Click-To-Dial is off, the number is empty, the account
        (0-based: id - 1) is missing or unregistered, or the keypad is locked
        [VENDOR-CODE N1]; "failed" when no line is free [I].
        """
        accounts = self.settings.accounts
        if (
            not self.settings.click_to_dial
            or not number
            or not 0 <= account < min(len(accounts), self.profile.accounts)
            or not accounts[account].registered
            or self.state.peripherals.keypad_locked
        ):
            return INVALID_REQUEST
        line = self.state.place_call(number, account)
        self._after_change()
        return None if line is not None else "failed"

    def incoming_call(
        self, number: str, name: str = "", after: float = 0.0, account: int = 0
    ) -> int | None:
        """Let a call arrive (now, or `after` seconds later); return the ringing line."""
        if after > 0:
            self.call_later(after, self.incoming_call, number, name, 0.0, account)
            return None
        name = name or self.far_ends.for_number(number).name
        line = self.state.incoming(
            number, name, account, call_waiting=self.settings.call_waiting
        )
        self._after_change()
        return None if line is None else line.number

    def far_end_answer(self, line: int) -> bool:
        """Make the called party on this line answer."""
        return self._drive(self.state.far_answer, line)

    def far_end_hangup(self, line: int) -> bool:
        """Make the other party hang up (ringing -> missed call)."""
        return self._drive(self.state.far_hangup, line)

    def far_end_busy(self, line: int) -> bool:
        """Make the called party busy: failed, then idle."""
        return self._drive(self.state.far_busy, line)

    def _drive(self, action: Callable[[Line], bool], line: int) -> bool:
        done = action(self.state.line(line))
        self._after_change()
        return done

    # ------------------------------------------------------- Action URLs

    def pvalue(self, name: str) -> str:
        """One P-value as api.values.get reads it; only Action URL slots are kept [I]."""
        try:
            event = event_name(name)
        except ValueError:
            return ""
        if event not in self.profile.action_url_events:
            return ""
        return self.settings.action_urls.get(event, "")

    def set_pvalue(self, name: str, value: str) -> None:
        """Write one P-value (api.values.post); "" clears an Action URL slot [I]."""
        try:
            event = event_name(name)
        except ValueError:
            return
        if event not in self.profile.action_url_events:
            return
        if value:
            self.settings.action_urls[event] = value
        else:
            self.settings.action_urls.pop(event, None)

    def action_url_values(self, event: CallEvent) -> dict[str, str]:
        """Values of the documented variables for one event [DOC S22, S23]."""
        accounts = self.settings.accounts
        account = accounts[event.account] if event.account < len(accounts) else None
        return {
            "mac": self.mac.replace(":", "").lower(),  # DevId style [CODE S10b; I]
            "phone_ip": self.settings.phone_ip,
            "product": self.profile.model,
            "program_version": self.profile.firmware,
            "hardware_version": self.profile.hardware_version,
            "language": self.settings.language,
            "local": account.sip_id if account else "",
            "display_local": account.name if account else "",
            "active_user": account.sip_id if account else "",
            "remote": event.remote_number,
            "display_remote": event.remote_name,
        }

    def _send_action_url(self, event: CallEvent) -> None:
        if event.name not in self.profile.action_url_events:
            return  # GXP1165 has none [DOC S10]
        template = self.settings.action_urls.get(event.name)
        if template:
            settings = self.settings
            url = render(
                template,
                self.action_url_values(event),
                encoding=settings.action_url_encoding,
                literal_when_empty=settings.literal_when_empty,
                mac_notation=settings.mac_notation,
                mac_upper=settings.mac_upper,
            )
            self.action_urls.send(event.name, url)

    def _action_url_sent(self, _sent: SentAction) -> None:
        self.notify()

    def boot_events(self) -> None:
        """Announce a boot: setup completed, then the registrations."""
        self._on_event(CallEvent("setup_completed"))
        for index, account in enumerate(self.settings.accounts):
            if account.registered:
                self._on_event(CallEvent("registered", account=index))
        self.notify()

    # ------------------------------------------------------------- faults

    def set_faults(self, **changes: Any) -> None:
        """Change faults; requests held by `no_answer` are released (and answered)."""
        self.faults.update(**changes)
        self.fault_generation += 1
        self.notify()

    def clear_faults(self) -> None:
        """No faults; held requests are answered."""
        self.faults.clear()
        self.fault_generation += 1
        self.notify()

    # ----------------------------------------------- pop-up, reboot, close

    def answer_popup(self, accept: bool = True) -> None:
        """Answer the remote-control pop-up as the person at the phone [DOC S1; I]."""
        self.popup_accept = accept
        self.popup_answers += 1
        self.notify()

    def reboot(self, *, factory_reset: bool = False) -> None:
        """Go down for `reboot_time` seconds, then come back idle [DOC S2; I]."""
        self.create_task(self._reboot(factory_reset), "gxp reboot")

    def upgrade_firmware(
        self, *, lines: int | None = None, firmware: str | None = None
    ) -> ModelProfile:
        """Reboot into another firmware, which may have another number of lines [I].

        The model stays; the version (login answer, `Server` header, Action URL
        `$program_version`) and the line count change once the phone is back.
        Settings, accounts and the password survive, as with a real upgrade.
        Return the profile the phone comes back with.
        """
        if lines is not None and (
            isinstance(lines, bool)
            or not isinstance(lines, int)
            or not 1 <= lines <= MAX_LINES
        ):
            raise ValueError(f"lines must be an integer from 1 to {MAX_LINES}")
        if firmware is not None and (
            not isinstance(firmware, str) or not firmware.strip()
        ):
            raise ValueError("firmware must be a non-empty version string")
        old = self.profile
        version = firmware.strip() if firmware else old.firmware
        upgraded = old.with_changes(
            lines=old.lines if lines is None else lines,
            firmware=version,
            server_header=old.server_header.replace(old.firmware, version),
        )
        self.create_task(self._reboot(False, upgraded), "gxp firmware upgrade")
        return upgraded

    async def _reboot(
        self, factory_reset: bool, upgrade: ModelProfile | None = None
    ) -> None:
        self.down = True
        self.notify()
        if self.host is not None:
            await self.host.stop_listening()
        self._cancel_timers()
        self._key_queue.clear()
        if upgrade is not None:
            self.profile = upgrade
            self.upgrades += 1
        self.state.reset(self.profile.lines)
        self._wire_state()
        self.auth.reset()
        if factory_reset:
            # Settings back to the model's factory defaults; the password and the
            # simulator's timing are kept so it stays reachable and as fast [I].
            timing = {name: getattr(self.settings, name) for name in TIMING_FIELDS}
            self.settings = PhoneSettings.for_profile(self.profile, **timing)
        self.state.drain_events()
        self.raw_states.clear()
        self._publish_current()
        await asyncio.sleep(self.settings.reboot_time)
        self.reboots += 1
        if self.host is not None:
            await self.host.start_listening()
        self.down = False
        self.boot_events()

    def refuse_connections(self, duration: float | None = None) -> None:
        """Stop listening (connection refused), for `duration` seconds or until told."""
        self.create_task(self._refuse(duration), "gxp refuse connections")

    async def _refuse(self, duration: float | None) -> None:
        self.refusing = True
        if self.host is not None:
            await self.host.stop_listening()
        self.notify()
        if duration is not None:
            await asyncio.sleep(duration)
            await self.accept_connections()

    async def accept_connections(self) -> None:
        """Listen again after refuse_connections()."""
        if self.refusing and self.host is not None:
            await self.host.start_listening()
        self.refusing = False
        self.notify()

    async def hold_request(self, release: Callable[[SimPhone], bool]) -> None:
        """Block a request handler until `release` holds or the phone closes."""
        await self.wait_for(lambda p: p.closing or release(p), timeout=None)

    async def close(self) -> None:
        """Cancel every timer and task, release held requests, close the HTTP client."""
        self.closing = True
        self.notify()
        self._cancel_timers()
        self._key_queue.clear()
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        await self.action_urls.close()
