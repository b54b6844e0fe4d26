"""The naive single-file version of the digits demo's held-out examples: `gr.Interface`, one
digit per forward pass.

Same model class and revision as spaces/digits (our own `DigitClassifier`, loaded through its
`PyTorchModelHubMixin`), the way a first demo usually is. scripts/benchmark_batching.py measures
the suite's demo against it. Model and data are our own artifacts, published by the sandbox when
the benchmark seeds its Hub, so their repos and revisions come from the environment (a first
draft would write them in).
"""

import os

from shared.models import DigitClassifier

import gradio as gr
import numpy as np
from datasets import load_dataset

MODEL, MODEL_REVISION = os.environ["NAIVE_DIGITS_MODEL"].split("@")  # repo@sha
DATA, DATA_REVISION = os.environ["NAIVE_DIGITS_DATA"].split("@")
model = DigitClassifier.from_pretrained(MODEL, revision=MODEL_REVISION).eval()
held_out = load_dataset(DATA, revision=DATA_REVISION, split="test")


def read_example(number):
    grid = np.asarray(held_out[int(number)]["pixels"], dtype=np.float32)
    return {str(d): float(p) for d, p in enumerate(model.probabilities(grid[None])[0])}


demo = gr.Interface(
    read_example, gr.Number(label="Example"), gr.Label(num_top_classes=10, label="Digit"), api_name="read_example"
)

if __name__ == "__main__":
    demo.launch()
