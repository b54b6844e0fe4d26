"""spaces/image-classification: top-5 ImageNet labels; bad files get a clear message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.spaces.conftest import assert_smoke_calls_pass, save_screenshot

DEMO = "image-classification"
SAMPLES = Path(__file__).resolve().parents[2] / "scripts" / "_publish" / "sample_images"


def test_top_five_labels_with_probabilities(app):
    result = app.client.predict(handle_file(SAMPLES / "cat.jpg"), api_name="/classify")

    confidences = result["confidences"]
    assert len(confidences) == 5
    values = [c["confidence"] for c in confidences]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 1 for v in values)
    labels = app.module.model.config.id2label
    assert len(labels) == 1000 and {c["label"] for c in confidences} <= set(labels.values())


def test_examples_come_from_the_pinned_dataset(app):
    assert len(app.module.examples) == len(list(SAMPLES.glob("*.jpg")))


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    from PIL import Image

    folder = tmp_path_factory.mktemp("bad-images")
    png = folder / "ok.png"
    Image.new("RGB", (64, 64), "red").save(png)
    data = png.read_bytes()
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])
    (folder / "text.png").write_text("not an image")
    (folder / "notes.txt").write_text("hello")
    Image.new("L", (8000, 6000)).save(folder / "huge.png")  # 48 megapixels, small on disk
    return {p.name: p for p in folder.iterdir()}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.png", "The image is corrupt or truncated"),
        ("text.png", "That file is not an image this app can read"),
        ("notes.txt", "That file is not an image this app can read"),
        ("huge.png", "The image is 8,000×6,000 pixels; the limit is 40 megapixels."),
    ],
)
def test_bad_files_get_a_clear_message_and_the_app_keeps_serving(app, bad_files, name, message):
    with pytest.raises(AppError, match=re.escape(message)):
        app.client.predict(handle_file(bad_files[name]), api_name="/classify")
    assert len(app.client.predict(handle_file(bad_files["ok.png"]), api_name="/classify")["confidences"]) == 5


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("hello", "Expected an image file, got str"),
        (5, "Expected an image file, got int"),
        (None, "Upload an image first."),
    ],
)
def test_wrong_types_get_a_clear_message(app, bad, message):
    with pytest.raises(AppError, match=re.escape(message)):
        app.client.predict(bad, api_name="/classify")


def test_no_stub_file_is_written_next_to_shared():
    # Gradio writes a .pyi beside any Component subclass; shared must not trigger that in a Space.
    assert not list((Path(__file__).resolve().parents[2] / "shared").glob("*.pyi"))


@pytest.mark.browser
def test_page_example_and_prediction_in_the_browser(app, page):
    from playwright.sync_api import expect

    page.goto(app.url)
    page.locator("button.gallery-item").first.click()
    page.get_by_role("button", name="Classify").click()
    expect(page.locator(".output-class")).not_to_be_empty(timeout=30_000)
    expect(page.locator("[data-testid='label-output-value'] .confidence-set, .confidence-set")).to_have_count(5)
    save_screenshot(page, DEMO)


def test_its_smoke_calls_pass(app):
    assert_smoke_calls_pass(app, DEMO)


def test_concurrent_visitors_share_forward_passes_and_each_gets_its_own_labels(app):
    images = sorted(SAMPLES.glob("*.jpg"))
    alone = {image.name: app.client.predict(handle_file(image), api_name="/classify") for image in images}
    calls_before = app.module.classify.calls
    jobs = [(image, app.client.submit(handle_file(image), api_name="/classify")) for image in images * 3]
    together = [(image, job.result(timeout=120)) for image, job in jobs]
    calls = app.module.classify.calls - calls_before
    assert calls < len(jobs), f"each of {len(jobs)} requests ran a forward pass of its own"
    for image, result in together:  # its own image's answer, as when it ran alone
        expected = {c["label"]: c["confidence"] for c in alone[image.name]["confidences"]}
        got = {c["label"]: c["confidence"] for c in result["confidences"]}
        shared_labels = got.keys() & expected.keys()  # near-ties may swap at the edge (stand-in weights)
        assert len(shared_labels) >= 4, (image.name, got, expected)
        assert all(got[label] == pytest.approx(expected[label], rel=0.05) for label in shared_labels)
