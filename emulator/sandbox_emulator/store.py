"""SQLite storage of runners and profile templates.

Every resource is one row holding its stored JSON document. ``seq`` grows with every insert and is never
reused, which gives list order (creation, then id) and stable pagination cursors. Writes are committed
before the request that made them is answered.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL,
    gone_at REAL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_kind_org ON resources (kind, org, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

RUNNER = "runner"
TEMPLATE = "profile_template"


class Store:
    def __init__(self, path: str | None = None):
        self.path = path or ":memory:"
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if path:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'cursor_secret'").fetchone()
        if row:
            self.secret = bytes.fromhex(row[0])
        else:
            self.secret = secrets.token_bytes(32)
            self.db.execute("INSERT INTO meta (key, value) VALUES ('cursor_secret', ?)", (self.secret.hex(),))

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def transaction(self):
        return _Transaction(self)

    def purge(self, now: float) -> None:
        self.db.execute("DELETE FROM resources WHERE gone_at IS NOT NULL AND gone_at <= ?", (now,))

    def get(self, kind: str, resource_id: str) -> tuple[int, str, dict] | None:
        row = self.db.execute("SELECT seq, org, doc FROM resources WHERE kind = ? AND id = ?", (kind, resource_id))
        row = row.fetchone()
        return (row[0], row[1], json.loads(row[2])) if row else None

    def find(self, kind: str, org: str, key: str, value: str) -> dict | None:
        for doc in self.all(kind, org):
            if _dig(doc, key) == value:
                return doc
        return None

    def all(self, kind: str, org: str | None = None) -> list[dict]:
        if org is None:
            rows = self.db.execute("SELECT doc, org FROM resources WHERE kind = ? ORDER BY seq", (kind,))
        else:
            rows = self.db.execute(
                "SELECT doc, org FROM resources WHERE kind = ? AND org = ? ORDER BY seq", (kind, org)
            )
        return [json.loads(doc) for doc, _ in rows.fetchall()]

    def all_with_org(self, kind: str) -> list[tuple[str, dict]]:
        rows = self.db.execute("SELECT org, doc FROM resources WHERE kind = ? ORDER BY seq", (kind,)).fetchall()
        return [(org, json.loads(doc)) for org, doc in rows]

    def page(self, kind: str, org: str, after_seq: int, limit: int) -> list[tuple[int, dict]]:
        rows = self.db.execute(
            "SELECT seq, doc FROM resources WHERE kind = ? AND org = ? AND seq > ? ORDER BY seq LIMIT ?",
            (kind, org, after_seq, limit),
        ).fetchall()
        return [(seq, json.loads(doc)) for seq, doc in rows]

    def insert(self, kind: str, org: str, doc: dict, gone_at: float | None = None) -> None:
        self.db.execute(
            "INSERT INTO resources (kind, id, org, gone_at, doc) VALUES (?, ?, ?, ?, ?)",
            (kind, doc["id"], org, gone_at, json.dumps(doc, sort_keys=True)),
        )

    def update(self, kind: str, doc: dict, gone_at: float | None = None) -> None:
        self.db.execute(
            "UPDATE resources SET doc = ?, gone_at = ? WHERE kind = ? AND id = ?",
            (json.dumps(doc, sort_keys=True), gone_at, kind, doc["id"]),
        )

    def delete(self, kind: str, resource_id: str) -> None:
        self.db.execute("DELETE FROM resources WHERE kind = ? AND id = ?", (kind, resource_id))

    def clear(self) -> None:
        self.db.execute("DELETE FROM resources")


class _Transaction:
    """Hold the store lock and wrap the work in one SQLite transaction, committed on success."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> Store:
        self.store.lock.acquire()
        try:
            self.store.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store.lock.release()
            raise
        return self.store

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.store.db.execute("COMMIT")
            else:
                self.store.db.execute("ROLLBACK")
        finally:
            self.store.lock.release()


def _dig(doc: dict, key: str) -> object:
    current: object = doc
    for part in key.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current
