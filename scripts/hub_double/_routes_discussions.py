"""Routes for discussions and pull requests (`refs/pr/N`)."""

from __future__ import annotations

import time
from typing import Any

from ._errors import (
    BadRequestError,
    NotFoundError,
    UnauthorizedError,
)
from ._handler import (
    REPO,
    TYPES,
    URL_PREFIX,
    BaseHandler,
    route,
    stable_id,
)
from ._storage import (
    AddFile,
    AddLfsFile,
    DeleteFile,
    Operation,
    RepoRecord,
    now_iso,
)


class DiscussionRoutes(BaseHandler):
    """list, open, read, merge and close discussions and pull requests."""

    # ------------------------------------------------------------------ discussions and pull requests

    @route("GET", rf"/api/{TYPES}/{REPO}/discussions")
    def list_discussions(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        discussions = self.config.storage.discussions(record)
        for key, field_name in (("type", None), ("status", "status"), ("author", None)):
            wanted = (self._query.get(key) or ["all"])[0]
            if wanted == "all":
                continue
            if key == "type":
                discussions = [d for d in discussions if d["isPullRequest"] == (wanted == "pull_request")]
            elif key == "author":
                discussions = [d for d in discussions if d["author"]["name"] == wanted]
            else:
                discussions = [d for d in discussions if d[field_name] == wanted]
        summaries = [
            {k: v for k, v in d.items() if k not in ("events", "changes", "filesWithConflicts")}
            for d in reversed(discussions)
        ]
        self._send_json(200, {"discussions": summaries, "count": len(summaries), "start": 0, "numClosedDiscussions": 0})

    @route("POST", rf"/api/{TYPES}/{REPO}/discussions")
    def create_discussion(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        account = self._account()
        if account is None:
            raise UnauthorizedError("You must be authenticated to open a discussion")
        body = self._json_body()
        title = str(body.get("title") or "").strip()
        if len(title) < 3:
            raise BadRequestError("A discussion title needs at least 3 characters")
        storage = self.config.storage
        pull_request = bool(body.get("pullRequest"))
        discussion = storage.add_discussion(
            record,
            new_discussion(
                record,
                None,
                title=title,
                description=body.get("description") or "",
                author=account.name,
                pull_request=pull_request,
                base="refs/heads/main",
            ),
        )
        if pull_request:
            storage.set_pr_ref(record, discussion["num"], storage.resolve(record, "main").id)
        self._send_json(
            200,
            {
                "num": discussion["num"],
                "url": f"{self.base_url}/{URL_PREFIX[record.type]}{record.id}/discussions/{discussion['num']}",
            },
        )

    @route("GET", rf"/api/{TYPES}/{REPO}/discussions/(?P<num>\d+)")
    def discussion_details(self, type: str, ns: str, name: str, num: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        discussion = self.config.storage.find_discussion(record, int(num))
        self._send_json(200, discussion)

    @route("POST", rf"/api/{TYPES}/{REPO}/discussions/(?P<num>\d+)/merge")
    def merge_pull_request(self, type: str, ns: str, name: str, num: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name, "merge a pull request")
        storage = self.config.storage
        discussion = storage.find_discussion(record, int(num))
        if not discussion["isPullRequest"] or discussion["status"] != "open":
            raise BadRequestError(f"#{num} is not an open pull request")
        pr_head = storage.resolve(record, f"refs/pr/{num}")
        main = storage.resolve(record, "main")
        operations: list[Operation] = [DeleteFile(p) for p in main.tree if p not in pr_head.tree]
        for path, entry in pr_head.tree.items():
            if main.tree.get(path) != entry:
                operations.append(
                    AddLfsFile(path, entry.lfs, entry.size)
                    if entry.lfs
                    else AddFile(path, storage.read_file(record, entry))
                )
        result = storage.commit(
            record,
            revision="main",
            operations=operations,
            title=f"Merge pull request #{num}: {discussion['title']}",
            author=account.name,
        )
        self._set_discussion(
            record, int(num), status="merged", changes={**discussion["changes"], "mergeCommitId": result.commit.id}
        )
        if result.created and record.type == "space":
            self._rebuild(record)
        self._send_json(200, {})

    @route("PATCH|POST", rf"/api/{TYPES}/{REPO}/discussions/(?P<num>\d+)/status")
    def change_discussion_status(self, type: str, ns: str, name: str, num: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "change a discussion status")
        status = self._json_body().get("status")
        if status not in ("open", "closed"):
            raise BadRequestError('status must be "open" or "closed"')
        discussion = self._set_discussion(record, int(num), status=status)
        self._send_json(
            200,
            {
                "newStatus": {
                    "id": stable_id(f"{num}{status}{time.time()}"),
                    "type": "status-change",
                    "createdAt": now_iso(),
                    "author": discussion["author"],
                    "data": {"status": status},
                }
            },
        )

    def _set_discussion(self, record: RepoRecord, num: int, **changes: Any) -> dict[str, Any]:
        storage = self.config.storage
        with storage.write_lock():
            discussions = storage.discussions(record)
            for discussion in discussions:
                if discussion["num"] == num:
                    discussion.update(changes)
                    storage.save_discussions(record, discussions)
                    return discussion
        raise NotFoundError(f"Discussion #{num} not found in {record.type}s/{record.id}")


def new_discussion(
    record: RepoRecord, num: int | None, *, title: str, description: str, author: str, pull_request: bool, base: str
) -> dict[str, Any]:
    created = now_iso()
    discussion: dict[str, Any] = {
        "title": title,
        "status": "open",
        "isPullRequest": pull_request,
        "author": {"name": author, "type": "user"},
        "createdAt": created,
        "repo": {"name": record.id, "type": record.type},
        "pinned": False,
        "numComments": 1,
        "events": [
            {
                "id": stable_id(f"{record.id}{title}{created}"),
                "type": "comment",
                "createdAt": created,
                "author": {"name": author, "type": "user"},
                "data": {
                    "edited": False,
                    "hidden": False,
                    "latest": {
                        "raw": description,
                        "html": description,
                        "updatedAt": created,
                        "author": {"name": author},
                    },
                    "numEdits": 0,
                    "editors": [author],
                    "reactions": [],
                    "identifiedLanguage": None,
                },
            }
        ],
        "changes": {"base": base} if pull_request else {},
        "filesWithConflicts": [],
    }
    if num is not None:
        discussion["num"] = num
    return discussion
