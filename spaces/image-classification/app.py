"""Image classification: the five most likely of 1,000 ImageNet classes (ViT-Base/16)."""

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr
import torch

model = shared.load_model("image-classifier")
processor = shared.load_processor("image-classifier")
examples = [row["image"] for row in shared.load_dataset("image-examples")]


def uploaded(image: object) -> object:
    """The decoded image (`shared.image_input` checked the file), or an InputError."""
    if image is None:  # checked on the CPU, before any GPU time is asked for
        raise shared.InputError("Upload an image first.")
    return image


@shared.batched(max_size=16, check=uploaded)  # concurrent visitors share one forward pass
@shared.gpu(duration=20)
def classify(images: list[object]) -> list[dict[str, float]]:
    """The five most likely labels of each decoded image, with their probabilities."""
    pixels = processor(images=images, return_tensors="pt")["pixel_values"].to(model.device, model.dtype)
    with torch.inference_mode():
        probabilities = model(pixel_values=pixels).logits.float().softmax(-1).cpu()
    tops = probabilities.topk(5)
    labels = model.config.id2label
    return [
        {labels[int(i)]: float(p) for p, i in zip(values, indices, strict=True)}
        for values, indices in zip(tops.values, tops.indices, strict=True)
    ]


with shared.page(
    __file__,
    "What is in the picture? The five most likely of the 1,000 ImageNet classes.",
    uses=["image-classifier", "image-examples"],
) as demo:
    with gr.Row():
        with gr.Column():
            image = shared.image_input("Image")
            submit = gr.Button("Classify", variant="primary")
        with gr.Column():
            labels = gr.Label(label="Top 5", num_top_classes=5)
            shared.feedback("classify", inputs=[image], outputs=[labels])
    gr.Examples(examples, inputs=image)
    submit.click(classify, inputs=image, outputs=labels, api_name="classify")

if __name__ == "__main__":
    demo.launch()
