"""The naive single-file version of the semantic-search demo: transformers + `gr.Interface`.

Same embedder at the same revision as spaces/semantic-search, over the same published index, one
query per forward pass, the way a first demo usually is. scripts/benchmark_batching.py measures
the suite's demo against it. The index is our own artifact, published by the sandbox when the
benchmark seeds its Hub, so its repo and revision come from the environment (a first draft would
write them in).
"""

import os

import gradio as gr
import torch
from datasets import load_dataset
from transformers import AutoModel, AutoTokenizer

EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
tokenizer = AutoTokenizer.from_pretrained(EMBEDDER, revision=REVISION)
model = AutoModel.from_pretrained(EMBEDDER, revision=REVISION).eval()
INDEX, INDEX_REVISION = os.environ["NAIVE_NEWS_INDEX"].split("@")  # repo@sha
index = load_dataset(INDEX, revision=INDEX_REVISION, split="index")
vectors = torch.nn.functional.normalize(torch.tensor(index["embedding"]), dim=-1)


def search(query, k):
    batch = tokenizer([query], truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    vector = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)[0]
    top = torch.topk(vectors @ vector, k=int(k))
    return [[rank, round(float(s), 4), index[int(i)]["topic"], index[int(i)]["text"]]
            for rank, (s, i) in enumerate(zip(top.values, top.indices, strict=True), 1)]  # fmt: skip


demo = gr.Interface(
    search,
    [gr.Textbox(label="Query"), gr.Slider(1, 20, value=5, step=1, label="Results")],
    gr.Dataframe(headers=["rank", "score", "topic", "text"], label="Closest articles"),
    api_name="search",
)

if __name__ == "__main__":
    demo.launch()
