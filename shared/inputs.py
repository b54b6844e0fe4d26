"""Checks of what a user sent, without Gradio: each returns the usable value or raises a one-line
`InputError` that names the limit (`shared.limits`). Raising `InputError` is the one way an app
refuses input; `shared.page` shows it to the user.
"""

from __future__ import annotations

from shared.errors import InputError
from shared.limits import MAX_TEXT_CHARS


def check_text(value: object, *, what: str = "text", max_chars: int = MAX_TEXT_CHARS) -> str:
    """`value` stripped, or an `InputError` saying why it cannot be used.

    Args:
        value: What the user (or an API client) sent.
        what: How to call the input in the message.
        max_chars: Longest accepted input.

    Raises:
        InputError: not a string, empty, only whitespace, longer than `max_chars`, or not valid
            Unicode (an unpaired surrogate, which JSON can carry and no tokenizer takes).
    """
    if value is None:
        raise InputError(f"Enter some {what} first.")
    if not isinstance(value, str):
        raise InputError(f"The {what} must be a string, not {type(value).__name__}.")
    if len(value) > max_chars:
        raise InputError(f"The {what} is {len(value):,} characters long; the limit is {max_chars:,}. Shorten it.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"The {what} holds characters that are not valid Unicode: send UTF-8 text.") from None
    text = value.strip()
    if not text:
        raise InputError(f"Enter some {what} first.")
    return text


def check_whole_number(value: object, *, what: str, low: int, high: int) -> int:
    """`value` as an int in `[low, high]`, or an `InputError` saying what is accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise InputError(f"The {what} must be a whole number from {low} to {high}, not {value!r}.")
    if not low <= value <= high:
        raise InputError(f"The {what} must be from {low} to {high}, not {int(value)}.")
    return int(value)
