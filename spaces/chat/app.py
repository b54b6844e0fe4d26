"""Chat: SmolLM2 Instruct answers as it writes, token by token.

The 360M model where a GPU runs it (ZeroGPU) or a server serves it, the 135M one on a CPU. The
conversation is trimmed to the model's window before the GPU call; the answer streams from a
static-cache decoder that replays CUDA graphs on a GPU (shared.generation), or from the inference
server that the configuration names for the model (shared.serving): the code is the same.
"""

from collections.abc import Iterator

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr

MODEL = shared.pick_model(gpu="chat-model", cpu="chat-model-small")
chats = {version: shared.Chat(version) for version in shared.versions(MODEL)}  # and its candidate
chat = chats[MODEL]
SYSTEM_PROMPT = "You are a helpful assistant. Answer briefly and clearly."
DEFAULT_TEMPERATURE = 0.2
DEFAULT_ANSWER_TOKENS = 256
EXAMPLES = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Explain what a neural network is in two sentences.",
]


def answer_seconds(prompt: list, temperature: float, max_new_tokens: int, version: str = MODEL) -> int:
    """GPU time to ask ZeroGPU for: what the longest answer allowed could take."""
    return shared.gpu_seconds_for_chat(max_new_tokens)


@shared.gpu(duration=answer_seconds)
def write_answer(prompt: list, temperature: float, max_new_tokens: int, version: str = MODEL) -> Iterator[str]:
    """The answer so far, each time it grows (the prompt in, text out: both cross ZeroGPU's boundary)."""
    yield from chats[version].stream(prompt, max_new_tokens=max_new_tokens, temperature=temperature)


def respond(
    message: str, history: list[dict], system_prompt: str, temperature: float, max_new_tokens: float
) -> Iterator[str]:
    """Stream the model's answer to `message`, given the conversation so far."""
    prompt = chat.prompt(message, history, system=system_prompt, max_new_tokens=int(max_new_tokens))
    yield from write_answer(prompt, float(temperature), int(max_new_tokens))


def compare_answers(version: str, message: str) -> Iterator[str]:
    """One version's answer to a first message, with the default settings (the Compare tab runs both)."""
    prompt = chats[version].prompt(message, [], system=SYSTEM_PROMPT, max_new_tokens=DEFAULT_ANSWER_TOKENS)
    yield from write_answer(prompt, DEFAULT_TEMPERATURE, DEFAULT_ANSWER_TOKENS, version)


with shared.page(
    __file__,
    "Talk with SmolLM2 Instruct, a small open chat model. Answers appear as they are written.",
    uses=[MODEL],
) as demo:
    # Rendered by the ChatInterface, in its Settings accordion.
    system_prompt = gr.Textbox(SYSTEM_PROMPT, label="System prompt", lines=2, render=False)
    temperature = gr.Slider(
        0, 1.5, value=DEFAULT_TEMPERATURE, step=0.05, label="Temperature (0: the most likely words)", render=False
    )
    max_new_tokens = gr.Slider(
        16, 1024, value=DEFAULT_ANSWER_TOKENS, step=16, label="Longest answer (tokens)", render=False
    )
    with gr.Tab("Chat"):
        conversation = gr.ChatInterface(
            respond,
            additional_inputs=[system_prompt, temperature, max_new_tokens],
            additional_inputs_accordion=gr.Accordion("Settings", open=False, render=False),
            textbox=gr.Textbox(
                placeholder="Ask anything", show_label=False, submit_btn=True, stop_btn=True, render=False
            ),
            examples=[[text, SYSTEM_PROMPT, temperature.value, max_new_tokens.value] for text in EXAMPLES],
            cache_examples=False,
            api_name="chat",
            fill_height=False,
        )
        shared.chat_feedback(conversation.chatbot, endpoint="chat")
    shared.compare(
        MODEL,
        run=compare_answers,
        inputs=lambda: [gr.Textbox(label="Message", placeholder="Ask both versions", lines=2)],
        output=lambda side: gr.Textbox(label=f"Answer {side}", lines=8, interactive=False),
        endpoint="chat",
        intro="One message, two versions of the model answering it. Which answer is better?",
    )

if __name__ == "__main__":
    demo.launch()
