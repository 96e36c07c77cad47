"""What a phone does with its Action URLs, byte for byte: fill them in and send them raw.

Phones substitute `$variables` verbatim (cti-api.md §12, N2), so the request line may hold
spaces, `&`, `#` or `+`. An HTTP client would encode or refuse that; these helpers do not.
Shared by the push tests, the end-to-end tests and `scripts/bench push`.
"""

import asyncio
import re


def fill_verbatim(template: str, values: dict[str, str]) -> str:
    """Substitute the `$variables` as the phone does: no encoding at all."""
    return re.sub(r"\$[a-z_]+", lambda match: values.get(match[0], match[0]), template)


async def raw_get(port: int, url: str, host: str = "127.0.0.1") -> int:
    """Write `url`'s path and query as a raw request line; return the status code."""
    target = url.split("://", 1)[1]
    target = target[target.index("/") :]
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])
