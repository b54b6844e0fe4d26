"""shared.chat pieces that need no model (prompts and streaming are tested through spaces/chat)."""

from __future__ import annotations

from shared import gpu_seconds_for_chat
from shared.chat import message_text

import pytest


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("hello", "hello"),
        ([{"type": "text", "text": "hel"}, {"type": "text", "text": "lo"}], "hello"),
        ({"type": "text", "text": "hello"}, "hello"),
        ({"path": "/tmp/cat.png"}, ""),  # a file carries no text for a text-only model
        ([{"type": "file", "file": {"path": "a.wav"}}, "hi"], "hi"),
        (None, ""),
    ],
)
def test_message_text_reads_every_shape_gradio_gives(content, text):
    assert message_text(content) == text


def test_gpu_time_follows_the_longest_answer_allowed():
    assert gpu_seconds_for_chat(16) == 6
    assert gpu_seconds_for_chat(1024) == 46
    assert gpu_seconds_for_chat(1024, tokens_per_second=200, start_seconds=2) == 8
