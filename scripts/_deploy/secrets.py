"""The secret scan: nothing that looks like a credential leaves this machine in a Space.

A Space's files (and its public variables) are read the way a leak hides in them: as written;
with the escapes of JSON and string literals (`\\n`, `\\u0068`…) decoded, as in a notebook's
JSON; with adjacent or `+`-joined string literals joined; as UTF-16 (every other byte NUL); and
base64-decoded where a long base64 run appears. File names are scanned too. Every refusal names
the kind of secret and where, never the secret itself (nor a file name that holds one).
"""

from __future__ import annotations

import ast
import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence

from scripts._deploy.errors import RefusedError
from scripts._deploy.sources import parse_python, where

# Token shapes. A token may follow any character that cannot be part of it (`_`, `-`, an escape's
# letter once decoded, a quote…), so the boundary is "no letter or digit before", not `\b`.
_EDGE = rb"(?<![A-Za-z0-9])"
_PATTERNS = [
    (re.compile(_EDGE + rb"hf_[A-Za-z0-9]{30,}"), "a Hugging Face token (hf_…)"),
    (re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"), "a private key"),
    (re.compile(_EDGE + rb"gh[pousr]_[A-Za-z0-9]{36,}"), "a GitHub token"),
    (re.compile(_EDGE + rb"github_pat_[A-Za-z0-9_]{40,}"), "a GitHub token"),
    (re.compile(_EDGE + rb"AKIA[0-9A-Z]{16}(?![0-9A-Z])"), "an AWS access key"),
    (re.compile(rb"(?<![A-Za-z0-9_-])sk-(?:proj-)?[A-Za-z0-9_-]{32,}"), "an API secret key (sk-…)"),
]
# Files that hold credentials by their nature, wherever they sit in the bundle.
_SECRET_FILES = re.compile(
    r"(^|/)(\.env(\..*)?|\.envrc|\.netrc|\.npmrc|\.pypirc|\.pgpass|\.git-credentials|\.dockercfg|"
    r"secrets\.toml|credentials(\.json)?|id_(rsa|dsa|ecdsa|ed25519)|.*\.(pem|key|p12|pfx|jks|keystore))$"
)
# Names of settings that hold secrets: never accepted as public Space variables.
SECRET_NAME = re.compile(
    r"(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|API_?KEY|ACCESS_KEY|PRIVATE_KEY)S?($|_)",
    re.IGNORECASE,
)

_ESCAPE = re.compile(rb"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[nrtbf\"'\\/])")
_SIMPLE_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
# The end of one string literal and the start of the next: "hf_abc" "def", 'hf_abc' + 'def'.
_LITERAL_JOIN = re.compile(rb"[\"']\s*(?:\+\s*)?[rbfuRBFU]{0,2}[\"']")
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


def check_bundle(name: str, files: Mapping[str, bytes], forbidden: Sequence[str] = ()) -> None:
    """Refuse a bundle holding anything that looks like a secret, in a file or in a file's name.

    Args:
        name: The demo (for the message).
        files: Path in the Space → content.
        forbidden: Strings that must appear nowhere (the token in use).

    Raises:
        RefusedError: names the file (unless its name is the leak) and the kind of secret.
    """
    for path, content in files.items():
        found = secret_in(path.encode(), forbidden)
        if found:
            raise RefusedError(f"a file name in spaces/{name} holds what looks like {found}: rename it")
        if _SECRET_FILES.search(path):
            raise RefusedError(f"{where(name, path)} looks like a secrets file: remove it (use Space secrets)")
        found = secret_in(content, forbidden, python=path.endswith(".py"))
        if found:
            raise RefusedError(f"{where(name, path)} {_contains(found)}: remove it")


def check_variables(name: str, variables: Mapping[str, str | None], forbidden: Sequence[str] = ()) -> None:
    """Refuse Space variables (public on the Hub) that are secrets by name or by value.

    Raises:
        RefusedError: names the variable, never its value.
    """
    for key, value in variables.items():
        if SECRET_NAME.search(key):
            raise RefusedError(
                f"spaces/{name}: variable {key} is named like a secret and Space variables are public: "
                f"declare it under secrets in space.yaml"
            )
        found = secret_in((value or "").encode(), forbidden)
        if found:
            raise RefusedError(
                f"spaces/{name}: variable {key} {_contains(found)}, and Space variables are public: make it a secret"
            )


def secret_in(data: bytes, forbidden: Sequence[str] = (), *, python: bool = False) -> str | None:
    """What kind of secret `data` holds in any of the forms it may hide in, or None."""
    needles = [s.encode() for s in forbidden if s]
    for view in _views(data, python=python):
        for secret in needles:
            if secret in view:
                return "the token in use"
        for pattern, what in _PATTERNS:
            if pattern.search(view):
                return what
    return None


def _contains(found: str) -> str:
    return "contains the token in use" if found == "the token in use" else f"contains what looks like {found}"


def _views(data: bytes, *, python: bool) -> Iterator[bytes]:
    yield data
    unescaped = _ESCAPE.sub(_unescape, data) if b"\\" in data else data
    if unescaped is not data:
        yield unescaped
    joined = _LITERAL_JOIN.sub(b"", unescaped)
    if joined != unescaped:
        yield joined
    if python:
        yield from _python_strings(data)
    if b"\0" in data:  # UTF-16 (either byte order) of ASCII text
        yield data.replace(b"\0", b"")
    for run in _BASE64_RUN.finditer(data):
        decoded = _base64(run.group())
        if decoded:
            yield decoded
            if b"\0" in decoded:
                yield decoded.replace(b"\0", b"")


def _unescape(match: re.Match[bytes]) -> bytes:
    escape = match.group(1)
    if escape[:1] in (b"u", b"x"):
        return chr(int(escape[1:], 16)).encode("utf-8", "surrogatepass")
    return _SIMPLE_ESCAPES.get(escape, escape)


def _python_strings(data: bytes) -> Iterator[bytes]:
    """Every string a Python file builds from constants (`"a" + "b"`, f-strings of constants)."""
    try:
        tree = parse_python(data.decode("utf-8", "replace"))
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            text = _constant_text(node)
            if text:
                yield text.encode("utf-8", "surrogatepass")
        elif isinstance(node, ast.JoinedStr):
            yield "".join(
                v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ).encode("utf-8", "surrogatepass")


def _constant_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant_text(node.left), _constant_text(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _base64(run: bytes) -> bytes | None:
    text = run.rstrip(b"=").replace(b"-", b"+").replace(b"_", b"/")
    text += b"=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
