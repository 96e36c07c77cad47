"""Errors of the CTI library; no message contains the phone's password."""


def shown(value: object, limit: int = 60) -> str:
    """Return `repr(value)` for a message, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CtiError(Exception):
    """Base class of all errors talking to a phone; `hint` is the default message."""

    hint = ""

    def __init__(self, message: str | None = None) -> None:
        """Create the error; without a message, the class's hint."""
        super().__init__(self.hint if message is None else message)


class CtiConnectionError(CtiError):
    """The phone could not be reached: refused, DNS failure, disconnected, TLS."""


class CtiTimeoutError(CtiConnectionError):
    """The phone did not answer within the timeout."""


class CtiClosedError(CtiConnectionError):
    """The caller closed the call control: nothing more is sent to the phone."""


class CtiAuthError(CtiError):
    """The phone refused the password, or (`locked`) locked access after failed logins."""

    hint = (
        "The phone rejected the password (answer 'unauthorized' or HTTP 401). "
        "On GXP21xx and GRP26xx phones the setting 'Remote Control Pop up Window "
        "Support' also makes the phone answer 'unauthorized'; disable it under "
        "Network > Remote Control"
    )

    def __init__(
        self,
        message: str | None = None,
        *,
        locked: bool = False,
        lock_minutes: int | None = None,
    ) -> None:
        """Create the error; a locked phone's message says how long (`lockTime`) to wait."""
        if message is None and locked:
            wait = f"about {lock_minutes}" if lock_minutes is not None else "a few"
            message = (
                "The phone locked web and CTI access after too many failed "
                f"logins; wait {wait} minutes before trying again"
            )
        super().__init__(message)
        self.locked = locked
        self.lock_minutes = lock_minutes


class CtiPasswordNotAcceptedError(CtiError):
    """The firmware takes no CTI password (HTTP 401 page; §3.2, §12 N1); not a wrong one."""

    hint = (
        "The phone answers HTTP 401 to the CTI password: this firmware seems to accept "
        "only web sessions, not the password on CTI requests"
    )


class CtiForbiddenError(CtiError):
    """The phone refuses remote control (HTTP 403 or answer `forbidden`)."""

    hint = (
        "The phone refuses remote control (HTTP 403 or answer 'forbidden'): enable "
        "Action URI support, allow this host in the Action URI allowed IP list, and "
        "disable the remote-control confirmation pop-up"
    )


class CtiCommandError(CtiError):
    """The phone answered `endpoint` (e.g. `api-send_key`) with a negative `body`."""

    def __init__(self, endpoint: str, body: object, message: str | None = None) -> None:
        """Create the error; the default message shows the body (80 characters at most)."""
        super().__init__(message or f"{endpoint}: the phone answered {shown(body, 80)}")
        self.endpoint = endpoint
        self.body = body


class CtiResponseError(CtiError):
    """The answer was not the API's JSON: HTML, truncated JSON, wrong shape, HTTP error."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Create the error with the HTTP status when known."""
        super().__init__(message)
        self.status = status


class CtiKeyError(ValueError):
    """A key token is unknown, not on the phone's family, or invalid; nothing was sent."""

    def __init__(self, key: str, message: str | None = None) -> None:
        """Create the error naming the offending `key`."""
        super().__init__(message or f"Unknown key {key!r}")
        self.key = key
