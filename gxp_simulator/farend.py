"""Far-end scripts: how the other party behaves, per dialled number (tests and demos)."""

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class FarEnd:
    """One remote party.

    answer_after: seconds until it answers an outgoing call; None = never answers.
    busy: it answers busy: the line goes `failed`, then idle [C S19; I].
    hangup_after: seconds after the call is established until it hangs up; None = never.
    give_up_after: for calls it places to the phone, seconds of ringing before it gives
        up (a missed call); None = rings until answered or rejected.
    accept_transfer: whether a blind transfer (REFER) to it succeeds [D S30].
    name: the display name it presents.
    """

    answer_after: float | None = 0.5
    busy: bool = False
    busy_after: float = 0.1
    hangup_after: float | None = None
    give_up_after: float | None = None
    accept_transfer: bool = True
    name: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FarEnd:
        """Build from a JSON object, refusing unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown far-end fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """As JSON data."""
        return asdict(self)


class FarEndScript:
    """Far ends by number, with a default for unknown numbers."""

    def __init__(self, default: FarEnd | None = None) -> None:
        """Start with only the default far end (answers after 0.5 s)."""
        self.default = default or FarEnd()
        self.numbers: dict[str, FarEnd] = {}

    def set(self, number: str, far_end: FarEnd) -> None:
        """Script one number."""
        self.numbers[number] = far_end

    def for_number(self, number: str) -> FarEnd:
        """Return the far end that calls to or from this number talk to."""
        return self.numbers.get(number, self.default)

    def clear(self) -> None:
        """Forget the scripted numbers (the default stays)."""
        self.numbers.clear()

    def to_json(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "default": self.default.to_json(),
            "numbers": {n: fe.to_json() for n, fe in self.numbers.items()},
        }
