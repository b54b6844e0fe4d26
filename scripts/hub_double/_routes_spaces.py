"""Routes of Space management: secrets, variables, runtime, hardware, sleep time, pause, restart, logs."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from . import _spaces as spaces
from ._errors import (
    BadRequestError,
    NotFoundError,
)
from ._handler import (
    REPO,
    BaseHandler,
    route,
)
from ._storage import (
    RepoRecord,
    now_iso,
)

SECRET_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")


class SpaceRoutes(BaseHandler):
    """Space settings and the simulated runtime (see `spaces.py`)."""

    # ------------------------------------------------------------------ Spaces
    @route("GET", rf"/api/spaces/{REPO}/secrets")
    def get_secrets(self, ns: str, name: str) -> None:
        # Keys, descriptions and update times: a secret's value never leaves the Hub.
        record, _ = self._writable_repo("space", ns, name, "manage this Space")
        secrets = record.space.get("secrets", {})
        self._send_json(
            200,
            {
                key: {"key": key, "description": item.get("description"), "updatedAt": item.get("updatedAt")}
                for key, item in sorted(secrets.items())
            },
        )

    @route("POST", rf"/api/spaces/{REPO}/secrets")
    def add_secret(self, ns: str, name: str) -> None:
        self._writable_repo("space", ns, name, "manage this Space")
        body = self._json_body()
        key, secret = secret_key(body), secret_record(body)
        if self.config.space_runner is not None:  # a running Space gets the value, in memory only
            self.config.space_runner.remember_secret(f"{ns}/{name}", key, str(body.get("value", "")))
        self._update_space(ns, name, lambda r: r.space.setdefault("secrets", {}).__setitem__(key, secret), rebuild=True)
        self._send_json(200, {})

    @route("DELETE", rf"/api/spaces/{REPO}/secrets")
    def delete_secret(self, ns: str, name: str) -> None:
        self._delete_setting(ns, name, "secrets")
        self._send_json(200, {})

    def _delete_setting(self, ns: str, name: str, kind: str) -> RepoRecord:
        """Delete the secret or variable named by the body's `key` (404 when there is none)."""
        self._writable_repo("space", ns, name, "manage this Space")
        key = self._json_body().get("key")

        def delete(record: RepoRecord) -> None:
            if record.space.setdefault(kind, {}).pop(key, None) is None:
                raise NotFoundError(f"No {kind[:-1]} named {key!r} in this Space")

        return self._update_space(ns, name, delete, rebuild=True)

    @route("GET", rf"/api/spaces/{REPO}/variables")
    def get_variables(self, ns: str, name: str) -> None:
        record, _ = self._writable_repo("space", ns, name, "manage this Space")
        self._send_json(200, record.space.get("variables", {}))

    @route("POST", rf"/api/spaces/{REPO}/variables")
    def add_variable(self, ns: str, name: str) -> None:
        self._writable_repo("space", ns, name, "manage this Space")
        body = self._json_body()
        key, variable = secret_key(body), variable_record(body)
        record = self._update_space(
            ns, name, lambda r: r.space.setdefault("variables", {}).__setitem__(key, variable), rebuild=True
        )
        self._send_json(200, record.space["variables"])

    @route("DELETE", rf"/api/spaces/{REPO}/variables")
    def delete_variable(self, ns: str, name: str) -> None:
        self._send_json(200, self._delete_setting(ns, name, "variables").space["variables"])

    @route("GET", rf"/api/spaces/{REPO}/runtime")
    def get_runtime(self, ns: str, name: str) -> None:
        self._send_json(200, self._runtime(self._visible_repo("space", ns, name)))

    @route("POST", rf"/api/spaces/{REPO}/hardware")
    def request_hardware(self, ns: str, name: str) -> None:
        self._writable_repo("space", ns, name, "manage this Space")
        body = self._json_body()
        flavor = body.get("flavor")
        if flavor not in spaces.SPACE_HARDWARE:
            raise BadRequestError(
                f"Invalid Space hardware {flavor!r}: expected one of {', '.join(spaces.SPACE_HARDWARE)}"
            )

        def change(record: RepoRecord) -> None:
            if flavor == "zero-a10g" and record.space.get("sdk") != "gradio":
                raise BadRequestError("ZeroGPU hardware is only available to Gradio Spaces")
            record.space["hardware"] = flavor
            if body.get("sleepTimeSeconds") is not None:
                record.space["sleep_time"] = body["sleepTimeSeconds"]

        self._send_json(200, self._runtime(self._update_space(ns, name, change, rebuild=True)))

    @route("POST", rf"/api/spaces/{REPO}/sleeptime")
    def set_sleep_time(self, ns: str, name: str) -> None:
        self._writable_repo("space", ns, name, "manage this Space")
        seconds = self._json_body().get("seconds")
        if not isinstance(seconds, int) or (seconds < 0 and seconds != -1):
            raise BadRequestError('Expected {"seconds": <positive integer, or -1 for never>}')
        record = self._update_space(ns, name, lambda r: r.space.__setitem__("sleep_time", seconds), rebuild=False)
        self._send_json(200, self._runtime(record))

    @route("POST", rf"/api/spaces/{REPO}/pause")
    def pause(self, ns: str, name: str) -> None:
        record = self._update_space(ns, name, lambda r: r.space.__setitem__("paused", True), rebuild=False)
        self._send_json(200, self._runtime(record))

    @route("POST", rf"/api/spaces/{REPO}/restart")
    def restart(self, ns: str, name: str) -> None:
        self._send_json(200, self._runtime(self._update_space(ns, name, lambda r: None, rebuild=True)))

    @route("GET", rf"/api/spaces/{REPO}/logs/(?P<kind>build|run)")
    def logs(self, ns: str, name: str, kind: str) -> None:
        record, _ = self._writable_repo("space", ns, name, "read the logs of this Space")
        lines = spaces.log_lines(
            self.config.storage, record, kind, build_seconds=self.config.space_build_seconds,
            runner=self.config.space_runner,
        )  # fmt: skip
        body = "".join(f"data: {json.dumps({'data': line, 'timestamp': now_iso()})}\n\n" for line in lines)
        self._send(200, body.encode(), "text/event-stream")


def secret_key(item: Any) -> str:
    key = item.get("key") if isinstance(item, dict) else None
    if not isinstance(key, str) or not SECRET_KEY_RE.match(key):
        raise BadRequestError(
            f"Invalid secret or variable key {key!r}: use letters, digits and '_', not starting with a digit"
        )
    if not isinstance(item.get("value", ""), str):
        raise BadRequestError(f"The value of {key} must be a string")
    return key


def secret_record(item: dict[str, Any]) -> dict[str, Any]:
    # The Hub never gives a secret back; the double keeps only a digest so tests can check it.
    digest = hashlib.sha256(str(item.get("value", "")).encode()).hexdigest()
    return {"description": item.get("description"), "updatedAt": now_iso(), "digest": digest}


def variable_record(item: dict[str, Any]) -> dict[str, Any]:
    return {"value": item.get("value", ""), "description": item.get("description"), "updatedAt": now_iso()}
