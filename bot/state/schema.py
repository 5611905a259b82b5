"""The state file's tables, and the migrations that carry an older file forward.

The file's version is SQLite's ``PRAGMA user_version``. Version 0 is the file as Patchbot wrote
it before desks and idempotency keys; every file, new or old, starts from it and goes through
the same migrations, so a new file and an upgraded one are the same. A file from a newer
Patchbot is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3

from bot.errors import PatchbotError
from bot.state import DEFAULT_DESK

# Version 0: the delivery ledger and the service's journal as they were first written.
VERSION_0 = [
    """CREATE TABLE IF NOT EXISTS posts (
        id INTEGER PRIMARY KEY,
        story TEXT NOT NULL,
        patch TEXT NOT NULL,
        week_ending TEXT NOT NULL,
        release TEXT NOT NULL,          -- '' when the source gave no release date
        content_hash TEXT NOT NULL,
        kind TEXT NOT NULL,             -- original | correction
        corrects INTEGER REFERENCES posts(id),
        channel TEXT NOT NULL,          -- the destination as configured: '#newsroom' or an ID
        channel_id TEXT,                -- the target's ID for it, once known
        ts TEXT,                        -- the main message's id, once posted
        status TEXT NOT NULL,           -- pending | posted | superseded
        revised INTEGER NOT NULL DEFAULT 0,
        draft TEXT NOT NULL,            -- the full draft (JSON), so a failed post is kept
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        posted_at TEXT
    )""",
    "DROP INDEX IF EXISTS one_version",  # a story may come back to figures it had before
    "CREATE INDEX IF NOT EXISTS story_versions ON posts(story, patch, week_ending)",
    """CREATE TABLE IF NOT EXISTS parts (
        post_id INTEGER NOT NULL REFERENCES posts(id),
        part TEXT NOT NULL,   -- main | thread-2 ... | file | picture:NAME | mark-revised:ID
        started_at TEXT NOT NULL,
        ts TEXT,              -- the part's message (or file) id, once the target confirmed it
        PRIMARY KEY (post_id, part)
    )""",
    """CREATE TABLE IF NOT EXISTS pictures (  -- charts and maps to upload with a post
        post_id INTEGER NOT NULL REFERENCES posts(id),
        filename TEXT NOT NULL,
        title TEXT NOT NULL,
        alt_text TEXT NOT NULL,
        png BLOB NOT NULL,
        PRIMARY KEY (post_id, filename)
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,             -- check | error | bad-data
        detail TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS releases (  -- data releases `patchbot run` has processed
        id INTEGER PRIMARY KEY,
        patch TEXT NOT NULL,
        source TEXT NOT NULL,
        week_ending TEXT NOT NULL,
        release TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        outcome TEXT NOT NULL,
        processed_at TEXT NOT NULL,
        UNIQUE (patch, content_hash)
    )""",
    """CREATE TABLE IF NOT EXISTS runs (
        day TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT
    )""",
]

# Version 1: desks (every row belongs to one), versions and keys, alerts once a day.
TO_VERSION_1 = [
    f"ALTER TABLE posts ADD COLUMN desk TEXT NOT NULL DEFAULT '{DEFAULT_DESK}'",
    # 1 for the original, 2 for its first correction...: part of every idempotency key.
    "ALTER TABLE posts ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    """UPDATE posts SET version = 1 + (
        SELECT COUNT(*) FROM posts AS earlier WHERE earlier.story = posts.story
        AND earlier.patch = posts.patch AND earlier.week_ending = posts.week_ending
        AND earlier.id < posts.id AND earlier.status != 'superseded')""",
    # Found in the channel rather than sent from this ledger: each part is looked for first.
    "ALTER TABLE posts ADD COLUMN adopted INTEGER NOT NULL DEFAULT 0",
    # Sent by a Patchbot before keys: its parts carry the old {"post", "part"} marker.
    "ALTER TABLE posts ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0",
    "UPDATE posts SET legacy = 1",
    "DROP INDEX IF EXISTS story_versions",
    "CREATE INDEX story_versions ON posts(desk, story, patch, week_ending)",
    f"ALTER TABLE events ADD COLUMN desk TEXT NOT NULL DEFAULT '{DEFAULT_DESK}'",
    "ALTER TABLE releases RENAME TO releases_0",
    """CREATE TABLE releases (
        id INTEGER PRIMARY KEY,
        desk TEXT NOT NULL,
        patch TEXT NOT NULL,
        source TEXT NOT NULL,
        week_ending TEXT NOT NULL,      -- the newest week in the data
        release TEXT NOT NULL,          -- the source's own date stamp; '' when it gave none
        content_hash TEXT NOT NULL,     -- of the raw bytes: an identical re-publication is not new
        outcome TEXT NOT NULL,          -- posted | unchanged | partial (a story failed to draft)
        processed_at TEXT NOT NULL,
        UNIQUE (desk, patch, content_hash)
    )""",
    f"""INSERT INTO releases SELECT id, '{DEFAULT_DESK}', patch, source, week_ending, release,
        content_hash, outcome, processed_at FROM releases_0""",
    "DROP TABLE releases_0",
    "ALTER TABLE runs RENAME TO runs_0",
    """CREATE TABLE runs (   -- `patchbot run`'s daily job, one row per desk and day (UK date)
        desk TEXT NOT NULL,
        day TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,               -- NULL: still polling, or stopped part-way (resumable)
        outcome TEXT,
        PRIMARY KEY (desk, day)
    )""",
    f"INSERT INTO runs SELECT '{DEFAULT_DESK}', day, started_at, finished_at, outcome FROM runs_0",
    "DROP TABLE runs_0",
    """CREATE TABLE alerts (  -- problems told to the ops channel: once per desk, problem and day
        desk TEXT NOT NULL,
        day TEXT NOT NULL,              -- UK date
        problem TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (desk, day, problem)
    )""",
]

# Version 2: reporters' review of each story in Slack (bot.review), one row per action taken.
TO_VERSION_2 = [
    """CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id),  -- the story's original post
        action TEXT NOT NULL,           -- claim | release | approve | hold | edit | correct
        user TEXT,                      -- the reporter's Slack user ID; NULL for Patchbot's own
        at TEXT NOT NULL,
        state TEXT NOT NULL,            -- the story's state after it: claimed, approved...
        holder TEXT,                    -- who holds the story after it, if anyone
        before TEXT NOT NULL,           -- the state before it ("corrected after approval")
        reason TEXT,                    -- hold: the reporter's reason
        headline TEXT,                  -- edit: the reporter's version
        text TEXT
    )""",
    "CREATE INDEX reviews_of_post ON reviews(post_id, id)",
]

MIGRATIONS = [TO_VERSION_1, TO_VERSION_2]  # MIGRATIONS[n] takes a file from version n to n + 1
VERSION = len(MIGRATIONS)


def ensure(db: sqlite3.Connection, path: object) -> None:
    """Bring the file to the current version, in one transaction (another process opening the
    file at the same time waits, then finds the work done)."""
    if _version(db) == VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        found = _version(db)
        if found > VERSION:
            raise PatchbotError(
                f"PATCHBOT_STATE_DIR: {path} was written by a newer Patchbot (state version "
                f"{found}, this one knows {VERSION}); upgrade Patchbot to use it"
            )
        if found == 0:
            for statement in VERSION_0:
                db.execute(statement)
        for migration in MIGRATIONS[found:]:
            for statement in migration:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")


def _version(db: sqlite3.Connection) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version
