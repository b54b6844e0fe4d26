"""The naive single-file version of the image-classification demo: `pipeline()` + `gr.Interface`.

Same model at the same revision as spaces/image-classification, one image per forward pass, the
way a first demo usually is. scripts/benchmark_batching.py measures the suite's demo against it.
"""

import gradio as gr
from transformers import pipeline

classifier = pipeline(
    "image-classification",
    model="google/vit-base-patch16-224",
    revision="3f49326eb077187dfe1c2a2bb15fbd74e6ab91e3",
    top_k=5,
)


def classify(image):
    return {result["label"]: result["score"] for result in classifier(image)}


demo = gr.Interface(
    classify, gr.Image(type="pil", label="Image"), gr.Label(num_top_classes=5, label="Top 5"), api_name="classify"
)

if __name__ == "__main__":
    demo.launch()
