"""spaces/digits: our own PyTorch model at its pinned revision; drawings read the way training data was made."""

from __future__ import annotations

import json
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import shared

import numpy as np
import pytest
import yaml
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageDraw

from tests.harness.apps import load_app, running
from tests.spaces.conftest import assert_smoke_calls_pass, save_screenshot

DEMO = "digits"


def best(scores: dict) -> str:
    return (
        max(scores["confidences"], key=lambda c: c["confidence"])["label"]
        if "confidences" in scores
        else max(scores, key=scores.get)
    )


def drawing(tmp_path: Path, name: str, shape: str, *, size=(400, 400), width=12) -> Path:
    image = Image.new("RGB", size, "white")
    pen = ImageDraw.Draw(image)
    w, h = size
    if shape == "seven":
        pen.line([(w * 0.25, h * 0.2), (w * 0.75, h * 0.2), (w * 0.42, h * 0.82)], fill="black", width=width)
    elif shape == "one":
        pen.line([(w * 0.5, h * 0.15), (w * 0.5, h * 0.85)], fill="black", width=width)
    elif shape == "zero":
        pen.ellipse([(w * 0.3, h * 0.15), (w * 0.7, h * 0.85)], outline="black", width=width)
    elif shape == "black":
        pen.rectangle([(0, 0), size], fill="black")
    path = tmp_path / f"{name}.png"
    image.save(path)
    return path


def sketch(path: Path) -> dict:
    return {"background": None, "layers": [], "composite": handle_file(path)}


def test_the_apps_path_over_the_held_out_split_reaches_the_carded_accuracy(app):
    module = app.module
    with ThreadPoolExecutor(32) as pool:  # as concurrent visitors: in shared batches
        read = list(pool.map(module.read_example, range(len(module.grids))))
    hits = [best(scores) == str(module.labels[i]) for i, (scores, _) in enumerate(read)]
    card = (shared.fetch("digits-model") / "README.md").read_text()
    carded = yaml.safe_load(card.split("---")[1])["model-index"][0]["results"][0]["metrics"][0]["value"]

    assert round(float(np.mean(hits)), 4) == carded >= 0.95
    assert len(module.grids) == 360
    assert module.read_drawing.calls < 360 / 2  # batches, not one forward pass each


def test_a_held_out_example_through_the_api(app):
    scores, seen = app.client.predict(7, api_name="/read_example")
    truth = app.client.predict(7, api_name="/example_label")

    assert len(scores["confidences"]) == 10
    assert truth == f"Labelled {app.module.labels[7]} in the dataset."
    assert scores["label"] == str(app.module.labels[7])
    assert seen["url"] and app.module.read_example(7)[1].shape == (160, 160)


@pytest.mark.parametrize(
    ("shape", "expected", "size", "width"),
    [
        ("seven", "7", (400, 400), 12),
        ("one", "1", (400, 400), 4),
        ("zero", "0", (400, 400), 30),
        ("seven", "7", (37, 23), 2),  # a tiny canvas of another shape
        ("one", "1", (1200, 900), 10),
    ],
)
def test_drawings_of_any_size_and_stroke_are_read(app, tmp_path, shape, expected, size, width):
    scores, _ = app.client.predict(sketch(drawing(tmp_path, shape, shape, size=size, width=width)),
                                   api_name="/read_drawing")  # fmt: skip
    assert scores["label"] == expected


@pytest.mark.parametrize(
    ("shape", "message"),
    [("blank", "The canvas is blank: draw a digit first."), ("black", "The canvas is mostly ink: clear it and draw")],
)
def test_bad_drawings_get_a_clear_message_and_the_app_keeps_serving(app, tmp_path, shape, message):
    with pytest.raises(AppError, match=re.escape(message)):
        app.client.predict(sketch(drawing(tmp_path, shape, shape)), api_name="/read_drawing")
    assert app.client.predict(7, api_name="/read_example")[0]["label"]


def test_no_drawing_at_all(app):
    with pytest.raises(AppError, match=re.escape("Draw a digit first.")):
        app.client.predict(None, api_name="/read_drawing")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (-1, "Value -1 is less than minimum value 0."),
        (360, "Value 360 is greater than maximum value 359."),
        (2.5, "The example number must be a whole number from 0 to 359, not 2.5."),
    ],
)
def test_example_numbers_out_of_range(app, number, message):
    with pytest.raises(AppError, match=re.escape(message)):
        app.client.predict(number, api_name="/read_example")


@pytest.mark.browser
def test_draw_and_read_in_the_browser(app, page):
    from playwright.sync_api import expect

    page.goto(app.url)
    page.get_by_role("button", name="Brush").click()
    canvas = page.locator("canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.35, y + h * 0.25)
    page.mouse.down()
    for px, py in [(0.65, 0.25), (0.45, 0.8)]:
        page.mouse.move(x + w * px, y + h * py, steps=12)
    page.mouse.up()
    page.get_by_role("button", name="Read the drawing").click()
    expect(page.locator(".output-class")).not_to_be_empty(timeout=30_000)
    save_screenshot(page, DEMO)


def test_a_huge_canvas_is_refused_from_its_header(app, tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("L", (8_000, 6_000), 255).save(huge)  # 48 megapixels, small on disk

    with pytest.raises(AppError, match=re.escape("The image is 8,000×6,000 pixels; the limit is 40 megapixels.")):
        app.client.predict(sketch(huge), api_name="/read_drawing")


def test_background_and_layers_are_never_decoded(app, tmp_path):
    """Only the composite is read: a client cannot make the app decode a thousand layers."""
    seven = handle_file(drawing(tmp_path, "seven", "seven"))
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG not really")
    many = {"background": handle_file(corrupt), "layers": [handle_file(corrupt)] * 1_000, "composite": seven}

    scores, _ = app.client.predict(many, api_name="/read_drawing")

    assert scores["label"] == "7"


def test_canvases_sent_but_never_submitted_are_bounded(app):
    import io
    from types import SimpleNamespace

    from shared.ui import MAX_DRAWING_LAYERS, MAX_PENDING_DRAWINGS

    component = app.module.sketch
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 40)).save(buffer, format="PNG")
    png = buffer.getvalue()
    for number in range(MAX_PENDING_DRAWINGS + 10):
        component.accept_blobs(
            SimpleNamespace(data={"type": "composite", "index": None, "id": f"x{number}"}, files=[("c", png)])
        )
    assert len(component.blob_storage) <= MAX_PENDING_DRAWINGS
    with pytest.raises(Exception, match=f"at most {MAX_DRAWING_LAYERS} layers"):
        component.accept_blobs(
            SimpleNamespace(data={"type": "layer", "index": "1000000000", "id": "y"}, files=[("c", png)])
        )
    component.blob_storage.clear()


def comparison_records(app) -> list[dict]:
    log = app.module.demo.feedback_log
    return [r for r in map(json.loads, log.file.read_text().splitlines()) if r["kind"] == "comparison"]


def revealed(thanks: str) -> list[str]:
    """Which version A and B were, from the line the page shows after the choice."""
    return ["candidate" if "the candidate" in part else "baseline" for part in thanks.split(";")]


def test_the_compare_tab_reads_one_drawing_with_both_versions_blind_and_keeps_the_choice(app, tmp_path):
    baseline, candidate = shared.entry("digits-model"), shared.entry("digits-model@candidate")
    assert baseline.repo_id == candidate.repo_id and baseline.revision != candidate.revision
    seven = sketch(drawing(tmp_path, "seven", "seven"))
    grid = app.module.grid_of({"composite": Image.open(drawing(tmp_path, "seven2", "seven"))})
    by_version = {v: app.module.scores(grid, v) for v in ("digits-model", "digits-model@candidate")}
    assert by_version["digits-model"] != by_version["digits-model@candidate"]  # retrained: other weights

    orders = set()
    for _ in range(12):  # the order is drawn per request: both orders come up
        a, b, _ = app.client.predict(seven, api_name="/compare_read_drawing")
        thanks = app.client.predict("", api_name="/compare_read_drawing_a")[-1]
        order = revealed(thanks)
        orders.add(tuple(order))
        for side, version in zip((a, b), order, strict=True):
            name = "digits-model" if version == "baseline" else "digits-model@candidate"
            expected = max(by_version[name], key=by_version[name].get)
            assert side["label"] == expected
        assert comparison_records(app)[-1]["verdict"] == order[0]  # "A is better": the version A was
    assert orders == {("baseline", "candidate"), ("candidate", "baseline")}

    [record, *_] = comparison_records(app)
    assert record["endpoint"] == "read_drawing"
    assert record["compared"] == [
        {"name": "digits-model", "repo": baseline.repo_id, "revision": baseline.revision},
        {"name": "digits-model@candidate", "repo": candidate.repo_id, "revision": candidate.revision},
    ]
    assert "sha256" in record["input"] and "confidences" not in record["input"]


def test_a_choice_needs_a_comparison_and_counts_once(app, tmp_path):
    with pytest.raises(AppError, match=re.escape("Compare first (and wait for both answers), then choose.")):
        app.client.predict("", api_name="/compare_read_drawing_same")
    app.client.predict(sketch(drawing(tmp_path, "one", "one", width=4)), api_name="/compare_read_drawing")
    before = len(comparison_records(app))
    assert app.client.predict("both fine", api_name="/compare_read_drawing_same")[-1].startswith("Thank you")
    with pytest.raises(AppError, match="Compare first"):
        app.client.predict("", api_name="/compare_read_drawing_both_bad")
    [record] = comparison_records(app)[before:]
    assert (record["verdict"], record["comment"]) == ("same", "both fine")


def test_a_bad_drawing_is_refused_on_the_compare_tab_too(app, tmp_path):
    with pytest.raises(AppError, match=re.escape("The canvas is blank: draw a digit first.")):
        app.client.predict(sketch(drawing(tmp_path, "blank", "blank")), api_name="/compare_read_drawing")


@pytest.fixture(scope="module")
def app_keeping_feedback_on_the_hub(sandbox, tmp_path_factory):
    """The demo as deployed: its feedback log, in a folder of its own, pushes to a private dataset
    of the local Hub."""
    repo = f"{sandbox.user}/suite-feedback-{uuid.uuid4().hex[:6]}"
    settings = {
        "SUITE_FEEDBACK_REPO": repo,
        "SUITE_FEEDBACK_TOKEN": sandbox.token,
        "SUITE_FEEDBACK_DIR": str(tmp_path_factory.mktemp("feedback")),
    }
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        module = load_app(DEMO)
    finally:
        for name, value in before.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    with running(module.demo) as url:
        yield module, url, repo
    module.demo.feedback_log.close()


def draw_seven(page, scope) -> None:
    """A 7 in the middle of the canvas (the editor centres its square canvas in a wider area)."""
    scope.get_by_role("button", name="Brush").click()
    box = scope.locator("canvas:visible").first.bounding_box()
    side = min(box["width"], box["height"]) * 0.6
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
    page.mouse.move(left + side * 0.2, top + side * 0.15)
    page.mouse.down()
    for px, py in [(0.8, 0.15), (0.4, 0.9)]:
        page.mouse.move(left + side * px, top + side * py, steps=12)
    page.mouse.up()


@pytest.mark.browser
def test_a_thumb_and_a_blind_choice_in_the_browser_reach_the_hub_with_their_pins(
    app_keeping_feedback_on_the_hub, page, hf_api
):
    import datasets
    from playwright.sync_api import expect

    module, url, repo = app_keeping_feedback_on_the_hub
    page.goto(url)
    expect(page.get_by_text(f"goes to the private dataset {repo} on the Hub")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Held-out examples").click()
    page.get_by_role("button", name="Read the example").click()
    expect(page.get_by_text(f"Labelled {module.labels[0]} in the dataset.")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="👍").click()
    expect(page.get_by_text("Thank you: 👍 recorded.")).to_be_visible()

    page.get_by_role("tab", name="Compare versions").click()
    compare = page.locator("#suite-compare")
    draw_seven(page, compare)
    compare.get_by_role("button", name="Compare", exact=True).click()
    expect(compare.locator(".output-class")).to_have_count(2, timeout=30_000)
    expect(compare.locator(".output-class").nth(1)).not_to_be_empty(timeout=30_000)
    compare.get_by_role("button", name="B is better").click()
    expect(compare.get_by_text("Thank you: recorded.")).to_be_visible(timeout=30_000)
    save_screenshot(page, "digits-compare")

    commit = module.demo.feedback_log.push()  # what the scheduler does every few minutes
    assert commit is not None
    head = hf_api.dataset_info(repo).sha
    assert hf_api.dataset_info(repo).private
    rows = list(datasets.load_dataset(repo, revision=head, split="train", token=hf_api.token))
    verdict, comparison = sorted(rows, key=lambda r: r["kind"], reverse=True)
    pins = {p["name"]: (p["repo"], p["revision"]) for p in verdict["pins"]}
    for name in ("digits-model", "digits-model@candidate", "digits-data"):
        pinned = shared.entry(name)
        assert pins[name] == (pinned.repo_id, pinned.revision)
    assert (verdict["kind"], verdict["verdict"], verdict["endpoint"]) == ("verdict", "up", "read")
    assert (comparison["kind"], comparison["endpoint"]) == ("comparison", "read_drawing")
    assert comparison["verdict"] in ("baseline", "candidate")
    assert [p["name"] for p in comparison["compared"]] == ["digits-model", "digits-model@candidate"]
    assert comparison["pins"] == verdict["pins"]


def test_its_smoke_calls_pass(app):
    assert_smoke_calls_pass(app, DEMO)
