"""The suite-wide guard that fails any test whose code logs the phone's password."""

import logging
from urllib.parse import quote

from .conftest import PASSWORD, _SecretWatch


def record(
    message: str, name: str = "custom_components.grandstream_gxp"
) -> logging.LogRecord:
    """Build a log record as a logger would."""
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, message, None, None)


def test_the_watch_sees_the_password_in_any_encoding() -> None:
    """Plain and percent-encoded forms are caught; a redacted line is not."""
    watch = _SecretWatch()
    watch.emit(
        record(f"GET /cgi-bin/api-get_line_status?passcode={quote(PASSWORD, safe='')}")
    )
    watch.emit(record(f"login with {PASSWORD}"))
    watch.emit(record("GET /cgi-bin/api-get_line_status?passcode=***"))
    assert len(watch.leaks) == 2
