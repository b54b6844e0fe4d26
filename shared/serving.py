"""Models served by an inference server instead of in-process: chosen by configuration, same app.

A registry entry `NAME` is served remotely when the environment (a Space variable, set by the
deploy from `space.yaml`'s `servers:`) holds the base URL of an OpenAI-compatible server — TGI,
vLLM, llama.cpp's server, an Inference Endpoint — in `SUITE_SERVER_<NAME>`; the token it wants,
if any, is in `SUITE_SERVER_TOKEN_<NAME>` (a Space secret). `<NAME>` is the logical name in upper
case with every other character than letters and digits as `_` (`chat-model` → `CHAT_MODEL`).

Which revision a server runs is checked against the pin: TGI says it at `/info` (`model_sha`);
llama.cpp (`--model_alias`) and vLLM (`--served-model-name`) say it when the served name is
`<repo>@<sha>`. Another repo or revision is refused; a server that does not say is used with a
warning, which the page's footer repeats.

An app whose models are all served relays `SERVED_CONCURRENCY` requests at once (TGI and vLLM
batch them); `SUITE_SERVER_CONCURRENCY_<NAME>` says otherwise for a server: 1 for one that
answers one request at a time (llama-cpp-python's), where requests it holds waiting would only
compete for it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.errors import ServedRevisionError, ServerError, SpaceConfigError
from shared.hub import entry
from shared.limits import QUEUE_SIZE, SERVED_CONCURRENCY
from shared.registry import REPO_ID_PATTERN, SHA_PATTERN

SERVER_ENV_PREFIX = "SUITE_SERVER_"
SERVER_TOKEN_ENV_PREFIX = "SUITE_SERVER_TOKEN_"  # noqa: S105 - the name of a variable, not a token
SERVER_CONCURRENCY_ENV_PREFIX = "SUITE_SERVER_CONCURRENCY_"
# Seconds to wait for a server: to connect and for its first byte, and between streamed chunks.
CONNECT_SECONDS = 5.0
ANSWER_SECONDS = 60.0

logger = logging.getLogger(__name__)
_servers: dict[str, Server] = {}
_servers_lock = threading.Lock()


def server_env(name: str) -> str:
    """The environment variable that holds the URL of the server of registry entry `name`."""
    return SERVER_ENV_PREFIX + _env_suffix(name)


def server_token_env(name: str) -> str:
    """The environment variable that holds the token of the server of registry entry `name`."""
    return SERVER_TOKEN_ENV_PREFIX + _env_suffix(name)


def server_concurrency_env(name: str) -> str:
    """The environment variable that holds how many requests the app sends `name`'s server at once."""
    return SERVER_CONCURRENCY_ENV_PREFIX + _env_suffix(name)


def server_concurrency(name: str, *, environ: Mapping[str, str] | None = None) -> int:
    """How many requests the app sends the server of registry entry `name` at once.

    Args:
        name: The registry entry.
        environ: Where to read `SUITE_SERVER_CONCURRENCY_<NAME>` (default: the process's).

    Raises:
        SpaceConfigError: `SUITE_SERVER_CONCURRENCY_<NAME>` is not a whole number from 1 to the
            queue's size.
    """
    key = server_concurrency_env(name)
    raw = (os.environ if environ is None else environ).get(key, "").strip()
    if not raw:
        return SERVED_CONCURRENCY
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= QUEUE_SIZE):
        raise SpaceConfigError(
            f"{key} must be a whole number from 1 to {QUEUE_SIZE} (requests sent to the server at once), "
            f"not {raw[:20]!r}"
        )
    return int(raw)


def _env_suffix(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def is_served(name: str) -> bool:
    """Whether registry entry `name` is answered by a server (its URL is configured)."""
    return bool(os.environ.get(server_env(name), "").strip())


@dataclass(frozen=True)
class ServedModel:
    """What a server says it serves.

    Attributes:
        model: The name to ask it for (`model` of a chat completion).
        repo_id: The Hub repo it serves, when it says.
        revision: The commit it serves, when it says.
    """

    model: str
    repo_id: str | None
    revision: str | None


class Server:
    """The OpenAI-compatible server of one registry entry (use `server(name)`).

    It is checked when first used and again after a failure, so an app whose server is down when
    it starts comes up anyway, answers each request with one line until the server is back, and
    then serves as usual.
    """

    def __init__(self, name: str, *, url: str, token: str | None) -> None:
        from huggingface_hub import InferenceClient

        self.name = name
        self.url = base_url(url)
        self._token = token
        # Without a token of its own, InferenceClient would send the Hub token (HF_TOKEN, the login)
        # to whatever server the URL names: an empty authorization header replaces it.
        no_token = {} if token else {"authorization": ""}
        self.client = InferenceClient(base_url=self.url, api_key=token or "", headers=no_token, timeout=ANSWER_SECONDS)
        self.served: ServedModel | None = None
        self._lock = threading.Lock()

    @property
    def host(self) -> str:
        """Where the server is (scheme and host, never a path or query that could hold a secret)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    @property
    def footer(self) -> str:
        """One line for the page: which server answers, and what it says it runs."""
        if self.served is None:
            return f"served by {self.host} (not reached yet)"
        if self.served.revision is None:
            return f"served by {self.host}, which does not report its revision ({self.served.model})"
        return f"served by {self.host}, which reports {self.served.repo_id}@{self.served.revision[:12]}"

    def ready(self) -> ServedModel:
        """What the server serves, checked against the pin (once, until a request fails).

        Raises:
            ServerError: the server cannot be reached, refuses the token, or serves another repo
                or revision than the registry pins.
        """
        with self._lock:
            if self.served is None:
                self.served = self._check()
            return self.served

    def forget(self) -> None:
        """Check the server again before the next request (it failed)."""
        with self._lock:
            self.served = None

    def _check(self) -> ServedModel:
        pinned = entry(self.name)
        served = self._ask()
        if served.repo_id is None:
            logger.warning("%s: the server at %s serves %r and does not say which revision", self.name,
                           self.host, served.model)  # fmt: skip
        elif served.repo_id != pinned.repo_id or (served.revision and served.revision != pinned.revision):
            said = served.repo_id + (f"@{served.revision}" if served.revision else "")
            raise ServedRevisionError(
                f"{self.name}: the server at {self.host} serves {said}, but the registry pins {pinned.pin}: "
                f"run the server at the pinned revision"
            )
        elif served.revision is None:
            logger.warning("%s: the server at %s does not say which revision of %s it serves", self.name,
                           self.host, served.repo_id)  # fmt: skip
        return served

    def _ask(self) -> ServedModel:
        """`/info` (TGI), else the first model of `/v1/models` (every OpenAI-compatible server)."""
        import httpx2
        from huggingface_hub import get_session

        http = get_session()  # the client huggingface_hub itself uses (InferenceClient too)
        headers = {"authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            info = http.get(f"{self.url}/info", headers=headers, timeout=CONNECT_SECONDS)
            body = info.json() if info.status_code == 200 else None
            if isinstance(body, dict) and body.get("model_id"):
                # An Inference Endpoint's TGI loads a folder (`/repository`): no repo id to check.
                named = served_model(str(body["model_id"]))
                sha = body.get("model_sha") if named.repo_id else None
                return ServedModel(named.model, named.repo_id, str(sha) if sha else named.revision)
            listing = http.get(f"{self.url}/v1/models", headers=headers, timeout=CONNECT_SECONDS)
            listing.raise_for_status()
            model = str(listing.json()["data"][0]["id"])
        except httpx2.HTTPStatusError as exc:
            raise self._failure(exc.response.status_code) from None
        except (httpx2.HTTPError, ValueError, KeyError, IndexError, TypeError):
            raise ServerError(
                f"The model server for {self.name} ({self.host}) is not answering: try again in a minute."
            ) from None
        return served_model(model)

    def _failure(self, status: int) -> ServerError:
        if status in (401, 403):
            return ServerError(
                f"The model server for {self.name} ({self.host}) refused the token: set "
                f"{server_token_env(self.name)} to a token it accepts."
            )
        return ServerError(
            f"The model server for {self.name} ({self.host}) answered HTTP {status}: try again in a minute."
        )

    def stream_chat(self, messages: Sequence[dict[str, str]], *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The answer to `messages`, yielded as it grows (each item the whole text so far).

        Raises:
            ServerError: the server cannot be reached, or stopped mid-answer (what was written
                so far has been yielded).
        """
        served = self.ready()
        text, finished = "", False
        try:
            chunks = self.client.chat_completion(
                list(messages), model=served.model, stream=True, max_tokens=max_tokens, temperature=temperature
            )
            for chunk in chunks:
                piece = chunk.choices[0].delta.content if chunk.choices else None
                finished = finished or bool(chunk.choices and chunk.choices[0].finish_reason)
                if piece:
                    text += piece
                    yield text
            if not finished:  # a stream that ends without saying why was cut (its server stopped it)
                raise ServerError("the stream ended without a finish reason")
        except GeneratorExit:
            raise
        except Exception as exc:  # the client's HTTP, timeout and stream errors, mapped once here
            self.forget()
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (401, 403):
                raise self._failure(status) from None
            when = "stopped in the middle of the answer" if text else "is not answering"
            raise ServerError(
                f"The model server for {self.name} ({self.host}) {when}: ask again in a minute."
            ) from None


def base_url(url: str) -> str:
    """The server's root: a URL given with its OpenAI path (`…/v1/`) works the same as without."""
    return url.strip().rstrip("/").removesuffix("/v1")


def served_model(model: str) -> ServedModel:
    """What a served name says: `<repo>@<full sha>`, a bare repo id, or neither (a file name, an alias)."""
    repo_id, _, revision = model.partition("@") if "@" in model else (model, "", "")
    if not REPO_ID_PATTERN.match(repo_id) or "/" not in repo_id or (revision and not SHA_PATTERN.match(revision)):
        return ServedModel(model, None, None)
    return ServedModel(model, repo_id, revision or None)


def server(name: str) -> Server | None:
    """The server of registry entry `name` (one per name and process), or None when it runs in-process."""
    url = os.environ.get(server_env(name), "").strip()
    if not url:
        return None
    token = os.environ.get(server_token_env(name), "").strip() or None
    with _servers_lock:
        found = _servers.get(name)
        if found is None or (found.url, found._token) != (base_url(url), token):
            found = _servers[name] = Server(name, url=url, token=token)
        return found


def footer_note(name: str) -> str:
    """How entry `name` is served, for the page's footer (empty: in-process)."""
    found = _servers.get(name)
    return found.footer if found is not None else ""


__all__ = [
    "ServedModel", "Server", "base_url", "footer_note", "is_served", "served_model", "server", "server_concurrency",
    "server_concurrency_env", "server_env", "server_token_env",
]  # fmt: skip
