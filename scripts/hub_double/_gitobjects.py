"""Git object ids, so that the double's blob, tree and commit ids are the ones git would compute.

The Hub is a git server: a file's `oid` is its git blob id, a folder's is its git tree id and a
commit id is the sha1 of a git commit object. Computing them the same way keeps ETags, the
preupload "is this file unchanged?" check and commit ids honest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

LFS_POINTER_TEMPLATE = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"


def blob_id(content: bytes) -> str:
    """Return the git blob id (sha1 of `blob <len>\\0<content>`)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def lfs_pointer(oid: str, size: int) -> bytes:
    """Return the git-lfs pointer file that stands in the git tree for an LFS object."""
    return LFS_POINTER_TEMPLATE.format(oid=oid, size=size).encode()


def tree_ids(files: Mapping[str, str]) -> dict[str, str]:
    """Return the git tree id of every folder, `""` being the root.

    Args:
        files: Path in the repo → git blob id of every file.

    Returns:
        Folder path → git tree id, for the root and every folder that holds a file.
    """
    folders: dict[str, dict[str, tuple[str, str]]] = {"": {}}
    for path, oid in files.items():
        parent, _, name = path.rpartition("/")
        ancestor = parent
        while ancestor not in folders:
            folders[ancestor] = {}
            ancestor = ancestor.rpartition("/")[0]
        folders[parent][name] = ("100644", oid)

    ids: dict[str, str] = {}
    # Deepest folders first, so that every folder is hashed after its sub-folders.
    for folder in sorted(folders, key=lambda f: f.count("/") + 1 if f else 0, reverse=True):
        ids[folder] = _tree_object_id(folders[folder])
        if folder:
            parent, _, name = folder.rpartition("/")
            folders[parent][name] = ("40000", ids[folder])
    return ids


def _tree_object_id(entries: Mapping[str, tuple[str, str]]) -> str:
    # git sorts tree entries by name, with folders compared as if their name ended in "/".
    def sort_key(item: tuple[str, tuple[str, str]]) -> bytes:
        name, (mode, _) = item
        return (name + "/" if mode == "40000" else name).encode()

    body = b"".join(
        f"{mode} {name}".encode() + b"\0" + bytes.fromhex(oid)
        for name, (mode, oid) in sorted(entries.items(), key=sort_key)
    )
    return hashlib.sha1(b"tree %d\0" % len(body) + body, usedforsecurity=False).hexdigest()


def commit_id(*, tree: str, parents: list[str], author: str, timestamp: int, message: str) -> str:
    """Return the git commit id for these fields (author and committer are the same)."""
    email = f"{author}@users.noreply.local"
    lines = [f"tree {tree}"]
    lines += [f"parent {parent}" for parent in parents]
    lines += [f"author {author} <{email}> {timestamp} +0000", f"committer {author} <{email}> {timestamp} +0000"]
    body = ("\n".join(lines) + "\n\n" + message).encode()
    return hashlib.sha1(b"commit %d\0" % len(body) + body, usedforsecurity=False).hexdigest()
