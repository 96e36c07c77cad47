"""Exceptions raised by the CTI client.

Every exception the client raises on purpose derives from `CtiError`, except
`CtiKeyError`, which is a `ValueError` about user input (a key token that is not
allowed) and is raised before anything is sent to the phone.

No message built here or in the client contains the phone's password: URLs with
the passcode never go into exceptions.
"""


class CtiError(Exception):
    """Base class of all errors talking to a phone."""


class CtiConnectionError(CtiError):
    """The phone could not be reached: refused, DNS failure, disconnected, TLS."""


class CtiTimeoutError(CtiConnectionError):
    """The phone did not answer within the timeout."""


class CtiClosedError(CtiConnectionError):
    """The caller closed the call control: nothing more is sent to the phone."""


_AUTH_HINT = (
    "The phone rejected the password (answer 'unauthorized' or HTTP 401). "
    "On GXP21xx and GRP26xx phones the setting 'Remote Control Pop up Window "
    "Support' also makes the phone answer 'unauthorized'; disable it under "
    "Network > Remote Control"
)


class CtiAuthError(CtiError):
    """The phone refused the password, or locked access after failed logins.

    `locked` is True when the phone answered `locked` (too many failed logins);
    `lock_minutes` is the phone's `lockTime` when it sent one.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        locked: bool = False,
        lock_minutes: int | None = None,
    ) -> None:
        """Create the error; a default message explains the usual causes."""
        if message is None:
            if locked:
                wait = (
                    f"about {lock_minutes} minutes"
                    if lock_minutes is not None
                    else "a few minutes"
                )
                message = (
                    "The phone locked web and CTI access after too many failed "
                    f"logins; wait {wait} before trying again"
                )
            else:
                message = _AUTH_HINT
        super().__init__(message)
        self.locked = locked
        self.lock_minutes = lock_minutes


class CtiPasswordNotAcceptedError(CtiError):
    """The firmware does not accept the CTI password at all (HTTP 401, HTML page).

    Seen where `api-*` take only web sessions (cti-api.md §3.2, §12 N1). Not a
    wrong password, so deliberately no CtiAuthError: asking the user for another
    password would not help.
    """


class CtiForbiddenError(CtiError):
    """The phone refuses remote control (HTTP 403 or answer `forbidden`).

    Usual causes: Action URI support disabled, this host not in the phone's
    allowed IP list, or the remote-control confirmation pop-up enabled.
    """


class CtiCommandError(CtiError):
    """The phone answered a request with a negative body.

    `endpoint` is the CTI function (e.g. `api-send_key`) and `body` the phone's
    `body` value (e.g. `"failed"`, `"unknown"`, `False`).
    """

    def __init__(self, endpoint: str, body: object, message: str | None = None) -> None:
        """Create the error for a negative answer of `endpoint`."""
        if message is None:
            shown = repr(body)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            message = f"{endpoint}: the phone answered {shown}"
        super().__init__(message)
        self.endpoint = endpoint
        self.body = body


class CtiResponseError(CtiError):
    """The answer was not the API's JSON: HTML, truncated JSON, wrong shape, HTTP error.

    `status` is the HTTP status when known.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Create the error with an optional HTTP status."""
        super().__init__(message)
        self.status = status


class CtiKeyError(ValueError):
    """A key token is unknown, not available on the phone's model family, or invalid.

    `key` is the offending token as the user wrote it.
    """

    def __init__(self, key: str, message: str | None = None) -> None:
        """Create the error naming the offending `key`."""
        if message is None:
            message = f"Unknown key {key!r}"
        super().__init__(message)
        self.key = key
