"""The suite's one layer over `huggingface_hub` for writing to the Hub: the deploy and the publish
flow both go through it.

Every request retries 429, 5xx and dropped connections with backoff inside `retrying_requests`;
a repo is read in one request (`read_remote`), compared file by file with the tree it should
hold (`diff`), changed in one commit that names its parent (`commit_changes`) and tagged without
ever moving a tag (`tag_commit`). Failures are one-line `HubRequestError`s.

Public surface (every `_module` is private):

    retrying_requests, RetryingTransport, RETRY_STATUSES      retries
    read_remote, diff, Remote, RemoteFile, FileChange, KEEP   reading and comparing a repo
    commit_changes, tags_of, tag_commit, files_at             writing and reading back
    git_blob_id                                               the id the Hub lists for a file
    HubRequestError, FrontMatterRejectedError, ParentMovedError,
    RevisionNotFoundError, hub_failure, rejected_front_matter errors
"""

from ._errors import (
    FrontMatterRejectedError,
    HubRequestError,
    ParentMovedError,
    RevisionNotFoundError,
    hub_failure,
    rejected_front_matter,
)
from ._repos import (
    KEEP,
    FileChange,
    Remote,
    RemoteFile,
    commit_changes,
    diff,
    files_at,
    git_blob_id,
    read_remote,
    tag_commit,
    tags_of,
)
from ._retries import RETRY_STATUSES, RetryingTransport, retrying_requests

__all__ = [
    "KEEP", "RETRY_STATUSES", "FileChange", "FrontMatterRejectedError", "HubRequestError", "ParentMovedError",
    "Remote", "RemoteFile", "RetryingTransport", "RevisionNotFoundError", "commit_changes", "diff", "files_at", "git_blob_id", "hub_failure",
    "read_remote", "rejected_front_matter", "retrying_requests", "tag_commit", "tags_of",
]  # fmt: skip
