"""A local double of the Hugging Face Hub, for tests and offline work.

The real, unmodified `huggingface_hub`, `transformers` and `datasets` clients accept it as the Hub
when `HF_ENDPOINT` points at it: downloads, uploads (regular and LFS), history, refs, Spaces and
front-matter validation. It knows nothing of the demo suite: it imports only the standard
library and PyYAML, and content reaches it over HTTP or through `LocalHub.publish_snapshot`.

    >>> from scripts.hub_double import LocalHub
    >>> with LocalHub() as hub:
    ...     print(hub.url, hub.token)

From the shell: `python scripts/local_hub.py serve` (README.md, "The local Hub").

Public surface (every `_module` is private):

    LocalHub, RequestLog, Account          the double, its request log, its users
    FaultPlan                              injected failures and latency
    HubError, EntryNotFoundError           what the double refuses, as the Hub would
    DEFAULT_PORT, DEFAULT_USER, free_port  where it listens, and whom it serves by default
    REPO_TYPES, FAULT_KINDS, parse_kinds   the names its command line accepts
    MAX_JSON_BODY, MAX_COMMIT_BODY,
    MAX_DRAINED_BODY                       the request-body limits it enforces
"""

from ._errors import EntryNotFoundError, HubError
from ._faults import DROP, FAULT_STATUSES, FaultPlan, parse_kinds
from ._handler import MAX_COMMIT_BODY, MAX_DRAINED_BODY, MAX_JSON_BODY, Account
from ._hub import DEFAULT_PORT, DEFAULT_USER, LocalHub, RequestLog
from ._server import free_port
from ._storage import REPO_TYPES

FAULT_KINDS = (*FAULT_STATUSES, DROP)

__all__ = [
    "DEFAULT_PORT", "DEFAULT_USER", "FAULT_KINDS", "MAX_COMMIT_BODY", "MAX_DRAINED_BODY", "MAX_JSON_BODY",
    "REPO_TYPES", "Account", "EntryNotFoundError", "FaultPlan", "HubError", "LocalHub", "RequestLog",
    "free_port", "parse_kinds",
]  # fmt: skip
