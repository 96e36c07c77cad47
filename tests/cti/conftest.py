"""Fixtures for the CTI library tests: a session, a mocked phone, secret checks."""

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import logging
import re
import traceback
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
from aioresponses import CallbackResult, aioresponses
import pytest
from yarl import URL

from custom_components.grandstream_gxp.cti import CtiClient

PASSWORD = "a&b#c%d+e f"  # noqa: S105
HOST = "phone.test"
# The fake phones in test_wire log what they receive; that is the phone's side.
SERVER_SIDE_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web")
SECRETS = (PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD))

type ExpectError = Callable[[type[BaseException], Awaitable[Any]], Awaitable[Any]]


def api(endpoint: str, host: str = HOST) -> re.Pattern[str]:
    """Return a URL pattern that matches one CTI function on the test phone."""
    return re.compile(rf"^https?://{re.escape(host)}(:\d+)?/cgi-bin/{endpoint}(\?.*)?$")


def leaked(text: str) -> bool:
    """Return True when `text` contains the password in any encoding."""
    return any(secret in text for secret in SECRETS)


def assert_no_secret(err: BaseException) -> None:
    """Fail when the error, its repr or its printed traceback shows the password."""
    shown = "".join(traceback.format_exception(err))
    assert not leaked(shown), shown
    assert not leaked(repr(err))
    assert not leaked(repr(err.args))


def requests_sent(mock: aioresponses) -> list[tuple[str, URL, dict[str, Any]]]:
    """Return (method, url, kwargs) of every request the mock saw, by first URL seen."""
    return [
        (method, url, call.kwargs)
        for (method, url), calls in mock.requests.items()
        for call in calls
    ]


def only_query(mock: aioresponses) -> dict[str, str]:
    """Return the decoded query of the single request the mock saw."""
    sent = requests_sent(mock)
    assert len(sent) == 1, sent
    return dict(sent[0][1].query)


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Capture debug logs and check that no client-side record shows the password."""
    caplog.set_level(logging.DEBUG, logger="custom_components.grandstream_gxp.cti")
    yield
    formatter = logging.Formatter("%(name)s %(message)s")
    records = caplog.get_records("setup") + caplog.get_records("call")
    for record in records:
        if record.name.startswith(SERVER_SIDE_LOGGERS):
            continue
        text = formatter.format(record)
        assert not leaked(text), text


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Return an aiohttp session that is closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


class CompatResponse(aiohttp.ClientResponse):
    """ClientResponse that aioresponses 0.7.9 can build with aiohttp 3.14.

    aiohttp 3.14 added the required `stream_writer` argument, which aioresponses
    does not pass; a stand-in with `output_size` is enough for a mocked answer.
    """

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        """Create the response, supplying a stand-in stream writer."""
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


class PhoneMock(aioresponses):
    """aioresponses whose mocked answers use CompatResponse."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        """Register a mocked answer (see aioresponses.add)."""
        kwargs.setdefault("response_class", CompatResponse)
        super().add(*args, **kwargs)


def answer(**kwargs: Any) -> CallbackResult:
    """Return a callback result that aiohttp 3.14 accepts."""
    return CallbackResult(response_class=CompatResponse, **kwargs)


@pytest.fixture
def mock() -> Generator[aioresponses]:
    """Return aioresponses patching every aiohttp request of the test."""
    with PhoneMock() as mocked:
        yield mocked


@pytest.fixture
def client(session: aiohttp.ClientSession) -> CtiClient:
    """Return a client for the mocked phone with a password full of specials."""
    return CtiClient(session, HOST, password=PASSWORD)


@pytest.fixture
def expect_error() -> ExpectError:
    """Return a helper that awaits, expects an error and checks it for the password."""

    async def expect(kind: type[BaseException], awaitable: Awaitable[Any]) -> Any:
        with pytest.raises(kind) as info:
            await awaitable
        assert_no_secret(info.value)
        return info.value

    return expect
