"""Call control for a phone that takes keys but reports no line state (keys-only mode).

A GXP116x firmware may answer only `api-send_key` (call-control.md §0.8) [C S1]: key
recipes run unchecked, one needing to know a line is refused. Steps are `STEP_PAUSE`
apart: keys play after the answer [C S20], XFER's screen opens first [C S8; I].
"""

from .call_control import (
    CallController,
    CallStateError,
    Dialled,
    DialMethod,
    Reason,
    SwapMethod,
    TransferMode,
    clean_number,
    dtmf_tokens,
)
from .keys import Key
from .models import Lines

# Keep >= 500 ms between logical steps (call-control.md §4.3) [I].
STEP_PAUSE = 0.5

_NOTHING_READ: Lines = ()


class KeysOnlyController(CallController):
    """Runs call-control.md's key recipes on a phone without line status (reads none)."""

    # An attended transfer begun here: the only sign that XFER now completes one.
    _consultation_started = False

    async def lines(self) -> Lines:
        """Return no lines: the phone has no line status to read."""
        self._check_open()
        return _NOTHING_READ

    async def _steps(self, *steps: tuple[str, ...]) -> Lines:
        await self._press_steps(steps, STEP_PAUSE)
        return _NOTHING_READ

    async def _key_on_line(self, key: Key, line: int | None) -> Lines:
        if line is not None:
            # Which line is which cannot be known, and the phone has no line keys.
            raise CallStateError(Reason.KEYS_ONLY_LINE, _NOTHING_READ, f"line {line}")
        async with self._lock:
            if key is Key.ONHOOK:
                self._consultation_started = False
            return await self._steps((key,))

    async def answer(self, line: int | None = None) -> Lines:
        """OFFHOOK answers the ringing call [D S2]."""
        return await self._key_on_line(Key.OFFHOOK, line)

    async def hang_up(self, line: int | None = None) -> Lines:
        """ONHOOK ends or rejects the call in front [D S2]."""
        return await self._key_on_line(Key.ONHOOK, line)

    async def hold(self, line: int | None = None) -> Lines:
        """HOLD holds the call in front [D S3 lists hold; I for the GXP116x]."""
        return await self._key_on_line(Key.HOLD, line)

    async def resume(self, line: int | None = None) -> Lines:
        """HOLD again resumes the held call: the GXP116x has no line keys [I]."""
        return await self._key_on_line(Key.HOLD, line)

    async def send_dtmf(self, digits: str) -> Lines:
        """Press the digits; in a call they reach the caller as tones [I]."""
        tokens = dtmf_tokens(digits)
        async with self._lock:
            return await self._steps(tokens)

    async def dial(self, number: str, account: int | None = None) -> Dialled:
        """Press the number and SEND [C S20, S21, S22]: no account choice, no `+`."""
        number = clean_number(number)
        if account is not None or "+" in number:
            raise CallStateError(Reason.KEYS_ONLY_CLICK_TO_DIAL, _NOTHING_READ)
        tokens = dtmf_tokens(number)
        async with self._lock:
            lines = await self._steps((*tokens, Key.SEND))
            return Dialled(lines=lines, method=DialMethod.KEYS)

    async def transfer(
        self, number: str, mode: TransferMode = TransferMode.ATTENDED
    ) -> Lines:
        """Press XFER, the number, then `#`, or XFER for blind with P1376 on [C S1]."""
        tokens = dtmf_tokens(clean_number(number, allow_plus=False).rstrip(Key.POUND))
        final = self._final_transfer_key(tokens, mode, _NOTHING_READ)
        async with self._lock:
            lines = await self._steps((Key.XFER,), (*tokens, final))
            self._consultation_started = mode is TransferMode.ATTENDED
            return lines

    async def complete_transfer(self) -> Lines:
        """XFER again joins the calls [C S1]; only after a consultation begun here."""
        async with self._lock:
            if not self._consultation_started:
                raise CallStateError(Reason.KEYS_ONLY_NO_TRANSFER, _NOTHING_READ)
            if not self.settings.auto_attended_transfer:
                raise CallStateError(Reason.AUTO_ATTENDED_OFF, _NOTHING_READ)
            self._consultation_started = False
            return await self._steps((Key.XFER,))

    async def cancel_transfer(self) -> Lines:
        """Refused: `cmd=endcall` is missing; ONHOOK ("reject call") may end both [D S2; I]."""
        raise CallStateError(Reason.KEYS_ONLY_CANCEL_TRANSFER, _NOTHING_READ)

    async def swap(self) -> Lines:
        """HOLD, DOWN, HOLD (call-control.md §6.4) [I]; `hold_key` only (two calls [C S1])."""
        if self.settings.swap_method is not SwapMethod.HOLD_KEY:
            raise CallStateError(Reason.KEYS_ONLY_SWAP, _NOTHING_READ)
        async with self._lock:
            return await self._steps((Key.HOLD,), (Key.DOWN, Key.HOLD))
