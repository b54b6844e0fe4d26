"""shared.batched: concurrent requests share one call of the batch function, each request gets its
own result (or the batch's error), a lone request never waits, and the page lets a batch's worth
of requests of the event wait at once."""

from __future__ import annotations

import inspect
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import shared

import gradio as gr
import pytest
from gradio_client import Client

from tests.harness.apps import running


class Recorder:
    """A batch function that records the batches it was given and can be held while it runs."""

    def __init__(self, *, seconds: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.seconds = seconds
        self.lock = threading.Lock()

    def __call__(self, texts: list[str], counts: list[int]) -> list[str]:
        with self.lock:
            self.batches.append(list(texts))
        time.sleep(self.seconds)
        return [text * count for text, count in zip(texts, counts, strict=True)]


def test_a_lone_request_runs_at_once_with_its_own_arguments() -> None:
    recorder = Recorder()
    repeat = shared.batched(recorder, max_size=8)
    started = time.perf_counter()
    assert repeat("ab", 2) == "abab"
    assert repeat("c", 3) == "ccc"
    assert time.perf_counter() - started < 0.5
    assert recorder.batches == [["ab"], ["c"]]
    assert repeat.calls == 2


def test_concurrent_requests_share_batches_and_each_gets_its_own_result() -> None:
    recorder = Recorder(seconds=0.05)
    repeat = shared.batched(recorder, max_size=8)
    texts = [f"t{i}-" for i in range(40)]
    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lambda text: repeat(text, 2), texts))
    assert results == [text * 2 for text in texts]  # each caller got its own answer
    assert sorted(t for batch in recorder.batches for t in batch) == sorted(texts)  # each ran once
    assert max(len(batch) for batch in recorder.batches) == 8
    assert len(recorder.batches) <= 10  # 40 requests in batches of up to 8, not one call each
    assert repeat.calls == len(recorder.batches)


def test_a_full_batch_is_gathered_again_after_a_full_one() -> None:
    """Clients that come back one by one after a full batch run together, not the first alone."""
    recorder = Recorder(seconds=0.05)
    repeat = shared.batched(recorder, max_size=8)

    def client(index: int) -> None:
        for _ in range(4):
            repeat(f"{index}", 1)
            time.sleep(0.002 * index)  # each comes back a little later than the one before

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    sizes = [len(batch) for batch in recorder.batches]
    assert sum(sizes) == 32
    assert sizes[1:].count(8) >= 2, sizes  # after the first, the crowd fills its batches


def test_an_error_reaches_every_request_of_its_batch_and_the_next_batch_runs() -> None:
    calls = []

    def fail_on_bad(texts: list[str]) -> list[str]:
        calls.append(list(texts))
        time.sleep(0.05)
        if "bad" in texts:
            raise RuntimeError("the model failed")
        return [t.upper() for t in texts]

    upper = shared.batched(fail_on_bad, max_size=4)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(upper, "bad")
        time.sleep(0.01)
        second = pool.submit(upper, "fine")
        with pytest.raises(RuntimeError, match="the model failed"):
            first.result(timeout=5)
        assert second.result(timeout=5) == "FINE"  # it waited for the next batch, which ran


def test_a_wrong_number_of_results_is_an_error_for_each_request() -> None:
    short = shared.batched(lambda texts: texts[:-1], max_size=4)
    with pytest.raises(RuntimeError, match="returned 0 results for 1 requests"):
        short("x")


def test_with_a_weight_a_batch_holds_what_fits_and_a_heavy_request_runs_alone() -> None:
    recorder = Recorder(seconds=0.3)
    repeat = shared.batched(recorder, max_size=4, weight=lambda text, count: count)
    blocker = threading.Thread(target=repeat, args=("first-", 1))
    blocker.start()
    time.sleep(0.01)  # the rest arrive while the first batch runs, and wait together
    jobs = [("a", 1), ("b", 2), ("c", 9), ("d", 1), ("e", 1), ("f", 3)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = []
        for text, count in jobs:
            futures.append(pool.submit(repeat, text, count))
            time.sleep(0.02)  # in this order
        assert [f.result(timeout=5) for f in futures] == [text * count for text, count in jobs]
    blocker.join()
    weights = dict(jobs)
    later = recorder.batches[1:]
    assert ["c"] in later  # heavier than a batch: alone
    assert all(sum(weights[t] for t in batch) <= 4 for batch in later if batch != ["c"])
    assert [t for batch in later for t in batch] == [text for text, _ in jobs]  # in arrival order


@pytest.mark.parametrize("weight", [0, -2, 1.5, True, None])
def test_a_weight_must_be_a_whole_number_of_at_least_one(weight: object) -> None:
    repeat = shared.batched(Recorder(), max_size=4, weight=lambda text, count: weight)
    with pytest.raises(ValueError, match="must return a whole number of at least 1"):
        repeat("x", 1)


def test_an_entry_point_takes_the_weight_of_its_batches() -> None:
    first = shared.batched(Recorder(), max_size=4, weight=lambda text, count: count)
    with pytest.raises(ValueError, match="weight belongs to the batches"):
        shared.batched(first, weight=lambda text, count: 1)


def test_the_batch_function_can_refuse_one_request_alone() -> None:
    def shout(texts: list[str]) -> list[object]:
        time.sleep(0.05)
        return [shared.InputError(f"{t!r} is empty after all") if not t.strip() else t.upper() for t in texts]

    upper = shared.batched(shout, max_size=8)
    with ThreadPoolExecutor(3) as pool:
        jobs = [pool.submit(upper, text) for text in ("one", "  ", "two")]
        assert jobs[0].result(timeout=5) == "ONE" and jobs[2].result(timeout=5) == "TWO"
        with pytest.raises(shared.InputError, match="is empty after all"):
            jobs[1].result(timeout=5)
    assert upper("three") == "THREE"


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "8"])
def test_max_size_must_be_a_whole_number_of_at_least_one(size: object) -> None:
    with pytest.raises(ValueError, match="max_size must be a whole number of at least 1"):
        shared.batched(lambda texts: texts, max_size=size)  # type: ignore[arg-type]


def test_each_request_is_checked_alone_before_it_joins_a_batch() -> None:
    recorder = Recorder(seconds=0.05)

    def check(text: object, count: object) -> tuple[str, int]:
        return shared.check_text(text), shared.check_whole_number(count, what="count", low=1, high=3)

    repeat = shared.batched(recorder, max_size=8, check=check)
    with ThreadPoolExecutor(4) as pool:
        good = [pool.submit(repeat, f" g{i} ", 2) for i in range(3)]
        bad = pool.submit(repeat, "b", 9)
        with pytest.raises(shared.InputError, match="count"):
            bad.result(timeout=5)
        assert [job.result(timeout=5) for job in good] == [f"g{i}" * 2 for i in range(3)]  # checked: stripped
    assert all("b" not in batch for batch in recorder.batches)
    assert list(inspect.signature(repeat).parameters) == ["text", "count"]  # what Gradio sees


def test_the_signature_is_one_request_s() -> None:
    def lengths(texts: list[str], counts: list[int]) -> list[int]:
        return [len(t) for t in texts]

    signature = inspect.signature(shared.batched(lengths, max_size=2))
    assert list(signature.parameters) == ["texts", "counts"]
    assert all(p.annotation is inspect.Parameter.empty for p in signature.parameters.values())


def test_the_page_lets_a_batch_s_worth_of_requests_wait(app_file) -> None:
    lengths = shared.batched(lambda texts: [len(t) for t in texts], max_size=12)
    with shared.page(app_file("Batched"), "A test page.", uses=[]) as demo:
        text = gr.Textbox()
        out = gr.Number()
        text.submit(lengths, inputs=text, outputs=out, api_name="lengths")
        text.change(len, inputs=text, outputs=out, api_name="plain")
    limits = {fn.api_name: fn.concurrency_limit for fn in demo.fns.values()}
    assert limits == {"lengths": 12, "plain": "default"}  # the page's default: one at a time


def test_through_the_page_concurrent_visitors_share_calls_and_a_bad_one_is_refused_alone(app_file) -> None:
    batches: list[list[str]] = []

    def upper(texts: list[str]) -> list[str]:
        batches.append(list(texts))
        time.sleep(0.2)
        return [t.upper() for t in texts]

    with shared.page(app_file("Batched page"), "A test page.", uses=[]) as demo:
        text = gr.Textbox()
        out = gr.Textbox()
        text.submit(shared.batched(upper, max_size=16, check=shared.check_text), text, out, api_name="upper")
    with running(demo) as url:
        client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
        jobs = [client.submit(f"v{i}", api_name="/upper") for i in range(12)]
        refused = client.submit(" ", api_name="/upper")  # blank: its check refuses it
        answers = [job.result(timeout=60) for job in jobs]
        with pytest.raises(Exception, match="Enter some text"):
            refused.result(timeout=60)
    assert answers == [f"V{i}" for i in range(12)]
    assert all(" " not in batch for batch in batches)  # it never reached a batch
    assert len(batches) < 12  # fewer calls than visitors


def test_two_entry_points_with_their_own_checks_feed_the_same_batches() -> None:
    recorder = Recorder(seconds=0.1)
    by_text = shared.batched(recorder, max_size=8, check=lambda text, count: (text.strip(), count))
    by_number = shared.batched(by_text, check=lambda number: (f"n{int(number)}", 1))
    assert by_number.max_size == 8 and list(inspect.signature(by_number).parameters) == ["number"]
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(by_text, "lead", 1)  # runs alone; the others gather meanwhile
        time.sleep(0.02)
        jobs = [pool.submit(by_text, f" t{i} ", 2) for i in range(2)] + [pool.submit(by_number, i) for i in range(3)]
        assert first.result(timeout=5) == "lead"
        assert [job.result(timeout=5) for job in jobs] == ["t0t0", "t1t1", "n0", "n1", "n2"]
    assert sorted(recorder.batches[1]) == ["n0", "n1", "n2", "t0", "t1"]  # one batch for both
    assert by_text.calls == by_number.calls == 2
