"""The sentiment model's batched forward-pass limit: what the demo's `classify` computes for a full
batch — tokenising in length-sorted groups, the forward pass, the softmax — with no app around it.

    python -m scripts._benchmark.forward_limit [--batch 32] [--seconds 5]   (from the repo root)

Run with the apps' environment (the same Hub, cache, dtype and threads): it prints one JSON line,
`{"requests_per_second": …, "dtype": "…", "threads": …, "capability": "AVX2"}`. The texts are drawn like the load
generator's (uniformly from the same sentences), so the limit is at the same request mix.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence

MODEL = "sentiment-model"


def measure(*, batch: int, seconds: float, seed: int = 0) -> dict[str, object]:
    """Requests per second through full batches for about `seconds` (after two warm-up batches)."""
    import shared

    import torch

    from scripts.sandbox import REVIEWS

    model = shared.load_model(MODEL)
    tokenizer = shared.load_tokenizer(MODEL)
    texts = [sentence for sentence, _ in REVIEWS]
    rng = random.Random(seed)  # noqa: S311 (picks test sentences)

    def one_batch() -> None:
        chosen = [rng.choice(texts) for _ in range(batch)]
        for _, encoded in shared.length_batches(tokenizer, chosen, truncation=True):
            with torch.inference_mode():
                model(**encoded.to(model.device)).logits.float().softmax(-1).cpu()

    for _ in range(2):
        one_batch()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        one_batch()
        done += batch
    return {
        "requests_per_second": done / (time.perf_counter() - started),
        "dtype": str(shared.dtype()).removeprefix("torch."),
        "threads": torch.get_num_threads(),
        "capability": torch.backends.cpu.get_cpu_capability(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="forward_limit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    print(json.dumps(measure(batch=args.batch, seconds=args.seconds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
