"""The package every app imports; copied into each Space at deploy time.

Import it first in an app, before gradio and torch: on ZeroGPU (`SPACES_ZERO_GPU` set) it
imports the `spaces` package, which must come before anything initialises CUDA, and gradio only
integrates with ZeroGPU when `spaces` is already loaded. It stays small and imports nothing from `scripts/` or `tests/`.

Public surface (everything else is private):

    entry, versions, fetch, is_stand_in, hub_link the registry and the Hub cache (shared.hub)
    get_registry, Entry, Embedding, Registry      the registry file (shared.registry)
    load_model, load_tokenizer, load_processor,
    load_pipeline, load_embedder, load_dataset,
    load_vector_index, Embedder, VectorIndex       loading by logical name (shared.loading)
    Chat, gpu_seconds_for_chat                     chat models, prompts and streamed replies (shared.chat)
    is_served                                      whether a model is answered by an inference server (shared.serving)
    TokenStreamer, stream_text                     fast streamed generation (shared.generation)
    read_speech, transcribe, transcribe_batch,
    speech_windows, gpu_seconds_for_speech,
    example_clips                                  speech in and speech recognition (shared.audio)
    load_catalog, CatalogEntry                     every demo, for the gallery (shared.catalog)
    gpu, on_zerogpu                                the ZeroGPU decorator (shared.zerogpu)
    batched                                        concurrent requests share one forward pass (shared.batching)
    device, dtype, length_batches, pick_model      where inference runs (shared.compute)
    check_text, check_whole_number, InputError     refusing input: the one way (shared.inputs, shared.errors)
    page, image_input, sketch_input                the look, the inputs and the app's bounds (shared.ui)
    feedback, chat_feedback                        👍 / 👎 on an output, kept (shared.ui, shared.feedback_log)
    compare                                        two versions side by side, blind (shared.ui)
    SuiteError and subclasses                      one-line errors (shared.errors)
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

# On ZeroGPU, `spaces` must be imported before torch and gradio (see above). Elsewhere it would
# change nothing (its decorator is the identity there) and only cost start-up time.
# shared.zerogpu imports only the standard library at module level.
from shared.zerogpu import gpu, on_zerogpu

_TORCH_FIRST = "torch" in sys.modules
if on_zerogpu():
    with contextlib.suppress(ImportError):  # spaces is in requirements.txt
        import spaces  # noqa: F401

from shared.batching import batched
from shared.catalog import CatalogEntry, load_catalog
from shared.errors import (
    ArtifactNotFoundError,
    HubAccessError,
    HubUnreachableError,
    InputError,
    NotPublishedError,
    RegistryError,
    ServedRevisionError,
    ServerError,
    SpaceConfigError,
    StaleArtifactError,
    SuiteError,
    UnknownNameError,
    UnsafeArtifactError,
)
from shared.hub import entry, fetch, hub_link, is_stand_in, versions
from shared.inputs import check_text, check_whole_number
from shared.registry import Embedding, Entry, Registry, get_registry

if _TORCH_FIRST and on_zerogpu():
    raise SuiteError("torch was imported before shared: put 'import shared' first in app.py (ZeroGPU needs it)")

_LAZY = {
    "shared.compute": ("device", "dtype", "length_batches", "pick_model"),
    "shared.loading": (
        "Embedder", "VectorIndex", "load_dataset", "load_embedder", "load_model", "load_pipeline",
        "load_processor", "load_tokenizer", "load_vector_index",
    ),
    "shared.chat": ("Chat", "gpu_seconds_for_chat"),
    "shared.serving": ("is_served",),
    "shared.generation": ("TokenStreamer", "stream_text"),
    "shared.audio": (
        "example_clips", "gpu_seconds_for_speech", "read_speech", "speech_windows", "transcribe", "transcribe_batch",
    ),
    "shared.ui": ("chat_feedback", "compare", "feedback", "image_input", "page", "sketch_input"),
}  # fmt: skip
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "ArtifactNotFoundError",
    "CatalogEntry",
    "Chat",
    "Embedder",
    "Embedding",
    "Entry",
    "HubAccessError",
    "HubUnreachableError",
    "InputError",
    "NotPublishedError",
    "Registry",
    "RegistryError",
    "ServedRevisionError",
    "ServerError",
    "SpaceConfigError",
    "StaleArtifactError",
    "SuiteError",
    "TokenStreamer",
    "UnknownNameError",
    "UnsafeArtifactError",
    "VectorIndex",
    "batched",
    "chat_feedback",
    "check_text",
    "check_whole_number",
    "compare",
    "device",
    "dtype",
    "entry",
    "example_clips",
    "feedback",
    "fetch",
    "get_registry",
    "gpu",
    "gpu_seconds_for_chat",
    "gpu_seconds_for_speech",
    "hub_link",
    "image_input",
    "is_served",
    "is_stand_in",
    "length_batches",
    "load_catalog",
    "load_dataset",
    "load_embedder",
    "load_model",
    "load_pipeline",
    "load_processor",
    "load_tokenizer",
    "load_vector_index",
    "on_zerogpu",
    "page",
    "pick_model",
    "read_speech",
    "sketch_input",
    "speech_windows",
    "stream_text",
    "transcribe",
    "transcribe_batch",
    "versions",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    # Loading and UI pull in transformers and gradio: only when an app asks for them.
    if name in _WHERE:
        import importlib

        try:
            module = importlib.import_module(_WHERE[name])
        except ModuleNotFoundError as exc:
            if exc.name != _WHERE[name]:
                raise
            # A Space ships only the modules of shared its app uses (scripts/deploy.py follows them).
            raise ImportError(
                f"shared.{name} needs {exc.name}, which this copy of shared does not have: deploy the app "
                "again (the deploy ships the modules of shared that the app's code names)"
            ) from None
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'shared' has no attribute {name!r}")


def _one_line_errors(kind: type[BaseException], error: BaseException, traceback: Any) -> None:
    """A SuiteError that reaches the top (a demo failing at start-up) prints its line, not a traceback."""
    if isinstance(error, SuiteError):
        print(f"error: {error}", file=sys.stderr)
        return
    _previous_hook(kind, error, traceback)


_previous_hook = sys.excepthook
sys.excepthook = _one_line_errors
