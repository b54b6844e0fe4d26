"""The naive single-file version of the sentiment demo: `pipeline()` + `gr.Interface`.

Same model at the same revision as spaces/sentiment, written the way a first demo usually is.
It is the baseline scripts/benchmark.py measures the suite's demo against.
"""

import gradio as gr
from transformers import pipeline

classifier = pipeline(
    "text-classification",
    model="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    revision="714eb0fa89d2f80546fda750413ed43d93601a13",
    top_k=None,
)


def classify(text):
    return {result["label"]: result["score"] for result in classifier([text])[0]}


demo = gr.Interface(classify, gr.Textbox(label="Text"), gr.Label(label="Sentiment"), api_name="classify")

if __name__ == "__main__":
    demo.launch()
