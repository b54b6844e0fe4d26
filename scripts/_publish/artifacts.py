"""What each of our artifacts is built from: a function per artifact that writes its repo's files.

Builds are deterministic (fixed split, seeds, single-threaded training), so that publishing the
same inputs again produces the same bytes and the publish flow makes no commit.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from shared.registry import Entry

from scripts._publish.errors import PublishError

SAMPLE_IMAGES = Path(__file__).with_name("sample_images")
INDEX_FILE = "data/index-00000-of-00001.parquet"
IMAGES_FILE = "data/train-00000-of-00001.parquet"
DIGITS_SOURCE = "https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits"
DIGITS_SPLITS = ("train", "test")
TEST_FRACTION = 0.2
SPLIT_SEED = 0
TRAIN_SEED = 0
TRAINING = {"epochs": 40, "batch_size": 32, "learning_rate": 2e-3, "weight_decay": 1e-4}

# scikit-image's `data` folder: photos whose licences its README.txt gives (CC0 or public domain).
PHOTOS = {
    "astronaut.png": ("Astronaut Eileen Collins", "NASA, public domain"),
    "chelsea.png": ("Chelsea the cat", "Stefan van der Walt, CC0"),
    "coffee.png": ("A cup of coffee", "Rachel Michetti, CC0"),
    "rocket.jpg": ("A Falcon 9 rocket launch", "SpaceX, CC0"),
}
SPEECH = {
    "digits.wav": "Seven, three, nine, one.",
    "weather.wav": "The weather today is sunny with a light breeze.",
    "greeting.wav": "Hello, and welcome to the demo suite.",
    "question.wav": "Which model should we deploy next week?",
}


def digits_split() -> dict[str, tuple[Any, Any]]:
    """scikit-learn's digits (8×8 grids of ink counts 0–16), split once: 80% train, 20% test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images.astype("uint8"), digits.target, test_size=TEST_FRACTION, random_state=SPLIT_SEED,
        stratify=digits.target,
    )  # fmt: skip
    return {"train": (x_train, y_train), "test": (x_test, y_test)}


def digits_data(folder: Path) -> str:
    """The digits dataset repo: a parquet file per split and a card."""
    import datasets
    import numpy as np

    datasets.disable_progress_bars()
    features = datasets.Features({
        "image": datasets.Image(),
        "pixels": datasets.Array2D(shape=(8, 8), dtype="uint8"),
        "label": datasets.ClassLabel(names=[str(d) for d in range(10)]),
    })  # fmt: skip
    sizes = {}
    for split, (grids, labels) in digits_split().items():
        images = [_digit_png(grid) for grid in grids]
        rows = datasets.Dataset.from_dict(
            {"image": images, "pixels": [g.astype(np.uint8) for g in grids], "label": [int(y) for y in labels]},
            features=features,
        )
        (folder / "data").mkdir(exist_ok=True)
        rows.to_parquet(str(folder / "data" / f"{split}-00000-of-00001.parquet"))
        sizes[split] = len(rows)
    (folder / "README.md").write_text(_digits_card(sizes), encoding="utf-8")
    return f"{sizes['train']} train and {sizes['test']} test digits"


def _digit_png(grid: Any) -> dict[str, Any]:
    """An 8×8 grid of ink counts as a PNG (dark ink on white), for the Hub's viewer."""
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((255 - grid.astype(np.float32) * 255 / 16).astype(np.uint8)).save(buffer, format="PNG")
    return {"bytes": buffer.getvalue(), "path": None}


def _digits_card(sizes: dict[str, int]) -> str:
    return f"""---
license: cc-by-4.0
pretty_name: Handwritten digits (8×8)
task_categories:
- image-classification
size_categories:
- 1K<n<10K
source_datasets:
- original
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*.parquet
  - split: test
    path: data/test-*.parquet
---

# Handwritten digits (8×8)

The {sum(sizes.values()):,} handwritten digits scikit-learn ships (`sklearn.datasets.load_digits`), from the
[UCI Optical Recognition of Handwritten Digits]({DIGITS_SOURCE}) dataset (CC BY 4.0): 32×32
bitmaps of digits written by 43 people, with the ink counted in 4×4 blocks, so each image is an
8×8 grid of values from 0 (no ink) to 16 (full).

| split | rows |
|---|---|
| train | {sizes["train"]:,} |
| test | {sizes["test"]:,} |

The split is stratified by digit, {int(TEST_FRACTION * 100)}% held out, with seed {SPLIT_SEED}; the test split is what the
digits model reports its accuracy on, and what the digits demo offers as examples.

Columns: `pixels` (the 8×8 grid of ink counts, what the model reads), `image` (the same grid as
a picture: dark ink on white) and `label` (the digit).

Published by the demo suite's `scripts/publish.py digits-data`.
"""


def train_digits(data: dict[str, tuple[Any, Any]], *, seed: int = TRAIN_SEED) -> tuple[Any, float]:
    """Train the digits classifier with the Trainer API; returns it and its held-out accuracy."""
    from shared.models import DigitClassifier

    import numpy as np
    import torch
    from transformers import PrinterCallback, Trainer, TrainingArguments, enable_full_determinism

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same sums in the same order: the same weights on every run
    try:
        enable_full_determinism(seed)
        model = DigitClassifier()
        grids, labels = data["train"]
        rows = [
            {"pixels": torch.tensor(g, dtype=torch.float32), "labels": int(y)}
            for g, y in zip(grids, labels, strict=True)
        ]
        with _QuietTraining() as scratch:
            args = TrainingArguments(
                output_dir=str(scratch),
                num_train_epochs=TRAINING["epochs"],
                per_device_train_batch_size=TRAINING["batch_size"],
                learning_rate=TRAINING["learning_rate"],
                weight_decay=TRAINING["weight_decay"],
                seed=seed,
                data_seed=seed,
                full_determinism=True,
                use_cpu=True,
                save_strategy="no",
                eval_strategy="no",
                logging_strategy="no",
                report_to="none",
                disable_tqdm=True,
                dataloader_num_workers=0,
                remove_unused_columns=False,
            )
            trainer = Trainer(model=model, args=args, train_dataset=rows)
            trainer.remove_callback(PrinterCallback)  # it prints the training metrics
            trainer.train()
        model.eval()
        test_grids, test_labels = data["test"]
        predicted = model.probabilities(test_grids).argmax(-1).numpy()
        accuracy = float(np.mean(predicted == np.asarray(test_labels)))
    finally:
        torch.set_num_threads(threads)
    return model, accuracy


class _QuietTraining:
    """A scratch folder for the Trainer, and its logging kept quiet."""

    def __enter__(self) -> Path:
        import tempfile

        from transformers.utils import logging

        self._verbosity = logging.get_verbosity()
        logging.set_verbosity_error()
        self._folder = tempfile.mkdtemp(prefix="digits-training-")
        return Path(self._folder)

    def __exit__(self, *exc: object) -> None:
        from transformers.utils import logging

        logging.set_verbosity(self._verbosity)
        shutil.rmtree(self._folder, ignore_errors=True)


def digits_model(
    folder: Path, *, data_repo: str, data_revision: str, data: dict[str, tuple[Any, Any]], seed: int = TRAIN_SEED
) -> str:
    """The digits model repo: config.json, model.safetensors and a card with the accuracy."""
    model, accuracy = train_digits(data, seed=seed)
    model.save_pretrained(folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "README.md").write_text(
        _model_card(accuracy, len(data["test"][1]), data_repo, data_revision, config, seed=seed), encoding="utf-8"
    )
    return f"accuracy {accuracy:.2%} on {len(data['test'][1])} held-out digits (seed {seed})"


def _model_card(
    accuracy: float, tested: int, data_repo: str, data_revision: str, config: dict[str, Any], *, seed: int
) -> str:
    return f"""---
license: apache-2.0
library_name: pytorch
pipeline_tag: image-classification
tags:
- digits
- pytorch_model_hub_mixin
datasets:
- {data_repo}
metrics:
- accuracy
model-index:
- name: digits-classifier
  results:
  - task:
      type: image-classification
      name: Digit classification
    dataset:
      type: {data_repo}
      name: Handwritten digits (8×8)
      split: test
      revision: {data_revision}
    metrics:
    - type: accuracy
      value: {accuracy:.4f}
      name: Accuracy
---

# Digits classifier

A small multilayer perceptron (two hidden layers of {config["hidden_size"]}) that names the digit in
an 8×8 grid of ink counts: **{accuracy:.2%} accuracy on the {tested} held-out digits** of
[{data_repo}](https://huggingface.co/datasets/{data_repo}) (test split, revision `{data_revision[:12]}`).

## Input

What the model expects is part of its config (`config.json`): a `grid_size`×`grid_size`
({config["grid_size"]}×{config["grid_size"]}) grid, each cell the number of inked pixels of a 4×4 block of a 32×32
bitmap, so from 0 to `max_value` ({config["max_value"]:g}). The model divides by `max_value` itself.
`DigitClassifier.grid_from_image` (in the demo suite's `shared/models.py`) turns a drawing into
such a grid the way the dataset was made.

## Training

The Trainer API from 🤗 transformers, on the train split: {TRAINING["epochs"]} epochs, batch
{TRAINING["batch_size"]}, AdamW at learning rate {TRAINING["learning_rate"]:g}, weight decay
{TRAINING["weight_decay"]:g}, seed {seed}, single-threaded and deterministic (the same data gives the same
weights).

## Use

```python
from shared.models import DigitClassifier

model = DigitClassifier.from_pretrained("REPO_ID", revision="COMMIT")
probabilities = model.probabilities(grids)  # grids: N×8×8 ink counts
```

Published by the demo suite's `scripts/publish.py digits-model`.
"""


def sample_media(folder: Path, *, espeak: str = "espeak-ng") -> str:
    """The sample-media dataset repo: CC0 photos and synthesised speech clips with transcripts."""
    import datasets
    import skimage

    datasets.disable_progress_bars()
    photos_dir = Path(skimage.__file__).parent / "data"
    (folder / "data").mkdir(exist_ok=True)
    photos = datasets.Dataset.from_dict(
        {
            "image": [{"bytes": (photos_dir / name).read_bytes(), "path": name} for name in PHOTOS],
            "name": list(PHOTOS),
            "caption": [caption for caption, _ in PHOTOS.values()],
            "credit": [credit for _, credit in PHOTOS.values()],
        },
        features=datasets.Features({
            "image": datasets.Image(), "name": datasets.Value("string"), "caption": datasets.Value("string"),
            "credit": datasets.Value("string"),
        }),
    )  # fmt: skip
    photos.to_parquet(str(folder / "data" / "photos-00000-of-00001.parquet"))
    clips = [_speak(text, espeak) for text in SPEECH.values()]
    speech = datasets.Dataset.from_dict(
        {
            "audio": [{"bytes": wav, "path": name} for name, wav in zip(SPEECH, clips, strict=True)],
            "name": list(SPEECH),
            "transcript": list(SPEECH.values()),
        },
        features=datasets.Features(
            {
                "audio": {"bytes": datasets.Value("binary"), "path": datasets.Value("string")},
                "name": datasets.Value("string"),
                "transcript": datasets.Value("string"),
            }
        ),
    ).cast_column("audio", datasets.Audio())  # stored as WAV bytes: no audio codec needed to write
    speech.to_parquet(str(folder / "data" / "speech-00000-of-00001.parquet"))
    (folder / "README.md").write_text(_media_card(), encoding="utf-8")
    return f"{len(PHOTOS)} photos and {len(SPEECH)} speech clips"


def _speak(text: str, espeak: str) -> bytes:
    if shutil.which(espeak) is None:
        raise PublishError(f"{espeak} is not installed: run 'sudo apt-get install espeak-ng' (scripts/setup.sh does)")
    done = subprocess.run([espeak, "-v", "en-us", "-s", "150", "--stdout", text], capture_output=True, check=False)
    if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
        raise PublishError(f"{espeak} failed to speak {text!r}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _media_card() -> str:
    photo_rows = "\n".join(f"| `{name}` | {caption} | {credit} |" for name, (caption, credit) in PHOTOS.items())
    speech_rows = "\n".join(f"| `{name}` | {text} |" for name, text in SPEECH.items())
    return f"""---
license: cc0-1.0
pretty_name: Demo suite sample media
task_categories:
- image-classification
- automatic-speech-recognition
size_categories:
- n<1K
configs:
- config_name: photos
  data_files: data/photos-*.parquet
- config_name: speech
  data_files: data/speech-*.parquet
---

# Sample media for the demos

Examples the demos offer: photos and short speech clips with their transcripts.

## Photos (`photos`)

From scikit-image's `data` folder (its README.txt gives each licence):

| file | what | credit and licence |
|---|---|---|
{photo_rows}

## Speech (`speech`)

Synthesised with [eSpeak NG](https://github.com/espeak-ng/espeak-ng) (`espeak-ng -v en-us -s 150`),
WAV at 22,050 Hz, mono; the transcripts are the texts it was given. The clips are released under
CC0 (eSpeak NG's GPL covers the program, not what it says).

| file | transcript |
|---|---|
{speech_rows}

Published by the demo suite's `scripts/publish.py sample-media`.
"""


def search_index(out: Path, *, corpus: Path, embedder: Path, corpus_entry: Entry, embedder_entry: Entry) -> str:
    """The search index dataset (parquet rows + `index.json` + card): the pinned corpus embedded
    once with the pinned embedder, so that no Space embeds it at start-up.

    Args:
        out: Folder to write.
        corpus: The corpus files at their pin (parquet with `text` and a `label` ClassLabel).
        embedder: The embedder's files at their pin.
        corpus_entry: Registry entry of the corpus (its pin is recorded in `index.json`).
        embedder_entry: Registry entry of the embedder (its pin is recorded).

    Returns:
        A one-line summary.
    """
    from shared.hub import STAND_IN_TAG
    from shared.loading import Embedder

    import datasets

    corpus_rows = datasets.Dataset.from_parquet([str(corpus / f) for f in corpus_entry.files], keep_in_memory=True)
    encoder = Embedder(embedder_entry.name, folder=embedder)

    texts = list(corpus_rows["text"])
    label_feature = corpus_rows.features["label"]
    topics = [label_feature.int2str(i) for i in corpus_rows["label"]]
    vectors = encoder.embed_passages(texts).numpy()
    rows = datasets.Dataset.from_dict(
        {"text": texts, "topic": topics, "embedding": [v.tolist() for v in vectors]},
        features=datasets.Features({
            "text": datasets.Value("string"),
            "topic": datasets.Value("string"),
            "embedding": datasets.Sequence(datasets.Value("float32"), length=int(vectors.shape[1])),
        }),
    )  # fmt: skip
    (out / "data").mkdir(parents=True, exist_ok=True)
    rows.to_parquet(out / INDEX_FILE)
    meta = {
        "embedder": {"name": embedder_entry.name, "repo": embedder_entry.repo_id, "revision": embedder_entry.revision},
        "corpus": {"name": corpus_entry.name, "repo": corpus_entry.repo_id, "revision": corpus_entry.revision,
                   "files": list(corpus_entry.files), "rows": len(texts)},
        "dimension": int(vectors.shape[1]),
        "conventions": {"pooling": encoder.conventions.pooling, "normalize": encoder.conventions.normalize,
                        "passage_prefix": encoder.conventions.passage_prefix},
    }  # fmt: skip
    (out / "index.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    stand_ins = [e.name for e, f in ((corpus_entry, corpus), (embedder_entry, embedder)) if _is_stand_in(f)]
    tags = [STAND_IN_TAG] if stand_ins else []
    (out / "README.md").write_text(
        f"---\nlicense: unknown\ntags:\n{''.join(f'- {t}' + chr(10) for t in tags)}- embeddings\n- semantic-search\n"
        f"datasets:\n- {corpus_entry.repo_id}\n---\n\n"
        f"# {corpus_entry.repo_id} embedded with {embedder_entry.repo_id}\n\n"
        f"{len(texts):,} passages of {corpus_entry.repo_id}@{corpus_entry.revision} embedded with "
        f"{embedder_entry.repo_id}@{embedder_entry.revision} ({meta['dimension']} dimensions), built by the demo "
        "suite's `scripts/publish.py search-index`. `index.json` records both revisions.\n"
        + (f"\nBuilt from sandbox stand-ins ({', '.join(stand_ins)}).\n" if stand_ins else ""),
        encoding="utf-8",
    )
    return f"{len(texts):,} passages, {meta['dimension']} dimensions"


def _is_stand_in(folder: Path) -> bool:
    from shared.hub import card_is_stand_in

    card = folder / "README.md"
    return card.is_file() and card_is_stand_in(card.read_text(encoding="utf-8"))


def sample_images(out: Path, *, images: Path = SAMPLE_IMAGES) -> str:
    """The sample-images dataset: the photos of `scripts/sample_images/` (public domain) in one
    parquet file with `image` and `name`, and a card with their credits."""
    import datasets

    files = sorted(p for p in images.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    rows = datasets.Dataset.from_dict(
        {"image": [str(p) for p in files], "name": [p.stem for p in files]},
        features=datasets.Features({"image": datasets.Image(), "name": datasets.Value("string")}),
    )
    (out / "data").mkdir(parents=True, exist_ok=True)
    rows.to_parquet(out / IMAGES_FILE)  # embeds the image bytes
    photo_credits = (images / "CREDITS.md").read_text(encoding="utf-8") if (images / "CREDITS.md").is_file() else ""
    (out / "README.md").write_text(
        "---\nlicense: cc0-1.0\ntask_categories:\n- image-classification\n---\n\n"
        f"# Sample images\n\n{len(files)} photos for the demo suite's examples.\n\n{photo_credits}",
        encoding="utf-8",
    )
    return f"{len(files)} photos"
