"""Sentiment: is an English sentence positive or negative? (DistilBERT fine-tuned on SST-2)

Requests are batched: concurrent users share one forward pass (one GPU call on ZeroGPU).
"""

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr
import torch

model = shared.load_model("sentiment-model")
tokenizer = shared.load_tokenizer("sentiment-model")
examples = list(shared.load_dataset("sentiment-examples").shuffle(seed=0)["sentence"][:8])


@shared.batched(max_size=32, check=shared.check_text)  # each text checked alone, on the CPU
@shared.gpu(duration=20)
def classify(texts: list[str]) -> list[dict[str, float]]:
    """Scores of both labels for each text of a batch."""
    probabilities = torch.empty(len(texts), model.config.num_labels)
    for positions, batch in shared.length_batches(tokenizer, texts, truncation=True):
        with torch.inference_mode():
            probabilities[positions] = model(**batch.to(model.device)).logits.float().softmax(-1).cpu()
    labels = model.config.id2label
    return [{labels[i]: float(p) for i, p in enumerate(row)} for row in probabilities]


with shared.page(
    __file__,
    "Is an English sentence positive or negative? Scores for both labels.",
    uses=["sentiment-model", "sentiment-examples"],
) as demo:
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=3, placeholder="Type a sentence…")
            submit = gr.Button("Classify", variant="primary")
        scores = gr.Label(label="Sentiment", num_top_classes=2)
    shared.feedback("classify", inputs=[text], outputs=[scores])
    gr.Examples(examples, inputs=text)
    gr.on(
        [submit.click, text.submit],
        classify,
        inputs=text,
        outputs=scores,
        api_name="classify",
        preprocess=False,  # check_text sees the raw value, type included
    )

if __name__ == "__main__":
    demo.launch()
