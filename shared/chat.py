"""A chat model by logical name: prompts that fit its window, and replies streamed as they are written.

`Chat` turns a Gradio conversation (openai-style messages) into the model's chat-template tokens,
dropping the oldest turns when the conversation would not fit next to the answer, and streams
the answer through `shared.generation.TokenStreamer` (static cache, CUDA graphs on a GPU).
Building the prompt is plain CPU work and its refusals are `InputError`s, so apps do it before
the GPU function: on ZeroGPU an error raised inside a GPU call can reach the user without its
message.

When the model is served by an inference server (`shared.serving`: its URL is configured),
`Chat(name)` is a `ServedChat`: the same checks and trimming, by the same tokenizer, and the
answer streamed from the server; the app's code does not change.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

from shared.errors import InputError, RegistryError, ServedRevisionError, ServerError
from shared.inputs import check_text
from shared.limits import MAX_CHARS_PER_TOKEN, MAX_CHAT_MESSAGE_CHARS
from shared.serving import is_served, server

logger = logging.getLogger(__name__)


def message_text(content: Any) -> str:
    """The text of one chat message's content, whatever shape Gradio gave it.

    Gradio's history holds a string, a list of typed parts (`{"type": "text", "text": ...}`), or
    a file (`{"path": ...}`) per message; files carry no text for a text-only model.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        text = content.get("text", "") if content.get("type", "text") == "text" else ""
        return text if isinstance(text, str) else ""
    if isinstance(content, list | tuple):
        return "".join(message_text(part) for part in content if isinstance(part, str | dict))
    return ""


class Chat:
    """An instruction-tuned causal LM from the registry, ready to answer conversations.

    Args:
        name: Logical name of a `text-generation` model entry whose tokenizer has a chat template.
        context_tokens: The conversation window (prompt and answer together), at most the model's
            own; the static cache is sized by it, so larger windows cost memory on a GPU.

    Example:
        >>> chat = Chat("chat-model-small")
        >>> prompt = chat.prompt("Hi!", [], system="Be brief.", max_new_tokens=64)
        >>> for text in chat.stream(prompt, max_new_tokens=64):
        ...     print(text)  # the answer so far, growing
    """

    def __new__(cls, name: str | None = None, **options: Any) -> Chat:
        # The backend is configuration: a served model gets the same interface from a server.
        return super().__new__(ServedChat if cls is Chat and name and is_served(name) else cls)

    def __init__(self, name: str, *, context_tokens: int = 4096) -> None:
        from shared.generation import TokenStreamer
        from shared.loading import load_model

        self.name = name
        self.tokenizer = _chat_tokenizer(name)
        self.model = load_model(name)
        self.context_tokens = min(context_tokens, int(self.model.config.max_position_embeddings))
        self.streamer = TokenStreamer(self.model, max_cache_tokens=self.context_tokens)
        self.stop_token_ids = _stop_tokens(self.model, self.tokenizer)

    def prompt(self, message: Any, history: Sequence[dict[str, Any]], *, system: str, max_new_tokens: int) -> Any:
        """Token ids of the conversation so far plus `message`, leaving room for the answer (for a
        `ServedChat`, the messages those ids encode: what the server is sent).

        The oldest whole turns go first when the conversation is too long; the system prompt and the
        new message always stay. Turns the window could not hold even at `MAX_CHARS_PER_TOKEN`
        characters a token are dropped before anything is tokenised, so the cost of a prompt does
        not grow with the history a client sends.

        Args:
            message: What the user just sent.
            history: Earlier messages, openai-style (`{"role", "content"}`), oldest first.
            system: The system prompt (empty: none).
            max_new_tokens: Room to keep for the answer.

        Raises:
            InputError: the message or system prompt is empty, too long or not valid Unicode, or
                does not fit with the answer.
        """
        text = message_text(message).strip()
        if not text:
            raise InputError("Type a message first.")
        text = check_text(text, what="message", max_chars=MAX_CHAT_MESSAGE_CHARS)
        system = (
            check_text(system, what="system prompt", max_chars=MAX_CHAT_MESSAGE_CHARS)
            if str(system or "").strip()
            else ""
        )
        turns = _recent_turns(history, max_chars=self.context_tokens * MAX_CHARS_PER_TOKEN)
        head = [{"role": "system", "content": system}] if system else []
        budget = self.context_tokens - max_new_tokens
        message = {"role": "user", "content": text}
        # Where the kept history may start: its beginning, each later user message (whole turns
        # only), or nothing at all. Fewer turns never make the prompt longer, so the newest turns
        # that fit are found by bisection: a few encodings, not one per dropped turn.
        starts = [0, *(i for i, m in enumerate(turns) if i and m["role"] == "user"), len(turns)]
        encoded: dict[int, list[int]] = {}

        def messages_from(choice: int) -> list[dict[str, str]]:
            return [*head, *turns[starts[choice] :], message]

        def prompt_from(choice: int) -> list[int]:
            if choice not in encoded:
                encoded[choice] = self._encode(messages_from(choice))
            return encoded[choice]

        low, high = 0, len(starts) - 1
        if len(prompt_from(high)) > budget:
            raise InputError(
                f"The message and system prompt take {len(prompt_from(high)):,} tokens, but only {max(budget, 0):,} "
                f"fit next to an answer of {max_new_tokens:,} tokens: shorten them or ask for a shorter answer."
            )
        while low < high:
            middle = (low + high) // 2
            if len(prompt_from(middle)) <= budget:
                high = middle
            else:
                low = middle + 1
        return self._prompt(messages_from(low), prompt_from(low))

    def _prompt(self, messages: list[dict[str, str]], ids: list[int]) -> Any:
        return ids

    def _encode(self, messages: list[dict[str, str]]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
        return [int(i) for i in ids]

    def stream(self, prompt: Sequence[int], *, max_new_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        """The answer to `prompt` (from `prompt()`), yielded as it grows: each item is the whole text so far.

        Args:
            prompt: Token ids of the conversation.
            max_new_tokens: Longest answer, in tokens.
            temperature: 0 for the most likely answer (greedy); higher for more varied ones.
        """
        from shared.generation import stream_text

        tokens = self.streamer.stream(
            prompt, max_new_tokens=max_new_tokens, temperature=temperature, stop_token_ids=self.stop_token_ids
        )
        yield from stream_text(self.tokenizer, tokens)


class ServedChat(Chat):
    """A `Chat` whose answers come from an OpenAI-compatible server (`shared.serving`): prompts
    are checked and trimmed here with the model's own tokenizer, and `stream` yields the server's
    answer as it grows. Made by `Chat(name)` when `name` is served.

    A server that is down when the app starts does not stop it: each request then gets one line
    (`ServerError`) until the server answers. A server that serves another repo or revision than
    the registry pins stops the app at start (`ServedRevisionError`).
    """

    def __init__(self, name: str, *, context_tokens: int = 4096) -> None:
        from shared.loading import model_folder

        from transformers import AutoConfig

        self.name = name
        self.tokenizer = _chat_tokenizer(name)
        config = AutoConfig.from_pretrained(
            model_folder(name, weights=False), trust_remote_code=False, local_files_only=True
        )
        self.context_tokens = min(context_tokens, int(config.max_position_embeddings))
        self.server = server(name)
        if self.server is None:
            raise RegistryError(f"{name} is not served: set its server's URL first")
        try:
            self.server.ready()
        except ServedRevisionError:
            raise
        except ServerError as exc:  # down now: requests say so until it is back
            logger.warning("%s", exc)

    def _prompt(self, messages: list[dict[str, str]], ids: list[int]) -> Any:
        return messages

    def stream(self, prompt: Sequence[Any], *, max_new_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        """The server's answer to `prompt` (messages, from `prompt()`), yielded as it grows.

        Raises:
            ServerError: the server is down or stopped in the middle of the answer.
        """
        yield from self.server.stream_chat(prompt, max_tokens=max_new_tokens, temperature=temperature)


def _chat_tokenizer(name: str) -> Any:
    from shared.loading import load_tokenizer

    tokenizer = load_tokenizer(name)
    if not getattr(tokenizer, "chat_template", None):
        raise RegistryError(f"{name}: its tokenizer has no chat template; pick an instruction-tuned model")
    return tokenizer


def _recent_turns(history: Any, *, max_chars: int) -> list[dict[str, str]]:
    """The newest user/assistant turns of `history` whose text adds up to at most `max_chars`,
    oldest first, as plain `{"role", "content"}` (text that is not valid Unicode repaired)."""
    turns: list[dict[str, str]] = []
    total = 0
    for item in reversed(list(history or []) if isinstance(history, list | tuple) else []):
        if not isinstance(item, dict) or item.get("role") not in {"user", "assistant"}:
            continue
        content = message_text(item.get("content"))
        total += len(content)
        if total > max_chars:
            break
        turns.append({"role": item["role"], "content": content.encode("utf-8", "replace").decode("utf-8")})
    return turns[::-1]


def _stop_tokens(model: Any, tokenizer: Any) -> frozenset[int]:
    ids = getattr(model.generation_config, "eos_token_id", None)
    ids = [ids] if isinstance(ids, int) else list(ids or [])
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return frozenset(int(i) for i in ids)


def gpu_seconds_for_chat(max_new_tokens: int, *, tokens_per_second: float = 25.0, start_seconds: float = 5.0) -> int:
    """Seconds of GPU a reply of up to `max_new_tokens` may take (ZeroGPU's `duration`).

    Sized for a slow path (`tokens_per_second`, well below what the CUDA-graph path does) plus
    loading and graph capture, so the call is never cut short, yet a short answer asks for a
    short slot and queues sooner.
    """
    return math.ceil(start_seconds + max_new_tokens / tokens_per_second)
