"""Every error `shared` raises on purpose.

Each one carries a single line that says what went wrong and what to do about it; apps and
scripts show that line as it is (no traceback). All derive from `SuiteError`.
"""

from __future__ import annotations


class SuiteError(Exception):
    """Base class: a failure the suite explains in one line (the message) instead of a traceback."""


class RegistryError(SuiteError):
    """The registry file is missing, unreadable, or breaks a rule (branch or short-sha pin,
    duplicate name, unknown key, weights in an unsafe format)."""


class UnknownNameError(RegistryError, KeyError):
    """An app or script asked for a logical name the registry does not define."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotPublishedError(SuiteError):
    """A registry entry for one of the suite's own artifacts that nobody has published yet: the
    message names the `scripts/publish.py` command that publishes it."""


class HubUnreachableError(SuiteError):
    """A pinned artifact is not in the local cache and the Hub cannot be reached (network down,
    wrong `HF_ENDPOINT`, `HF_HUB_OFFLINE=1`, or the Hub kept failing)."""


class HubAccessError(SuiteError):
    """The Hub refused access to a pinned repo: token missing, invalid, without permission, or a
    gated repo whose terms were not accepted."""


class ArtifactNotFoundError(SuiteError):
    """The pinned repo, revision or file does not exist on the Hub."""


class UnsafeArtifactError(SuiteError):
    """A pinned model would need pickle weights (no safetensors) or remote code; the suite loads
    neither."""


class StaleArtifactError(SuiteError):
    """An artifact derived from others (a search index) was built from revisions other than the
    ones the registry pins now; rebuild it."""


class SpaceConfigError(SuiteError):
    """A demo folder under `spaces/` is not a valid Space source: no `app.py`, a README without
    the front matter the suite needs, or a `space.yaml` that breaks a rule."""


class ServerError(SuiteError):
    """The inference server that answers for a model (`shared.serving`) failed: it cannot be
    reached, refused the token, stopped in the middle of an answer, or serves another repo or
    revision than the registry pins. The app keeps running and shows the line to the user."""


class ServedRevisionError(ServerError):
    """The inference server of a model serves another repo or revision than the registry pins:
    the app refuses to start with it (run the server at the pinned revision)."""


class InputError(SuiteError):
    """What a user gave an app cannot be used (a file that is not audio, a silent or over-long
    recording, a chat message longer than the model's window): the message says what to send
    instead. Apps show it as a `gr.Error`."""
