"""The load generator the serving benchmarks share: concurrent clients through Gradio's HTTP API.

Each client keeps one connection and one session (as a browser tab and `gradio_client` do: a new
session per request would make the app build a session's state each time) and sends its
requests one after the other: POST the input to `/gradio_api/call/<api>`, then read the answer's
event stream to its end. `http.client` in threads costs the shared CPU about a twentieth of
httpx's share per request (0.4 ms against 8 ms measured on the benchmark machine), so the
clients take little from the app they measure.
"""

from __future__ import annotations

import http.client
import json
import mimetypes
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def connect(url: str) -> http.client.HTTPConnection:
    """A connection to the app at `url` (http://host:port/)."""
    address = urlsplit(url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=300)


def predict(connection: http.client.HTTPConnection, api: str, data: Sequence[Any], *, session: str) -> Any:
    """One prediction: returns the event's output (the `data` of its `complete` event).

    Raises:
        RuntimeError: the app refused the request or the answer was an error.
    """
    body = json.dumps({"data": list(data), "session_hash": session})
    connection.request("POST", f"/gradio_api/call/{api}", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    if response.status != 200:
        raise RuntimeError(f"/{api} refused the request: HTTP {response.status} {answer[:200]!r}")
    event_id = json.loads(answer)["event_id"]
    connection.request("GET", f"/gradio_api/call/{api}/{event_id}")
    response = connection.getresponse()
    event, output, completed = b"", None, False
    for line in response:  # to the end of the stream, so that the connection is kept
        if line.startswith(b"event: "):
            event = line[7:].strip()
        elif line.startswith(b"data: ") and event == b"error":
            raise RuntimeError(f"/{api} failed: {line[6:300].strip()!r}")
        elif line.startswith(b"data: ") and event == b"complete":
            output, completed = json.loads(line[6:]), True
    if not completed:
        raise RuntimeError(f"/{api}: the answer's event stream ended without a result")
    return output


def upload(url: str, path: Path) -> dict[str, Any]:
    """Upload a file to the app once; returns the file value its inputs take (`FileData`)."""
    boundary = uuid.uuid4().hex
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = connect(url)
    try:
        connection.request(
            "POST", "/gradio_api/upload", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"uploading {path.name} failed: HTTP {response.status} {answer[:200]!r}")
    [stored] = json.loads(answer)
    return {"path": stored, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def run_load(
    url: str, api: str, requests: Callable[[int, int], Sequence[Any]], *, clients: int, per_client: int
) -> tuple[float, list[float]]:
    """`clients` clients, each sending `per_client` requests one after the other.

    Args:
        url: The app.
        api: The event's API name.
        requests: `(client, number) -> data` of each request.
        clients: How many at once.
        per_client: Requests each.

    Returns:
        The wall seconds from the first request to the last answer, and every request's latency.
    """
    latencies: list[float] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        connection = connect(url)
        try:
            for number in range(per_client):
                data = requests(index, number)
                start = time.perf_counter()
                predict(connection, api, data, session=f"benchmark-client-{index}")
                with lock:
                    latencies.append(time.perf_counter() - start)
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return time.perf_counter() - started, latencies


def percentile_ms(latencies: Sequence[float], q: int) -> float:
    """The `q`th percentile of latencies in seconds, in milliseconds."""
    return statistics.quantiles(latencies, n=100, method="inclusive")[q - 1] * 1000
