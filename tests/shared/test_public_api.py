"""The public surface of `shared`: what apps may use. Changing it is a decision, so it is pinned here."""

from __future__ import annotations

import subprocess
import sys

import shared

PUBLIC = {
    "ArtifactNotFoundError", "CatalogEntry", "Chat", "Embedder", "Embedding", "Entry", "HubAccessError",
    "HubUnreachableError", "InputError", "NotPublishedError", "Registry", "RegistryError", "ServedRevisionError",
    "ServerError", "SpaceConfigError",
    "StaleArtifactError", "SuiteError", "TokenStreamer", "UnknownNameError", "UnsafeArtifactError", "VectorIndex",
    "batched", "chat_feedback", "check_text", "check_whole_number", "compare", "device", "dtype", "entry", "example_clips", "feedback", "fetch",
    "get_registry", "gpu", "gpu_seconds_for_chat", "gpu_seconds_for_speech", "hub_link", "image_input",
    "is_served", "is_stand_in", "length_batches", "load_catalog", "load_dataset", "load_embedder", "load_model",
    "load_pipeline", "load_processor", "load_tokenizer", "load_vector_index", "on_zerogpu", "page", "pick_model",
    "read_speech", "sketch_input", "speech_windows", "stream_text", "transcribe", "transcribe_batch", "versions",
}  # fmt: skip


def test_the_public_names_are_these_and_all_resolve():
    assert set(shared.__all__) == PUBLIC
    assert all(getattr(shared, name) is not None for name in PUBLIC)


def test_every_error_is_a_suite_error_with_a_docstring():
    errors = [getattr(shared, name) for name in PUBLIC if name.endswith("Error")]
    assert all(issubclass(error, shared.SuiteError) and error.__doc__ for error in errors)


def test_importing_shared_loads_neither_gradio_nor_torch_nor_transformers():
    """Apps import shared first (ZeroGPU); heavy modules load only when an app asks for them."""
    code = "import sys, shared; print(sorted(m for m in ('gradio', 'torch', 'transformers', 'spaces') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
