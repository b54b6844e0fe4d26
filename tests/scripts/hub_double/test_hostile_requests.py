"""Requests a stranger could send the double: ids that try to leave the storage root, bodies that
are too large or unauthorised, and the edges where the double must behave like the Hub.

Crafted requests go through the real client's own HTTP session (`huggingface_hub.get_session`),
since the client's high-level API never builds them.
"""

from __future__ import annotations

import json
import socket
import urllib.parse

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, get_session
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError

from scripts.hub_double import MAX_DRAINED_BODY, MAX_JSON_BODY

SECRET_FILE_TEXT = "this must never leave the machine"


@pytest.fixture
def outside_file(local_hub, tmp_path_factory):
    """A file outside the double's storage root, with a content no answer may carry."""
    path = tmp_path_factory.mktemp("outside") / "secret.txt"
    path.write_text(SECRET_FILE_TEXT)
    return path


@pytest.fixture
def model_repo(hf_api, repo_id) -> str:
    hf_api.create_repo(repo_id)
    hf_api.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("folder/a.txt", b"a"),
            CommitOperationAdd("folder/sub/b.txt", b"b"),
            CommitOperationAdd("keep.txt", b"k"),
        ],
        commit_message="files",
    )
    return repo_id


def commit_payload(*lines: dict) -> bytes:
    header = {"key": "header", "value": {"summary": "hostile", "description": ""}}
    return "\n".join(json.dumps(line) for line in (header, *lines)).encode()


def post_commit(local_hub, token, repo_id, payload: bytes):
    return get_session().post(
        f"{local_hub.url}/api/models/{repo_id}/commit/main",
        content=payload,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
    )


@pytest.mark.parametrize("oid_of", [lambda path: str(path), lambda path: "../" * 12 + str(path).lstrip("/")])
def test_an_lfs_id_is_64_hex_characters_or_refused_before_anything_is_read(
    local_hub, hub_token, model_repo, outside_file, oid_of
):
    for path in ("README.md", "weights.bin"):  # README.md is read for validation before the commit
        payload = commit_payload(
            {"key": "lfsFile", "value": {"path": path, "algo": "sha256", "oid": oid_of(outside_file)}}
        )

        response = post_commit(local_hub, hub_token, model_repo, payload)

        assert response.status_code == 400
        assert "64 lowercase hex characters" in response.json()["error"]
        assert SECRET_FILE_TEXT not in response.text


def test_an_lfs_verify_with_a_path_for_an_id_is_refused(local_hub, hub_token, model_repo, outside_file):
    response = get_session().post(
        f"{local_hub.url}/{model_repo}.git/info/lfs/objects/verify",
        json={"oid": str(outside_file), "size": outside_file.stat().st_size},
        headers={"Authorization": f"Bearer {hub_token}"},
    )

    assert response.status_code == 400
    assert SECRET_FILE_TEXT not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/models/{dots}/{dots}/tree/main",
        "/api/models/{dots}/{dots}/revision/main",
        "/{dots}/{dots}/resolve/main/secret.txt",
        "/api/models/local-user/{dots}/refs",
        "/api/spaces/{dots}/{dots}/runtime",
    ],
)
def test_no_repo_id_from_a_request_leaves_the_storage_root(local_hub, hub_token, path):
    dots = urllib.parse.quote("..", safe="").replace(".", "%2E")

    response = get_session().get(
        local_hub.url + path.format(dots=dots), headers={"Authorization": f"Bearer {hub_token}"}
    )

    assert response.status_code == 404
    assert response.headers.get("X-Error-Code") in ("RepoNotFound", None)


def test_a_parent_commit_that_is_a_path_is_no_commit(local_hub, hub_token, model_repo, outside_file):
    header = {"summary": "x", "parentCommit": "../" * 12 + str(outside_file).lstrip("/").removesuffix(".txt")}
    payload = "\n".join(
        [
            json.dumps({"key": "header", "value": header}),
            json.dumps({"key": "file", "value": {"path": "x.txt", "content": "eA=="}}),
        ]
    ).encode()

    response = get_session().post(
        f"{local_hub.url}/api/models/{model_repo}/commit/main?create_pr=1",
        content=payload,
        headers={"Authorization": f"Bearer {hub_token}", "Content-Type": "application/x-ndjson"},
    )

    assert response.status_code == 404
    assert SECRET_FILE_TEXT not in response.text


def test_a_malformed_commit_line_is_a_400_not_a_500(local_hub, hub_token, model_repo):
    for line in ({"key": "file", "value": "x"}, {"key": "file", "value": {"path": "a", "content": "%%%"}}):
        response = post_commit(local_hub, hub_token, model_repo, commit_payload(line))
        assert response.status_code == 400, response.text


def raw_request(local_hub, request: bytes, *, body_prefix: bytes = b"") -> tuple[bytes, bool]:
    """Send a request head (and the first bytes of a body that is never sent whole); return the
    answer and whether the server closed the connection without waiting for the rest."""
    host, port = local_hub.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request + body_prefix)
        answer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                return answer, False
            if not chunk:
                return answer, True
            answer += chunk


def test_a_huge_body_without_a_token_to_an_unknown_route_is_never_read(local_hub):
    head = (
        b"POST /api/no/such/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 600000000\r\n\r\n"
    )

    answer, closed = raw_request(local_hub, head, body_prefix=b"\0" * 65536)

    assert answer.startswith(b"HTTP/1.1 404"), answer[:200]
    assert closed  # the remaining 599.9 MB were never read nor waited for


def test_a_bad_token_is_refused_before_its_body_is_read(local_hub):
    head = (
        b"POST /api/repos/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-a-token\r\n"
        b"Content-Type: application/json\r\nContent-Length: 600000000\r\n\r\n"
    )

    answer, closed = raw_request(local_hub, head, body_prefix=b"{")

    assert answer.startswith(b"HTTP/1.1 401") and closed


def test_a_json_body_over_the_limit_is_refused_by_its_declared_size(local_hub, hub_token):
    head = (
        f"POST /api/repos/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {hub_token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {MAX_JSON_BODY + 1}\r\n\r\n"
    ).encode()

    answer, closed = raw_request(local_hub, head, body_prefix=b"{")

    assert answer.startswith(b"HTTP/1.1 413") and closed
    assert f"at most {MAX_JSON_BODY:,}".encode() in answer


def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives(local_hub, hub_token):
    chunk = b"x" * (1 << 20)
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(MAX_JSON_BODY // len(chunk) + 1))
    head = (
        f"POST /api/repos/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {hub_token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()

    answer, _ = raw_request(local_hub, head, body_prefix=body)

    assert answer.startswith(b"HTTP/1.1 413")


def test_a_small_unread_body_is_drained_and_the_connection_kept(local_hub):
    host, port = local_hub.url.removeprefix("http://").split(":")
    body = b"x" * min(1000, MAX_DRAINED_BODY)
    head = f"POST /api/no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock, sock.makefile("rb") as answers:
        for _ in range(2):  # the same connection serves a second request
            sock.sendall(head + body)
            status = answers.readline()
            length = 0
            while (line := answers.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            answers.read(length)
            assert status.startswith(b"HTTP/1.1 404")


def test_move_refuses_the_repo_ids_create_refuses(hf_api, local_hub, hub_token, repo_id):
    hf_api.create_repo(repo_id)
    for target in (f"{local_hub.user}/bad--name", f"{local_hub.user}/-dash", f"{local_hub.user}/..", "../x"):
        response = get_session().post(
            f"{local_hub.url}/api/repos/move",
            json={"fromRepo": repo_id, "toRepo": target, "type": "model"},
            headers={"Authorization": f"Bearer {hub_token}"},
        )
        assert response.status_code == 400, target
        assert "Invalid repo name" in response.json()["error"]
    assert hf_api.repo_exists(repo_id)


def test_space_secrets_are_listed_without_their_values(hf_api, repo_id):
    hf_api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    hf_api.add_space_secret(repo_id, "API_KEY", "super-secret-value", description="The API key")
    hf_api.add_space_secret(repo_id, "OTHER", "another-value")

    secrets = hf_api.get_space_secrets(repo_id)

    assert sorted(secrets) == ["API_KEY", "OTHER"]
    assert secrets["API_KEY"].description == "The API key"
    assert secrets["API_KEY"].updated_at is not None
    raw = get_session().get(
        f"{hf_api.endpoint}/api/spaces/{repo_id}/secrets", headers={"Authorization": f"Bearer {hf_api.token}"}
    )
    assert "super-secret-value" not in raw.text and "another-value" not in raw.text


def test_space_secrets_are_listed_only_to_who_may_manage_the_space(
    hf_api, local_hub, repo_id, read_token, other_user_token
):
    from huggingface_hub import HfApi

    hf_api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    for token in (read_token, other_user_token):
        with pytest.raises(HfHubHTTPError) as error:
            HfApi(endpoint=local_hub.url, token=token).get_space_secrets(repo_id)
        assert error.value.response.status_code == 403
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=local_hub.url, token=False).get_space_secrets(f"{local_hub.user}/no-such-space")


def test_deleting_a_folder_named_like_a_file_deletes_the_folder(hf_api, model_repo):
    hf_api.create_commit(model_repo, operations=[CommitOperationDelete("folder")], commit_message="implicit")

    assert sorted(hf_api.list_repo_files(model_repo)) == [".gitattributes", "keep.txt"]
    with pytest.raises(EntryNotFoundError):
        hf_api.hf_hub_download(model_repo, "folder/a.txt")


def test_deleting_what_is_neither_file_nor_folder_is_still_refused(hf_api, model_repo):
    with pytest.raises(EntryNotFoundError):
        hf_api.create_commit(model_repo, operations=[CommitOperationDelete("fold")], commit_message="nothing")


def test_a_write_without_a_token_is_refused_before_its_body_is_read(local_hub, repo_id):
    head = (
        f"POST /api/models/{repo_id}/commit/main HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-ndjson\r\nContent-Length: 600000000\r\n\r\n"
    ).encode()

    answer, closed = raw_request(local_hub, head, body_prefix=b"{")

    assert answer.startswith(b"HTTP/1.1 401") and closed
