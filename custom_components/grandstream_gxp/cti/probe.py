"""The key probe: ask an idle phone which spelling it takes for each uncertain key.

A phone answers an unknown key with `unknown` [DOC S2]; each spelling is pressed alone.
Safety rules, [INF] unless tagged:
* Only with every line idle, read before every press; someone else's call stops it.
* Quiet keys first (HOLD; XFER needs an open call [C S1]), toggles twice, then
  the keys that go off hook (CONF, LINEn [D S6]).
* Never `#`: "Use # as Dial Key" (P72) is on by default [D S16]; it stays `%23`
  [FORUM S6; C S1] unless overridden.
* Back to idle: ONHOOK [DOC S2]; `endcall` ends a dialling line, never a ringing one [DOC S2].
* Never SEND, a digit or a number.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
import logging
import time
from typing import Any, Final, NoReturn

from .client import CtiClient
from .errors import CtiCommandError, CtiError
from .keys import (
    ALTERNATIVE_SPELLINGS,
    FAMILY_RANGES,
    FIXED_KEYS,
    Family,
    Key,
    default_wire,
    line_key,
)
from .models import Lines, LineState, LineStatus, PhoneOperation

_LOGGER = logging.getLogger(__name__)

# The phone's answers to a key it took and to one it does not know [DOC S2].
ACCEPTED: Final = "complete"
REFUSED: Final = "unknown"

# Pressed twice: the second press undoes the first (off hook and back, or a mode).
TOGGLES: Final = frozenset({Key.HEADSET, Key.SPEAKER})
# Safest first (see the module docstring); any other key after these, line keys last.
_ORDER: Final = (Key.HOLD, Key.XFER, Key.HEADSET, Key.SPEAKER, Key.CONF)

# States a probe's own press can leave behind; anything else is someone else's call.
_OWN = frozenset({LineState.DIALING, LineState.CALLING, LineState.FAILED})
_OWN_CALL = frozenset({LineState.DIALING, LineState.CALLING})


class ProbeError(CtiError):
    """The probe could not run or finish; `lines` is what the phone showed last."""

    def __init__(self, message: str, lines: Sequence[LineStatus]) -> None:
        """Keep the lines found."""
        super().__init__(message)
        self.lines: Lines = tuple(lines)


class ProbeBusyError(ProbeError):
    """A line was not idle when the probe was to start; nothing was pressed."""


class ProbeRestoreError(ProbeError):
    """After pressing `key` the phone could not be brought back to idle."""

    def __init__(self, key: str, lines: Sequence[LineStatus], detail: str) -> None:
        """Name the key the probe could not undo."""
        super().__init__(f"Key probe stopped at {key}: {detail}", lines)
        self.key = key


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyAnswer:
    """One spelling pressed and the phone's answer (`complete`, `unknown`, ...)."""

    wire: str
    answer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyFinding:
    """What the probe learned about one logical key."""

    key: str
    accepted: str | None  # the wire token the phone took; None: none of them
    answers: tuple[KeyAnswer, ...]

    @property
    def conclusive(self) -> bool:
        """A spelling taken, or every one refused as unknown."""
        return self.accepted is not None or all(
            answer.answer == REFUSED for answer in self.answers
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """The findings of one probe run, with the phone it ran on."""

    findings: tuple[KeyFinding, ...]
    model: str | None
    firmware: str | None
    probed_at: datetime
    # Something else happened on the phone: the probe stopped, `skipped` not probed.
    interrupted: bool = False
    skipped: tuple[str, ...] = ()
    lines: Lines = field(default=())  # as the probe left them

    @property
    def keys(self) -> dict[str, str | None]:
        """Return the conclusive findings: logical key -> accepted wire token or None."""
        return {
            finding.key: finding.accepted
            for finding in self.findings
            if finding.conclusive
        }

    def as_dict(self) -> dict[str, Any]:
        """Return the findings as JSON-ready data (what is stored and reported)."""
        return {
            "model": self.model,
            "firmware": self.firmware,
            "probed_at": self.probed_at.isoformat(),
            "complete": not self.interrupted,
            "keys": self.keys,
            "answers": {
                finding.key: {answer.wire: answer.answer for answer in finding.answers}
                for finding in self.findings
            },
        }


def stored_keys(data: object) -> dict[str, str | None]:
    """Return the `keys` of findings stored with `ProbeResult.as_dict()`; {} if malformed."""
    keys = data.get("keys") if isinstance(data, Mapping) else None
    if not isinstance(keys, Mapping):
        return {}
    return {
        str(key): wire
        for key, wire in keys.items()
        if wire is None or isinstance(wire, str)
    }


def uncertain_keys(family: Family, line_count: int) -> tuple[str, ...]:
    """Return the unconfirmed keys, XFER and the phone's line keys; safest first, no `#`."""
    keys = {info.token for info in FIXED_KEYS.values() if not info.confirmed}
    keys |= {Key.XFER}
    keys -= {Key.POUND}
    last = min(line_count, FAMILY_RANGES[family]["LINE"].last)
    lines = [line_key(number) for number in range(1, last + 1)]
    rank: dict[str, int] = {key: index for index, key in enumerate(_ORDER)}
    ordered = sorted(keys, key=lambda key: (rank.get(key, len(_ORDER)), key))
    return (*ordered, *lines)


def spellings(key: str) -> tuple[str, ...]:
    """Return the wire spellings to try for a logical key, the default first."""
    return (default_wire(key), *ALTERNATIVE_SPELLINGS.get(key, ()))


def _idle(lines: Lines) -> bool:
    return all(line.state is LineState.IDLE for line in lines)


class _Stopped(Exception):
    """The phone left idle by someone else's doing; `finding` if a spelling was taken."""

    def __init__(self, lines: Lines, finding: KeyFinding | None = None) -> None:
        super().__init__("interrupted")
        self.lines = lines
        self.finding = finding


class KeyProbe:
    """Runs the probe on one phone; `settle`: it answers before its keys run [CODE S15]."""

    def __init__(
        self,
        client: CtiClient,
        *,
        settle: float = 0.5,
        poll_interval: float = 0.2,
        restore_timeout: float = 5.0,
        clock: Callable[[], datetime] = partial(datetime.now, UTC),
    ) -> None:
        """Probe the phone behind `client`."""
        self._client = client
        self._settle = settle
        self._poll = poll_interval
        self._restore_timeout = restore_timeout
        self._clock = clock

    async def run(
        self, *, model: str | None = None, firmware: str | None = None
    ) -> ProbeResult:
        """Probe every uncertain key; someone else's call ends the run early (`interrupted`)."""
        lines = await self._lines()
        if not _idle(lines):
            raise ProbeBusyError("The phone is not idle", lines)
        try:  # the probe relies on ONHOOK to get back to idle
            await self._client.send_keys([Key.ONHOOK])
        except CtiCommandError as err:
            raise ProbeRestoreError(
                Key.ONHOOK, lines, f"the phone refuses ONHOOK ({err.body})"
            ) from err
        keys = uncertain_keys(self._client.key_table.family, len(lines))
        findings: list[KeyFinding] = []
        skipped: tuple[str, ...] = ()
        for index, key in enumerate(keys):
            try:
                findings.append(await self._probe_key(key))
            except _Stopped as stop:
                _LOGGER.debug("Key probe stopped at %s: the phone left idle", key)
                if stop.finding is not None:
                    findings.append(stop.finding)
                done = index + (stop.finding is not None)
                skipped, lines = keys[done:], stop.lines
                break
        else:
            lines = await self._lines()
        return ProbeResult(
            findings=tuple(findings),
            model=model,
            firmware=firmware,
            probed_at=self._clock(),
            interrupted=bool(skipped),
            skipped=skipped,
            lines=lines,
        )

    async def _lines(self) -> Lines:
        return tuple(await self._client.get_line_status())

    async def _probe_key(self, key: str) -> KeyFinding:
        answers: list[KeyAnswer] = []
        for wire in spellings(key):
            lines = await self._lines()
            if not _idle(lines):
                # Not every spelling was tried, so this key has no finding.
                raise _Stopped(lines)
            answer = await self._press(key, wire)
            answers.append(KeyAnswer(wire=wire, answer=answer))
            if answer == ACCEPTED:
                finding = KeyFinding(key=key, accepted=wire, answers=tuple(answers))
                await self._restore(key, wire, finding)
                return finding
        return KeyFinding(key=key, accepted=None, answers=tuple(answers))

    async def _press(self, key: str, wire: str) -> str:
        trial = self._client.key_table.trying(key, wire)
        try:
            await self._client.send_keys([key], table=trial)
        except CtiCommandError as err:
            return str(err.body)
        return ACCEPTED

    async def _restore(self, key: str, wire: str, finding: KeyFinding) -> None:
        if key in TOGGLES:
            await self._press(key, wire)
        await asyncio.sleep(self._settle)
        deadline = time.monotonic() + self._restore_timeout
        onhooks = 0
        while True:
            lines = await self._lines()
            if _idle(lines):
                return
            if any(line.state not in _OWN | {LineState.IDLE} for line in lines):
                await self._leave_alone(lines, finding)
            if time.monotonic() >= deadline:
                raise ProbeRestoreError(key, lines, "the phone did not return to idle")
            if onhooks < 2 and any(line.state in _OWN_CALL for line in lines):
                await self._client.send_keys([Key.ONHOOK])
                onhooks += 1
                await asyncio.sleep(self._settle)
            else:
                await asyncio.sleep(self._poll)

    async def _leave_alone(self, lines: Lines, finding: KeyFinding) -> NoReturn:
        """Someone else's call appeared: end only the line this probe opened, then stop."""
        ringing_only = all(
            line.state in _OWN | {LineState.IDLE, LineState.RINGING} for line in lines
        )
        if ringing_only and any(line.state in _OWN_CALL for line in lines):
            try:
                await self._client.phone_operation(PhoneOperation.ENDCALL)
            except CtiCommandError as err:
                _LOGGER.debug("endcall after an interrupted probe: %s", err)
            await asyncio.sleep(self._settle)
            lines = await self._lines()
        raise _Stopped(lines, finding)
