"""The log of CTI requests the phone received (control API calls are not logged)."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the phone saw it."""

    method: str
    path: str
    query: Mapping[str, str]
    raw_query: str
    time: float
    remote: str | None = None
    form: Mapping[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """The last path segment, e.g. "api-send_key"."""
        return self.path.rsplit("/", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "raw_query": self.raw_query,
            "time": self.time,
            "remote": self.remote,
            "form": dict(self.form),
        }


class RequestLog:
    """Requests in arrival order, with helpers for assertions."""

    def __init__(self, clock: Clock) -> None:
        """Create an empty log timed by `clock`."""
        self._clock = clock
        self._records: list[RequestRecord] = []
        # Requests being answered now, and the most at once since the last clear():
        # a client that never overlaps its requests keeps the maximum at 1.
        self.in_flight = 0
        self.max_in_flight = 0

    def record(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        raw_query: str,
        *,
        remote: str | None = None,
        form: Mapping[str, str] | None = None,
    ) -> RequestRecord:
        """Append one request."""
        rec = RequestRecord(
            method,
            path,
            dict(query),
            raw_query,
            self._clock.now(),
            remote,
            dict(form or {}),
        )
        self._records.append(rec)
        return rec

    def clear(self) -> None:
        """Forget everything (the maximum restarts from the requests running now)."""
        self._records.clear()
        self.max_in_flight = self.in_flight

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count one request as in flight while the block runs."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            self.in_flight -= 1

    def __len__(self) -> int:
        """Return the number of requests."""
        return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        """Iterate over the requests in order."""
        return iter(list(self._records))

    def __getitem__(self, index: int) -> RequestRecord:
        """Request by position (negative counts from the end)."""
        return self._records[index]

    def for_endpoint(self, endpoint: str) -> list[RequestRecord]:
        """Return the requests to one endpoint ("api-send_key" or a full path)."""
        name = endpoint.rsplit("/", 1)[-1]
        return [rec for rec in self._records if rec.endpoint == name]

    def count(self, endpoint: str | None = None) -> int:
        """How many requests (to one endpoint)."""
        return len(self._records if endpoint is None else self.for_endpoint(endpoint))

    def last(self, endpoint: str | None = None) -> RequestRecord | None:
        """Return the latest request (to one endpoint)."""
        records = self._records if endpoint is None else self.for_endpoint(endpoint)
        return records[-1] if records else None

    def keys_sent(self) -> list[str]:
        """Return the decoded `keys=` value of every api-send_key request."""
        return [rec.query.get("keys", "") for rec in self.for_endpoint("api-send_key")]

    def to_json(self) -> list[dict[str, Any]]:
        """As JSON data."""
        return [rec.to_json() for rec in self._records]
