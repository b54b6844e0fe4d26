"""Routes for identity, repo lifecycle, repo info and listings, refs, branches and tags."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from . import _cards as cards
from . import _spaces as spaces
from ._errors import (
    BadRequestError,
    ConflictError,
    EntryNotFoundError,
    UnauthorizedError,
)
from ._handler import (
    INVALID_CREDENTIALS,
    REPO,
    TYPES,
    URL_PREFIX,
    BaseHandler,
    header_safe,
    route,
    stable_id,
)
from ._routes_spaces import secret_key, secret_record, variable_record
from ._storage import (
    REPO_TYPES,
    AddFile,
    AddLfsFile,
    Commit,
    FileEntry,
    Operation,
    RepoRecord,
    check_repo_id,
)


class RepoRoutes(BaseHandler):
    """whoami, validate-yaml, create/delete/move/settings, info, tree, paths-info, refs, commits, tags, branches."""

    # ------------------------------------------------------------------ identity and metadata

    @route("GET", r"/api/whoami-v2")
    def whoami(self) -> None:
        account = self._account()
        if account is None:
            raise UnauthorizedError(INVALID_CREDENTIALS)
        self._send_json(
            200,
            {
                "type": "user",
                "id": stable_id(account.name),
                "name": account.name,
                "fullname": account.name,
                "isPro": False,
                "orgs": [{"type": "org", "name": org, "fullname": org, "roleInOrg": "write"} for org in account.orgs],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "local-hub", "role": "write" if account.can_write else "read"},
                },
            },
        )

    @route("GET", r"/api/agent-harnesses")
    def agent_harnesses(self) -> None:
        self._send_json(200, {"standardEnvVars": [], "harnesses": {}})

    @route("HEAD|GET|POST", r"/api/telemetry/.*", anonymous=True)
    def telemetry(self) -> None:
        self._send_json(200, {})

    @route("POST", r"/api/validate-yaml", anonymous=True)
    def validate_yaml(self) -> None:
        body = self._json_body()
        content, repo_type = body.get("content"), body.get("repoType", "model")
        if not isinstance(content, str) or repo_type not in REPO_TYPES:
            raise BadRequestError('Expected {"content": <README text>, "repoType": "model" | "dataset" | "space"}')
        errors, warnings = cards.validate(content, repo_type)
        payload = {"errors": [{"message": e} for e in errors], "warnings": [{"message": w} for w in warnings]}
        if errors:
            payload["error"] = "Invalid metadata in README.md: " + "; ".join(errors)
            self._send_json(400, payload, headers={"X-Error-Message": header_safe(payload["error"])})
        else:
            self._send_json(200, payload)

    # ------------------------------------------------------------------ repo lifecycle

    @route("POST", r"/api/repos/create")
    def create_repo(self) -> None:
        account = self._account()
        if account is None:
            raise UnauthorizedError("You must be authenticated with a write token to create a repo")
        body = self._json_body()
        repo_type = body.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise BadRequestError(f"Invalid repo type {repo_type!r}: expected model, dataset or space")
        namespace = body.get("organization") or account.name
        name = body.get("name") or ""
        repo_id = f"{namespace}/{name}"
        url = f"{self.base_url}/{URL_PREFIX[repo_type]}{repo_id}"
        storage = self.config.storage
        if storage.exists(repo_type, repo_id):
            record = storage.repo(repo_type, repo_id)
            if not record.private or account.member_of(namespace):
                self._send_json(409, {"error": f"You already created this {repo_type} repo", "url": url})
                return
        self._writer(namespace, f"create a {repo_type}")
        private = body.get("visibility", "public") == "private" or bool(body.get("private"))
        space: dict[str, Any] = {}
        initial_files: dict[str, bytes] = {}
        if repo_type == "space":
            space, initial_files = self._new_space_settings(body, name)
        try:
            storage.create_repo(
                repo_type=repo_type, repo_id=repo_id, author=account.name, private=private, space=space,
                initial_files=initial_files,
            )  # fmt: skip
        except ConflictError:  # created by a concurrent request since the check above
            self._send_json(409, {"error": f"You already created this {repo_type} repo", "url": url})
            return
        if repo_type == "space":
            self._rebuild(storage.repo("space", repo_id))
        self._send_json(200, {"url": url, "name": repo_id, "id": stable_id(repo_id)})

    def _new_space_settings(self, body: dict[str, Any], name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        sdk = body.get("sdk")
        if sdk not in cards.SPACE_SDKS:
            raise BadRequestError(f"Invalid Space sdk {sdk!r}: expected one of {', '.join(cards.SPACE_SDKS)}")
        hardware = body.get("hardware") or "cpu-basic"
        if hardware not in spaces.SPACE_HARDWARE:
            raise BadRequestError(
                f"Invalid Space hardware {hardware!r}: expected one of {', '.join(spaces.SPACE_HARDWARE)}"
            )
        space: dict[str, Any] = {
            "sdk": sdk,
            "hardware": hardware,
            "sleep_time": body.get("sleepTimeSeconds"),
            "secrets": {},
            "variables": {},
            "paused": False,
        }
        for item in body.get("secrets") or []:
            space["secrets"][secret_key(item)] = secret_record(item)
        for item in body.get("variables") or []:
            space["variables"][secret_key(item)] = variable_record(item)
        readme = (
            f"---\ntitle: {name}\nemoji: 🚀\ncolorFrom: blue\ncolorTo: purple\nsdk: {sdk}\n"
            + ("app_file: app.py\n" if sdk == "gradio" else "")
            + "pinned: false\n---\n\nCheck out the configuration reference at "
            "https://huggingface.co/docs/hub/spaces-config-reference\n"
        )
        return space, {"README.md": readme.encode()}

    @route("DELETE", r"/api/repos/delete")
    def delete_repo(self) -> None:
        body = self._json_body()
        repo_type = body.get("type") or "model"
        account = self._account()
        namespace = body.get("organization") or (account.name if account else "")
        repo_id = f"{namespace}/{body.get('name')}"
        self._writable_repo(repo_type, *repo_id.split("/", 1), what=f"delete a {repo_type}")
        self.config.storage.delete_repo(repo_type, repo_id)
        self._send_json(200, {})

    @route("POST", r"/api/repos/move")
    def move_repo(self) -> None:
        body = self._json_body()
        repo_type = body.get("type") or "model"
        from_id, to_id = str(body.get("fromRepo", "")), str(body.get("toRepo", ""))
        if from_id.count("/") != 1 or to_id.count("/") != 1:
            raise BadRequestError("fromRepo and toRepo must be namespace/name")
        check_repo_id(to_id)  # the rules of create
        self._writable_repo(repo_type, *from_id.split("/"), what=f"move a {repo_type}")
        self._writer(to_id.split("/")[0], f"move a {repo_type}")
        self.config.storage.move_repo(repo_type, from_id, to_id)
        self._send_json(200, {})

    @route("PUT", rf"/api/{TYPES}/{REPO}/settings")
    def update_settings(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "change the settings of this repo")
        body = self._json_body()
        if "private" in body:
            record.private = bool(body["private"])
        if "visibility" in body:
            record.private = body["visibility"] == "private"
        if "gated" in body:
            if body["gated"] not in ("auto", "manual", False):
                raise BadRequestError('"gated" must be "auto", "manual" or false')
            record.gated = body["gated"]
        self.config.storage.save_repo(record)
        self._send_json(200, {})

    @route("POST", rf"/api/{TYPES}/{REPO}/user-access-request/grant")
    def grant_access(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "grant access to this repo")
        user = self._json_body().get("user")
        if not isinstance(user, str) or not user:
            raise BadRequestError('Expected {"user": <user name>}')
        if user not in record.granted_users:
            record.granted_users.append(user)
            self.config.storage.save_repo(record)
        self._send_json(200, {})

    @route("POST", rf"/api/{TYPES}/{REPO}/duplicate")
    def duplicate_repo(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        repo_type = type[:-1]
        source = self._visible_repo(repo_type, ns, name)
        body = self._json_body()
        to_id = str(body.get("repository", ""))
        if to_id.count("/") != 1:
            raise BadRequestError('Expected {"repository": "namespace/name"}')
        check_repo_id(to_id)
        account = self._writer(to_id.split("/")[0], f"create a {repo_type}")
        storage = self.config.storage
        head = storage.resolve(source, "main")
        space = (
            dict(source.space, secrets={}, variables=dict(source.space.get("variables", {}))) if source.space else {}
        )
        if repo_type == "space" and body.get("hardware"):
            space["hardware"] = body["hardware"]
        private = body.get("private", source.private)
        storage.create_repo(repo_type=repo_type, repo_id=to_id, author=account.name, private=bool(private), space=space)
        target = storage.repo(repo_type, to_id)
        operations: list[Operation] = []
        for path, entry in head.tree.items():
            if entry.lfs:
                with open(storage.blob_path(source, entry), "rb") as stream:
                    storage.store_lfs(target, entry.lfs, entry.size, stream)
                operations.append(AddLfsFile(path, entry.lfs, entry.size))
            else:
                operations.append(AddFile(path, storage.read_file(source, entry)))
        storage.commit(
            target, revision="main", operations=operations, title=f"Duplicate from {source.id}", author=account.name
        )
        if repo_type == "space":
            self._rebuild(target)
        self._send_json(200, {"url": f"{self.base_url}/{URL_PREFIX[repo_type]}{to_id}"})

    # ------------------------------------------------------------------ repo info and listings

    @route("GET", rf"/api/{TYPES}")
    def list_repos(self, type: str) -> None:  # noqa: A002
        account = self._account()
        author = (self._query.get("author") or [None])[0]
        search = (self._query.get("search") or [""])[0].lower()
        items = []
        for record in self.config.storage.list_repos(type[:-1]):
            if record.private and (account is None or not account.member_of(record.namespace)):
                continue
            if (author and record.namespace != author) or search not in record.id.lower():
                continue
            items.append(self._info(record, self.config.storage.resolve(record, "main"), files_metadata=False))
        self._send_json(200, items)

    @route("GET", rf"/api/{TYPES}/{REPO}(?:/revision/(?P<rev>.+))?")
    def repo_info(self, type: str, ns: str, name: str, rev: str = "main") -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        commit = self.config.storage.resolve(record, rev)
        info = self._info(record, commit, files_metadata=self._query.get("blobs") == ["true"])
        expand = self._query.get("expand[]") or self._query.get("expand")
        if expand:
            info = {k: v for k, v in info.items() if k in expand or k in ("id", "_id")}
        self._send_json(200, info)

    def _info(self, record: RepoRecord, commit: Commit, *, files_metadata: bool) -> dict[str, Any]:
        storage = self.config.storage
        card = storage.card(record, commit)
        siblings = []
        for path, entry in commit.tree.items():
            sibling: dict[str, Any] = {"rfilename": path}
            if files_metadata:
                sibling.update(size=entry.size, blobId=entry.oid)
                if entry.lfs:
                    sibling["lfs"] = {"size": entry.size, "sha256": entry.lfs, "pointerSize": entry.pointer_size}
            siblings.append(sibling)
        tags = card.get("tags") if isinstance(card.get("tags"), list) else []
        info: dict[str, Any] = {
            "_id": stable_id(f"{record.type}/{record.id}"),
            "id": record.id,
            "author": record.namespace,
            "sha": commit.id,
            "lastModified": commit.date,
            "createdAt": record.created_at,
            "private": record.private,
            "gated": record.gated,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": list(tags),
            "siblings": siblings,
            "usedStorage": sum(e.size for e in commit.tree.values()),
        }
        if card:
            info["cardData"] = card
        if record.type == "model":
            info["library_name"] = card.get("library_name")
            info["pipeline_tag"] = card.get("pipeline_tag")
        elif record.type == "dataset":
            info["description"] = None
        else:
            runtime = self._runtime(record)
            info.update(
                sdk=record.space.get("sdk"),
                subdomain=record.id.replace("/", "-").replace("_", "-").lower(),
                # Where the app answers: a Space the double runs for real, else a page of the double.
                host=runtime.get("host") or f"{self.base_url}/spaces/{record.id}",
                runtime=runtime,
                models=card.get("models"),
                datasets=card.get("datasets"),
            )
        return info

    def _tree_entry(
        self, record: RepoRecord, commit: Commit, path: str, entry: FileEntry | None, *, expand: bool
    ) -> dict[str, Any]:
        if entry is None:
            item: dict[str, Any] = {
                "type": "directory",
                "oid": self.config.storage.tree_ids(record, commit)[path],
                "size": 0,
                "path": path,
            }
        else:
            item = {"type": "file", "oid": entry.oid, "size": entry.size, "path": path}
            if entry.lfs:
                item["lfs"] = {"oid": entry.lfs, "size": entry.size, "pointerSize": entry.pointer_size}
        if expand:
            last = self._last_commit(record, commit, path)
            item["lastCommit"] = {"id": last.id, "title": last.title, "date": last.date}
        return item

    def _last_commit(self, record: RepoRecord, commit: Commit, path: str) -> Commit:
        """The newest commit (first-parent walk) that changed `path`."""

        def snapshot(c: Commit) -> Any:
            if path in c.tree:
                return c.tree[path]
            return sorted((p, e) for p, e in c.tree.items() if p.startswith(path + "/"))

        current, state = commit, snapshot(commit)
        while current.parents:
            parent = self.config.storage.get_commit(record, current.parents[0])
            if parent is None or snapshot(parent) != state:
                break
            current = parent
        return current

    @route("GET", rf"/api/{TYPES}/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?")
    def list_tree(self, type: str, ns: str, name: str, rev: str, path: str = "") -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        commit = self.config.storage.resolve(record, rev)
        path = path.strip("/")
        recursive = self._query.get("recursive") in (["true"], ["1"], ["True"])
        expand = self._query.get("expand") in (["true"], ["1"], ["True"])
        prefix = path + "/" if path else ""
        if path and path in commit.tree:
            raise BadRequestError(f"{path} is a file, not a folder")
        folders: set[str] = set()
        files: list[str] = []
        for file_path in commit.tree:
            if not file_path.startswith(prefix):
                continue
            rest = file_path[len(prefix) :].split("/")
            for depth in range(1, len(rest) if recursive else min(2, len(rest))):
                folders.add(prefix + "/".join(rest[:depth]))
            if recursive or len(rest) == 1:
                files.append(file_path)
        if path and not files and not folders:
            raise EntryNotFoundError(f"{path} does not exist at revision {rev}", commit=commit.id)
        entries = sorted([(p, None) for p in folders] + [(p, commit.tree[p]) for p in files], key=lambda item: item[0])
        page_size = self.config.page_size if not expand else min(self.config.page_size, 50)
        start = int((self._query.get("cursor") or ["0"])[0] or 0)
        page = entries[start : start + page_size]
        headers = {}
        if start + page_size < len(entries):
            query = {k: v[0] for k, v in self._query.items()} | {"cursor": str(start + page_size)}
            headers["Link"] = f'<{self.base_url}{self._path}?{urllib.parse.urlencode(query)}>; rel="next"'
        self._send_json(200, [self._tree_entry(record, commit, p, e, expand=expand) for p, e in page], headers=headers)

    @route("POST", rf"/api/{TYPES}/{REPO}/paths-info/(?P<rev>[^/]+)", anonymous=True)
    def paths_info(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        raw = self._read_body().decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            body = json.loads(raw or "{}")
            paths, expand = body.get("paths", []), bool(body.get("expand"))
        else:
            form = urllib.parse.parse_qs(raw)
            paths, expand = form.get("paths", []), form.get("expand", ["false"])[0] in ("true", "True", "1")
        commit = self.config.storage.resolve(record, rev)
        folders = self.config.storage.tree_ids(record, commit)
        result = []
        for path in paths:
            path = path.strip("/")
            if path in commit.tree:
                result.append(self._tree_entry(record, commit, path, commit.tree[path], expand=expand))
            elif path in folders and path:
                result.append(self._tree_entry(record, commit, path, None, expand=expand))
        self._send_json(200, result)

    @route("GET", rf"/api/{TYPES}/{REPO}/refs")
    def list_refs(self, type: str, ns: str, name: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        refs = self.config.storage.refs(record)
        payload: dict[str, Any] = {
            "branches": [
                {"name": b, "ref": f"refs/heads/{b}", "targetCommit": c} for b, c in sorted(refs["heads"].items())
            ],
            "tags": [
                {"name": t, "ref": f"refs/tags/{t}", "targetCommit": v["target"]}
                for t, v in sorted(refs["tags"].items())
            ],
            "converts": [],
        }
        if self._query.get("include_prs") in (["1"], ["true"]):
            payload["pullRequests"] = [
                {"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}", "targetCommit": c}
                for n, c in sorted(refs["pulls"].items(), key=lambda item: int(item[0]))
            ]
        self._send_json(200, payload)

    @route("GET", rf"/api/{TYPES}/{REPO}/commits/(?P<rev>.+)")
    def list_commits(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record = self._visible_repo(type[:-1], ns, name)
        history = self.config.storage.history(record, rev)
        page_size = min(self.config.page_size, 100)
        page_index = int((self._query.get("p") or ["0"])[0] or 0)
        page = history[page_index * page_size : (page_index + 1) * page_size]
        headers = {}
        if (page_index + 1) * page_size < len(history):
            query = {k: v[0] for k, v in self._query.items()} | {"p": str(page_index + 1)}
            headers["Link"] = f'<{self.base_url}{self._path}?{urllib.parse.urlencode(query)}>; rel="next"'
        payload = [
            {
                "id": c.id,
                "title": c.title,
                "message": c.message,
                "date": c.date,
                "authors": [{"user": c.author, "avatar": None}],
                "parents": list(c.parents),
            }
            for c in page
        ]
        self._send_json(200, payload, headers=headers)

    # ------------------------------------------------------------------ branches and tags

    @route("POST", rf"/api/{TYPES}/{REPO}/tag/(?P<rev>.+)")
    def create_tag(self, type: str, ns: str, name: str, rev: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "create a tag")
        body = self._json_body()
        tag = body.get("tag")
        if not isinstance(tag, str) or not tag:
            raise BadRequestError('Expected {"tag": <name>, "message": <optional>}')
        self.config.storage.create_tag(record, tag, revision=rev, message=body.get("message"))
        self._send_json(200, {})

    @route("DELETE", rf"/api/{TYPES}/{REPO}/tag/(?P<tag>.+)")
    def delete_tag(self, type: str, ns: str, name: str, tag: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "delete a tag")
        self.config.storage.delete_tag(record, tag)
        self._send_json(200, {})

    @route("POST", rf"/api/{TYPES}/{REPO}/branch/(?P<branch>.+)")
    def create_branch(self, type: str, ns: str, name: str, branch: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name, "create a branch")
        body = self._json_body()
        self.config.storage.create_branch(
            record, branch, start=body.get("startingPoint"), author=account.name, empty=bool(body.get("emptyBranch"))
        )
        self._send_json(200, {})

    @route("DELETE", rf"/api/{TYPES}/{REPO}/branch/(?P<branch>.+)")
    def delete_branch(self, type: str, ns: str, name: str, branch: str) -> None:  # noqa: A002
        record, _ = self._writable_repo(type[:-1], ns, name, "delete a branch")
        self.config.storage.delete_branch(record, branch)
        self._send_json(200, {})

    @route("POST", rf"/api/{TYPES}/{REPO}/super-squash/(?P<branch>.+)")
    def super_squash(self, type: str, ns: str, name: str, branch: str) -> None:  # noqa: A002
        record, account = self._writable_repo(type[:-1], ns, name, "squash history")
        title = self._json_body().get("message") or "Super-squash branch using huggingface_hub"
        commit = self.config.storage.super_squash(record, branch, title=title, author=account.name)
        self._send_json(200, {"commitId": commit.id})
