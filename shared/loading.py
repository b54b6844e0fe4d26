"""Loading pinned artifacts by logical name: models, tokenizers, processors, pipelines,
sentence embedders, datasets and vector indexes.

Everything is loaded from the cache folder `shared.hub.fetch` returns, so transformers and
datasets never talk to the Hub themselves: the pinned revision is the only one they can see,
safetensors the only weights, and remote code is refused before anything is imported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import compute
from shared.errors import RegistryError, StaleArtifactError, UnsafeArtifactError
from shared.hub import entry, fetch

# Which transformers Auto class a registry `task` loads with.
_AUTO_CLASSES = {
    "text-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "image-classification": "AutoModelForImageClassification",
    "feature-extraction": "AutoModel",
    "text-generation": "AutoModelForCausalLM",
    "automatic-speech-recognition": "AutoModelForSpeechSeq2Seq",
}


def model_folder(name: str, *, weights: bool = True) -> Path:
    """Fetch a model entry and check it is safe to load; return its snapshot folder.

    Args:
        name: Logical name of a model entry.
        weights: Also fetch its weights (False: config and tokenizer files only).

    Raises:
        RegistryError: `name` is not a model.
        UnsafeArtifactError: its config asks for remote code.
        (and whatever `shared.hub.fetch` raises)
    """
    pinned = entry(name)
    if pinned.repo_type != "model":
        raise RegistryError(f"{name} is a {pinned.repo_type}, not a model")
    folder = fetch(name, weights=weights)
    for config in ("config.json", "tokenizer_config.json", "preprocessor_config.json"):
        path = folder / config
        if path.is_file() and "auto_map" in json.loads(path.read_text(encoding="utf-8")):
            raise UnsafeArtifactError(
                f"{name}: {pinned.pin} needs remote code ({config} has auto_map); the suite never runs "
                "code from a repo: pick a model that transformers supports natively"
            )
    return folder


def load_model(name: str, *, auto_class: str | None = None) -> Any:
    """A transformers model on `shared.device()` in eval mode.

    Args:
        name: Logical name of a model entry.
        auto_class: transformers Auto class name; by default chosen from the entry's `task`
            (tasks of the suite's own models, `shared.models.MODEL_CLASSES`, load their class).

    Returns:
        The model.
    """
    task = entry(name).task or ""
    if auto_class is None and task in _own_classes():
        # One of our plain PyTorch models: config.json + model.safetensors, read by its mixin.
        model = _own_classes()[task].from_pretrained(model_folder(name), local_files_only=True)
        return model.to(compute.device()).eval()
    return _model_from(model_folder(name), auto_class or _AUTO_CLASSES.get(task, "AutoModel"))


def _own_classes() -> dict[str, Any]:
    from shared.models import MODEL_CLASSES

    return MODEL_CLASSES


def _model_from(folder: Path, class_name: str) -> Any:
    import transformers

    model = getattr(transformers, class_name).from_pretrained(
        folder, use_safetensors=True, trust_remote_code=False, local_files_only=True, dtype=compute.dtype()
    )
    return model.to(compute.device()).eval()


def load_tokenizer(name: str) -> Any:
    """The tokenizer of a model entry (its weights are not fetched for it)."""
    return _tokenizer_from(model_folder(name, weights=False))


def _tokenizer_from(folder: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder, trust_remote_code=False, local_files_only=True)


def load_processor(name: str) -> Any:
    """The processor (image processor, feature extractor, or tokenizer) of a model entry."""
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(model_folder(name), trust_remote_code=False, local_files_only=True)


def load_pipeline(name: str, *, task: str | None = None, **kwargs: Any) -> Any:
    """A transformers pipeline of a model entry, on `shared.device()`.

    Args:
        name: Logical name of a model entry.
        task: Pipeline task; by default the entry's `task`.
        **kwargs: Passed to `transformers.pipeline`.
    """
    from transformers import pipeline

    task = task or entry(name).task
    if not task:
        raise RegistryError(f"{name}: give it a 'task' in the registry to build a pipeline")
    folder = model_folder(name)
    return pipeline(
        task,
        model=str(folder),
        device=compute.device(),
        dtype=compute.dtype(),
        trust_remote_code=False,
        model_kwargs={"use_safetensors": True},
        **kwargs,
    )


class Embedder:
    """Sentence embeddings with the conventions the registry gives the model.

    Queries and passages get their prefixes, inputs are truncated to `max_tokens`, tokens are
    pooled and vectors normalised as the registry says: apps call `embed_queries` and
    `embed_passages`, never the model.
    """

    def __init__(self, name: str, *, folder: Path | None = None) -> None:
        """Load the embedding model `name` (from `folder` instead of the Hub cache, when given:
        building an index from files at hand)."""
        pinned = entry(name)
        if pinned.embedding is None:
            raise RegistryError(f"{name}: not an embedding model (no 'embedding' in the registry)")
        self.name = name
        self.conventions = pinned.embedding
        folder = folder or model_folder(name)
        self.tokenizer = _tokenizer_from(folder)
        self.model = _model_from(folder, "AutoModel")

    @property
    def dimension(self) -> int:
        """Length of the vectors."""
        return int(self.model.config.hidden_size)

    def embed_queries(self, texts: list[str], *, batch_size: int = 64) -> Any:
        """Vectors (a float32 CPU tensor, one row per text) for search queries."""
        return self._embed([self.conventions.query_prefix + t for t in texts], batch_size)

    def embed_passages(self, texts: list[str], *, batch_size: int = 64) -> Any:
        """Vectors (a float32 CPU tensor, one row per text) for the passages searched."""
        return self._embed([self.conventions.passage_prefix + t for t in texts], batch_size)

    def _embed(self, texts: list[str], batch_size: int) -> Any:
        import torch

        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(
                    texts[start : start + batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.conventions.max_tokens,
                    return_tensors="pt",
                ).to(self.model.device)
                # Pool and normalise in fp32: in bf16 a unit vector is only unit to ~1e-3.
                hidden = self.model(**batch).last_hidden_state.float()
                if self.conventions.pooling == "cls":
                    pooled = hidden[:, 0]
                else:
                    mask = batch["attention_mask"].unsqueeze(-1).float()
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                if self.conventions.normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                chunks.append(pooled.cpu())
        return torch.cat(chunks) if chunks else torch.empty(0, self.dimension)


def load_embedder(name: str) -> Embedder:
    """An `Embedder` for an embedding model entry."""
    return Embedder(name)


def load_dataset(name: str, *, split: str | None = None) -> Any:
    """A dataset entry's parquet files as one `datasets.Dataset` (its first `rows` rows if set).

    Args:
        name: Logical name of a dataset entry.
        split: Only the files of this split (`data/<split>-*.parquet`, the Hub's layout).

    Raises:
        RegistryError: `name` is not a dataset, or lists no parquet file (of that split).
    """
    pinned = entry(name)
    if pinned.repo_type != "dataset":
        raise RegistryError(f"{name} is a {pinned.repo_type}, not a dataset")
    parquet = [f for f in pinned.files if f.endswith(".parquet")]
    if split is not None:
        parquet = [f for f in parquet if Path(f).name.startswith(f"{split}-")]
    if not parquet:
        what = f"{split} split's " if split else ""
        raise RegistryError(f"{name}: list the dataset's {what}.parquet files in the registry")
    folder = fetch(name)
    import datasets

    # keep_in_memory: a sample needs no arrow copy on disk, and a read-only cache stays untouched.
    data = datasets.Dataset.from_parquet([str(folder / f) for f in parquet], keep_in_memory=True)
    if pinned.rows is not None and pinned.rows < len(data):
        data = data.select(range(pinned.rows))
    return data


@dataclass
class SearchHit:
    """One result of `VectorIndex.search`."""

    row: int
    score: float
    record: dict[str, Any]


class VectorIndex:
    """Precomputed, normalised passage vectors with their rows (built by `scripts/publish.py search-index`).

    The index records the embedder and corpus revisions it was built from; loading it with an
    embedder pinned at another revision is refused, since its vectors would not match.
    """

    def __init__(self, name: str, embedder: Embedder) -> None:
        pinned = entry(name)
        folder = fetch(name)
        meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        built_with = entry(embedder.name)
        made = meta.get("embedder", {})
        if (made.get("repo"), made.get("revision")) != (built_with.repo_id, built_with.revision):
            raise StaleArtifactError(
                f"{name} ({pinned.pin}) was built with {made.get('repo')}@{str(made.get('revision'))[:12]}, "
                f"but {embedder.name} pins {built_with.pin}: publish it again with "
                f"'python scripts/publish.py {pinned.publish or 'search-index'}', which pins it"
            )
        self.meta = meta
        self.embedder = embedder
        self.rows = load_dataset(name)
        import torch

        vectors = torch.from_numpy(self.rows.with_format("numpy")[:]["embedding"]).float()
        self.vectors = torch.nn.functional.normalize(vectors, dim=-1)
        self.rows = self.rows.remove_columns("embedding")

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, query: str, *, k: int = 5) -> list[SearchHit]:
        """The `k` rows whose vectors are closest (cosine) to the query's."""
        return self.search_many([query], k=[k])[0]

    def search_many(self, queries: Sequence[str], *, k: Sequence[int]) -> list[list[SearchHit]]:
        """For each query, the `k` (its own) rows closest to it: the queries embedded in one pass."""
        import torch

        vectors = torch.nn.functional.normalize(self.embedder.embed_queries(list(queries)), dim=-1)
        scores = vectors @ self.vectors.T
        top = torch.topk(scores, k=min(max(k), len(self.vectors)), dim=-1)
        return [
            [
                SearchHit(row=int(i), score=float(s), record=self.rows[int(i)])
                for s, i in zip(values[:count], indices[:count], strict=True)
            ]
            for values, indices, count in zip(top.values.tolist(), top.indices.tolist(), k, strict=True)
        ]


def load_vector_index(name: str, *, embedder: Embedder) -> VectorIndex:
    """A `VectorIndex` dataset entry, checked against the embedder it must be queried with."""
    return VectorIndex(name, embedder)
