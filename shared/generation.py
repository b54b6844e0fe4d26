"""Streamed generation for chat demos: token ids as soon as each exists, and their text.

Most Spaces run `model.generate` in a thread and read a `TextIteratorStreamer`. For a small model
on a GPU that spends far more time in Python than on the GPU: every decode step launches a few
hundred tiny kernels one by one, `generate` adds its per-step bookkeeping, and the streamer thread
fights the consumer for the GIL. On ZeroGPU, whose quota is GPU seconds, that overhead is paid
for. `TokenStreamer` removes it without `torch.compile` (which ZeroGPU does not allow):

- The KV cache lives in static buffers of a bucketed length, so every decode step has the same
  shapes and touches the same addresses; the stock model forward reads and writes them through a
  small `transformers` cache whose write position is a device tensor we own (not a Python
  counter, which a replayed graph would never see change).
- On CUDA one decode step is captured as a CUDA graph and replayed: one launch per token. Its
  inputs (token id, position, a 4D attention mask updated in place on the device) are static
  buffers too, so a replay needs no host-side value at all.
- Step t+1 is queued before the host waits for token t (one 8-byte device-to-host copy), so the
  GPU never idles while Python yields, decodes text or runs Gradio.

`stream_text` turns those ids into the growing text a chat box shows, decoding only a small
window per token and never showing half a UTF-8 character.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import threading
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

SMALLEST_CACHE = 256
"""Static caches come in power-of-two lengths from this one up (capped at `max_cache_tokens`):
few lengths means few graphs to capture, and attention over unused slots stays cheap."""

_WARMUP_STEPS = 3  # eager runs on a side stream before capture, as PyTorch's CUDA-graph docs ask
_MASKABLE_ATTENTION = ("sdpa", "eager")  # implementations that use a 4D mask passed in as it is


class TokenStreamer:
    """Generate token ids one at a time from a loaded causal LM, as fast as its device allows.

    Three ways to decode, picked per call from where the model is (`mode` tells which):

    - `"cuda-graphs"` (a model on CUDA with `sdpa` or `eager` attention): static KV buffers and one
      decode step replayed as a CUDA graph. Graphs are kept across calls, keyed on the device,
      dtype, cache length and the data pointers of every parameter and buffer: on ZeroGPU the
      weights may be re-materialised at other addresses between calls, and a graph captured
      against the old ones would read freed memory, so new pointers mean a new capture.
    - `"static"` (the same on CPU, or with `cuda_graphs=False`): the same static buffers and step,
      run eagerly. On CPU it is as fast as `generate`'s own loop: there the matrix products,
      not Python, take the time.
    - `"dynamic"` (any other attention implementation, or sliding-window models): a plain loop
      over a `DynamicCache`, the calls `generate` itself makes.

    Greedy tokens are those of `model.generate(do_sample=False)`: the same forward passes on the
    same inputs, picking the first of equal maxima as it does. Static buffers attend over the whole
    cache through a mask where `generate`'s default cache attends over the tokens so far, so the
    last bits of a logit may differ (in bf16, now and then enough to break a near-tie the other
    way); given `past_key_values=StaticCache(config, max_cache_len=streamer.cache_length(n))` and
    `disable_compile=True` (with a static cache on CUDA it would compile its step otherwise),
    `generate` computes what this class computes, bit for bit.

    One call runs at a time per instance (a lock; Gradio may call concurrently): a second
    `stream` waits until the first is exhausted or closed, so never start a second one while
    iterating the first in the same thread.

    Args:
        model: A causal LM (`transformers` `...ForCausalLM`) on its device, any dtype, in eval mode.
        max_cache_tokens: Longest prompt plus answer a call may ask for.
        cuda_graphs: None: on CUDA whenever the model allows; False: never; True: require them.

    Raises:
        ValueError: `cuda_graphs=True` for a model that is not on CUDA, or `max_cache_tokens` < 2.

    Example:
        >>> streamer = TokenStreamer(model, max_cache_tokens=4096)
        >>> for token_id in streamer.stream(prompt_ids, max_new_tokens=256, stop_token_ids={2}):
        ...     print(token_id)
    """

    def __init__(self, model: Any, *, max_cache_tokens: int = 2048, cuda_graphs: bool | None = None) -> None:
        if max_cache_tokens < 2:
            raise ValueError(f"max_cache_tokens is {max_cache_tokens}; give room for a prompt and an answer (>= 2)")
        self.model = model
        self.max_cache_tokens = max_cache_tokens
        self._cuda_graphs = cuda_graphs
        self._check_graphs_possible()
        # generate asks for the last position's logits only; the same call keeps the numerics the same
        self._forward_options = (
            {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}
        )
        self._lock = threading.Lock()
        self._plans: dict[tuple[Any, ...], _StaticPlan] = {}
        self._captures = 0

    @property
    def mode(self) -> str:
        """How the next call decodes: `"cuda-graphs"`, `"static"` or `"dynamic"` (see the class)."""
        if not _static_cache_fits(self.model.config):
            return "dynamic"
        if self.model.device.type == "cuda" and self._cuda_graphs is not False:
            return "cuda-graphs"
        return "static"

    @property
    def captures(self) -> int:
        """CUDA graphs captured so far (one per cache length and set of weight addresses)."""
        return self._captures

    def cache_length(self, tokens: int) -> int:
        """The static cache length a call of `tokens` tokens (prompt + max_new_tokens) uses.

        Powers of two from `SMALLEST_CACHE`, capped at `max_cache_tokens`. Pass it to
        `transformers.StaticCache(config, max_cache_len=...)` to reproduce a call's numerics with
        `model.generate(..., past_key_values=cache, disable_compile=True)`.
        """
        bucket = max(SMALLEST_CACHE, 1 << max(tokens - 1, 0).bit_length())
        return min(bucket, self.max_cache_tokens)

    def stream(
        self,
        prompt_ids: Sequence[int],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        stop_token_ids: Collection[int] = (),
        seed: int | None = None,
    ) -> Iterator[int]:
        """Yield the answer's token ids one by one, each as soon as it exists.

        The first comes straight after the prompt's forward pass; the iterator computes nothing
        before it is asked for the next id. A stop token ends the answer and is not yielded
        (`generate` returns it as the last token: compare with it removed). Close the iterator
        (or let it be collected) to stop early and let the next call in.

        Args:
            prompt_ids: The prompt's token ids (chat template applied).
            max_new_tokens: The most ids to yield.
            temperature: 0 for greedy decoding; above 0, sample from softmax(logits / temperature).
            stop_token_ids: Ids that end the answer (end of turn, end of text).
            seed: Seeds the sampling generator (sampling only); None draws a fresh seed.

        Returns:
            A lazy iterator of token ids.

        Raises:
            ValueError: an empty prompt, `max_new_tokens` < 1, a negative temperature, or a prompt
                plus answer longer than `max_cache_tokens` (raised by this call, not by iterating).
        """
        prompt = [int(token) for token in prompt_ids]
        if not prompt:
            raise ValueError("the prompt is empty; give at least one token id (e.g. the chat template's)")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens is {max_new_tokens}; ask for at least 1 token")
        if temperature < 0:
            raise ValueError(f"temperature is {temperature}; use 0 for greedy decoding or a positive value to sample")
        if len(prompt) + max_new_tokens > self.max_cache_tokens:
            raise ValueError(
                f"the prompt ({len(prompt)} tokens) plus max_new_tokens ({max_new_tokens}) exceeds max_cache_tokens "
                f"({self.max_cache_tokens}): shorten the prompt or ask for fewer new tokens"
            )
        self._check_graphs_possible()
        return self._generate(prompt, max_new_tokens, temperature, frozenset(stop_token_ids), seed)

    def _check_graphs_possible(self) -> None:
        if self._cuda_graphs and self.model.device.type != "cuda":
            raise ValueError(
                f"cuda_graphs=True needs a model on CUDA, and it is on {self.model.device.type}: "
                "move it with model.to('cuda') or leave cuda_graphs unset"
            )

    def _generate(
        self, prompt: list[int], max_new_tokens: int, temperature: float, stops: frozenset[int], seed: int | None
    ) -> Iterator[int]:
        import torch

        with self._exclusive():
            device = self.model.device
            mode = self.mode
            if mode == "dynamic":
                decoder: _Decoder = _DynamicDecoder(self.model, self._forward_options)
            else:
                decoder = self._plan(self.cache_length(len(prompt) + max_new_tokens), graphs=mode == "cuda-graphs")
            pick = _picker(temperature, _generator(device, seed) if temperature > 0 else None)
            readback = _Readback(device)
            with torch.no_grad():
                token = pick(decoder.prefill(prompt))
            ticket = readback.start(token)
            for produced in range(1, max_new_tokens + 1):
                queued = None
                if produced < max_new_tokens and decoder.pipelined:
                    # Queue the next step first: the device computes it while the host waits for
                    # this token and the consumer handles it.
                    with torch.no_grad():
                        queued = pick(decoder.advance(token))
                    queued_ticket = readback.start(queued)
                token_id = readback.wait(ticket)
                if token_id in stops:
                    return
                yield token_id
                if produced == max_new_tokens:
                    return
                if queued is None:
                    with torch.no_grad():
                        queued = pick(decoder.advance(token))
                    queued_ticket = readback.start(queued)
                token, ticket = queued, queued_ticket

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the instance's lock for one call: the static buffers are shared by all calls.

        A plain Lock, not an RLock: Gradio resumes a generator on whichever worker thread is
        free, so the thread that releases it is often not the one that took it.
        """
        with self._lock:
            yield

    def _plan(self, length: int, *, graphs: bool) -> _StaticPlan:
        """The static buffers (and graph) for this cache length and the weights where they are now."""
        weights = _weight_pointers(self.model)
        key = (str(self.model.device), self.model.dtype, length, self.model.config._attn_implementation, weights)
        plan = self._plans.get(key)
        if plan is None:
            # Plans of other weight addresses are stale: their graphs point at freed memory.
            self._plans = {old: kept for old, kept in self._plans.items() if old[-1] == weights}
            plan = self._plans[key] = _StaticPlan(self.model, length, self._forward_options)
        plan.use_graphs = graphs and not plan.capture_failed
        plan.on_capture = self._count_capture
        return plan

    def _count_capture(self) -> None:
        self._captures += 1


def stream_text(tokenizer: Any, token_ids: Iterable[int]) -> Iterator[str]:
    """The text of `token_ids` so far, yielded each time it grows.

    Each token costs two decodes of a short window (the tokens since the last text that could be
    shown, with the one before as context), not a decode of everything so far. Text ending in
    the replacement character "\\ufffd" is half a UTF-8 character split across tokens: it waits
    for the next token. Special tokens are skipped. If the ids end in the middle of a character,
    that last partial character is never shown.

    Args:
        tokenizer: A transformers tokenizer (anything with `decode(ids, skip_special_tokens=...)`).
        token_ids: Token ids, e.g. from `TokenStreamer.stream` (consumed lazily).

    Yields:
        The cumulative decoded text, longer each time.

    Example:
        >>> for text in stream_text(tokenizer, streamer.stream(prompt, max_new_tokens=64)):
        ...     chat_box = text
    """
    ids: list[int] = []
    text = ""
    context_start = 0  # decoding starts here: tokens already shown, kept so word boundaries decode right
    shown_end = 0  # tokens before this one are in `text`
    for token_id in token_ids:
        ids.append(int(token_id))
        shown = tokenizer.decode(ids[context_start:shown_end], skip_special_tokens=True)
        window = tokenizer.decode(ids[context_start:], skip_special_tokens=True)
        if len(window) > len(shown) and not window.endswith("\ufffd"):
            text += window[len(shown) :]
            context_start, shown_end = shown_end, len(ids)
            yield text


# --- private helpers ---------------------------------------------------------------------------


class _Decoder:
    """What the generation loop needs from a way of decoding."""

    pipelined = False  # whether queueing a step is cheap enough to do before the host waits

    def prefill(self, prompt: list[int]) -> Any:
        """Run the prompt; return the last position's logits (1, vocab) on the device."""
        raise NotImplementedError

    def advance(self, token: Any) -> Any:
        """Feed the token just picked (a device tensor of shape (1,)); return the next logits."""
        raise NotImplementedError


class _DynamicDecoder(_Decoder):
    """The loop `generate` runs: a growing `DynamicCache`, one forward per token."""

    def __init__(self, model: Any, options: dict[str, Any]) -> None:
        from transformers import DynamicCache

        self.model, self.options = model, options
        self.cache = DynamicCache(config=model.config)
        self.position = 0

    def prefill(self, prompt: list[int]) -> Any:
        import torch

        ids = torch.tensor([prompt], dtype=torch.long, device=self.model.device)
        self.position = len(prompt)
        positions = torch.arange(self.position, device=self.model.device)[None]
        out = self.model(
            input_ids=ids, position_ids=positions, past_key_values=self.cache, use_cache=True, **self.options
        )
        return out.logits[:, -1]

    def advance(self, token: Any) -> Any:
        import torch

        positions = torch.full((1, 1), self.position, dtype=torch.long, device=self.model.device)
        self.position += 1
        out = self.model(
            input_ids=token.view(1, 1),
            position_ids=positions,
            past_key_values=self.cache,
            use_cache=True,
            **self.options,
        )
        return out.logits[:, -1]


class _WritePosition:
    """Where the cache layers write the next keys and values: a device tensor of positions.

    A decode step writes at the plan's one-element position buffer, which the host advances on
    the device between steps, so a replayed graph writes where it should; prefill points it at
    `arange(len(prompt))` for the duration of that one eager call. `tokens` is the host's count
    of cached tokens, only for code that asks the cache how long it is.
    """

    def __init__(self, positions: Any) -> None:
        self.positions = positions
        self.tokens = 0


class _StaticPlan(_Decoder):
    """Static buffers for one cache length, device, dtype and set of weights, and on CUDA the
    captured decode step.

    Buffers: the KV cache (one key and one value tensor per layer, allocated by the prefill), the
    input id (1, 1), the position (1, 1) and the attention mask (1, 1, 1, length): True (or 0.0
    for eager attention) where a position holds a token. The decode step first marks its own
    position in the mask, then runs the stock forward; the host then copies the picked token
    into the input buffer and adds 1 to the position, both on the device.
    """

    def __init__(self, model: Any, length: int, options: dict[str, Any]) -> None:
        import torch

        self.model, self.length, self.options = model, length, options
        device, dtype = model.device, model.dtype
        self.input_ids = torch.zeros((1, 1), dtype=torch.long, device=device)
        self.position_ids = torch.zeros((1, 1), dtype=torch.long, device=device)
        self.write = _WritePosition(self.position_ids.view(1))
        self.cache = _static_cache(model.config, length, self.write)
        if model.config._attn_implementation == "sdpa":  # a boolean mask, as create_causal_mask builds for sdpa
            mask_dtype, self.attend, self.ignore = torch.bool, True, False
        else:  # eager attention adds the mask to the scores
            mask_dtype, self.attend, self.ignore = dtype, 0.0, torch.finfo(dtype).min
        self.mask = torch.full((1, 1, 1, length), self.ignore, dtype=mask_dtype, device=device)
        # What a step copies into the mask at its own position (index_copy_, the op the cache
        # update uses too, and the one transformers' own CUDA-graph path relies on).
        self.attend_slot = torch.full((1, 1, 1, 1), self.attend, dtype=mask_dtype, device=device)
        self.graph: Any = None
        # Capture and replay run on the current device's stream: make it the model's.
        self.cuda_device = torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()
        self.logits: Any = None  # the graph's output buffer
        self.use_graphs = False
        self.capture_failed = False
        self.on_capture: Callable[[], None] = lambda: None

    @property
    def pipelined(self) -> bool:
        return self.graph is not None

    def prefill(self, prompt: list[int]) -> Any:
        import torch

        device, count = self.model.device, len(prompt)
        positions = torch.arange(count, device=device)
        self.mask.fill_(self.ignore)
        self.mask[..., :count].fill_(self.attend)
        self.position_ids.fill_(count)
        # Prefill leaves the mask to the model (None: causal over the prompt), as generate does.
        self.write.positions, self.write.tokens = positions, 0
        try:
            out = self.model(
                input_ids=torch.tensor([prompt], dtype=torch.long, device=device),
                position_ids=positions[None],
                past_key_values=self.cache,
                use_cache=True,
                **self.options,
            )
        finally:
            self.write.positions = self.position_ids.view(1)
        self.write.tokens = count
        return out.logits[:, -1]

    def advance(self, token: Any) -> Any:
        self.input_ids.copy_(token.view(1, 1))
        if self.use_graphs and self.graph is None:
            self._capture()
        if self.graph is not None:
            with self.cuda_device:
                self.graph.replay()
            logits = self.logits
        else:
            logits = self._step()
        self.position_ids.add_(1)
        self.write.tokens += 1
        return logits

    def _step(self) -> Any:
        """One decode step on the static buffers only: what the graph captures.

        It reads and writes nothing but the buffers (and the weights): marking its own position in
        the mask is idempotent, so the warm-up runs before capture leave the state as one step would.
        """
        self.mask.index_copy_(3, self.write.positions, self.attend_slot)
        out = self.model(
            input_ids=self.input_ids,
            position_ids=self.position_ids,
            attention_mask=self.mask,
            past_key_values=self.cache,
            use_cache=True,
            **self.options,
        )
        return out.logits[:, -1]

    def _capture(self) -> None:
        """Warm the step up on a side stream, then capture it (PyTorch's recipe for CUDA graphs).

        The warm-up runs compute the very step about to be replayed (same inputs, idempotent), so
        they leave the buffers as they should be; the capture itself runs nothing.
        """
        with self.cuda_device:
            self._warm_up_and_capture()

    def _warm_up_and_capture(self) -> None:
        import torch

        device = self.model.device
        side = torch.cuda.Stream(device=device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):  # cuBLAS handles, workspaces, lazy buffers: set up outside the capture
            for _ in range(_WARMUP_STEPS):
                self._step()
        torch.cuda.current_stream(device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        try:
            # thread_local: CUDA work of other threads (other demos' models) must not break the capture
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                logits = self._step()
        except RuntimeError as error:  # an op that needs the host mid-step (e.g. a dynamic RoPE)
            self.capture_failed, self.use_graphs = True, False
            warnings.warn(
                f"decoding without CUDA graphs: capturing a step failed ({error})", RuntimeWarning, stacklevel=2
            )
            return
        self.graph, self.logits = graph, logits
        self.on_capture()


class _Readback:
    """Token ids to the host: on CUDA a non-blocking copy into pinned memory and an event, so the
    host waits for that token only, not for a step queued after it."""

    def __init__(self, device: Any) -> None:
        import torch

        self.cuda = device.type == "cuda"
        if self.cuda:
            self.stream = torch.cuda.current_stream(device)  # where the token's kernels ran
            # Two slots: token t+1 is copied while token t is still to be read.
            self.slots = [torch.empty(1, dtype=torch.long, pin_memory=True) for _ in range(2)]
            self.turn = itertools.cycle(range(2))

    def start(self, token: Any) -> Any:
        if not self.cuda:
            return token
        import torch

        slot = next(self.turn)
        self.slots[slot].copy_(token, non_blocking=True)
        event = torch.cuda.Event()
        event.record(self.stream)
        return slot, event

    def wait(self, ticket: Any) -> int:
        if not self.cuda:
            return int(ticket)
        slot, event = ticket
        event.synchronize()
        return int(self.slots[slot][0])


def _picker(temperature: float, generator: Any) -> Callable[[Any], Any]:
    """Logits (1, vocab) → the next token, a device tensor of shape (1,); no host sync."""
    import torch

    if temperature == 0:
        return lambda logits: logits.argmax(dim=-1)  # the first maximum, like generate's argmax

    def sample(logits: Any) -> Any:
        probabilities = torch.softmax(logits.float() / temperature, dim=-1)
        # argmax(p / E) with E ~ Exp(1) draws from p (what torch.multinomial does for one
        # sample) with no host synchronisation.
        race = torch.empty_like(probabilities).exponential_(generator=generator)
        return (probabilities / race).argmax(dim=-1)

    return sample


def _generator(device: Any, seed: int | None) -> Any:
    import torch

    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def _weight_pointers(model: Any) -> tuple[int, ...]:
    """Addresses of every parameter and buffer: what a captured graph reads."""
    return tuple(tensor.data_ptr() for tensor in itertools.chain(model.parameters(), model.buffers()))


def _static_cache_fits(config: Any) -> bool:
    """Whether our static cache and 4D mask compute what the model would: full attention in every
    layer, and an attention implementation that takes a 4D mask as it is."""
    config = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    layer_types = set(getattr(config, "layer_types", None) or ["full_attention"])
    return (
        getattr(config, "_attn_implementation", None) in _MASKABLE_ATTENTION
        and layer_types == {"full_attention"}
        and getattr(config, "sliding_window", None) is None
        and getattr(config, "attention_chunk_size", None) is None
    )


def _static_cache(config: Any, length: int, write: _WritePosition) -> Any:
    """A `transformers` cache of `length` slots per layer that writes where `write` says."""
    from transformers.cache_utils import Cache

    layer = _static_layer_class()
    count = config.get_text_config(decoder=True).num_hidden_layers
    return Cache(layers=[layer(length, write) for _ in range(count)])


@functools.cache
def _static_layer_class() -> type:
    """The cache layer class (defined on first use: shared imports no transformers at import time)."""
    from transformers.cache_utils import CacheLayerMixin

    class StaticKVLayer(CacheLayerMixin):
        """Keys and values in fixed (batch, heads, length, head_dim) buffers, written in place at
        `write.positions`. Unlike transformers' StaticLayer it keeps no counter of its own: the
        position is a tensor the streamer sets, so graph replays and eager calls agree."""

        is_compileable = True  # fixed shapes: masking code treats it as a static cache
        is_sliding = False

        def __init__(self, length: int, write: _WritePosition) -> None:
            super().__init__()
            self.length, self.write = length, write

        def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
            batch, heads = key_states.shape[:2]
            self.keys = key_states.new_zeros((batch, heads, self.length, key_states.shape[-1]))
            self.values = value_states.new_zeros((batch, heads, self.length, value_states.shape[-1]))
            self.device, self.dtype = key_states.device, key_states.dtype
            self.is_initialized = True

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            self.keys.index_copy_(2, self.write.positions, key_states)
            self.values.index_copy_(2, self.write.positions, value_states)
            return self.keys, self.values

        def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
            return self.length, 0

        def get_seq_length(self) -> int:
            return self.write.tokens

        def get_max_length(self) -> int:
            return self.length

    return StaticKVLayer
