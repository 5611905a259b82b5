"""Idempotency keys: every part Patchbot posts carries a key derived from what it is, so a
resumed run adopts only its own message, and a lost ledger is rebuilt from the channel's history
instead of posting everything again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.fakes.slack_api import FakeSlack, Message
from tests.helpers import EXCERPT, CliResult, replies, top_level

Run = Callable[..., CliResult]


def headline(message: Message) -> str:
    return str(message.blocks[0]["text"]["text"])


def thread_files(slack: FakeSlack, parent: Message) -> list[str]:
    return sorted(
        f.filename for f in slack.files.values() if ("C0NEWSROOM1", parent.ts) in f.shares
    )


def test_two_state_folders_never_adopt_each_others_messages(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    """The issue's repro: two patches, two state folders, one channel, a 500 in between."""
    leeds = {**env, "PATCHBOT_STATE_DIR": str(tmp_path / "A")}
    york = {**env, "PATCHBOT_STATE_DIR": str(tmp_path / "B")}
    source = ("--source", str(EXCERPT))
    # Darlington stands in for the Leeds (the excerpt has no Leeds).
    first = run_cli("post", *source, "--patch", "Darlington", "--story", "largest_rises", env=leeds)
    assert first.exit_code == 0, first.stderr
    slack.script("500", method="chat.postMessage")
    second = run_cli("post", *source, "--patch", "York", "--story", "largest_falls", env=york)
    assert second.exit_code == 0, second.stderr
    assert "Slack: 1 posted" in second.stderr
    darlington, york_story = top_level(slack)
    assert headline(darlington) == "The biggest rises in Covid-19 cases in Darlington this week"
    assert headline(york_story) == "The biggest falls in Covid-19 cases in York this week"
    assert thread_files(slack, darlington) == [
        "2020-11-25_largest_rises_darlington.png",
        "2020-11-25_largest_rises_darlington.txt",
    ]
    assert thread_files(slack, york_story) == [
        "2020-11-25_largest_falls_york.png",
        "2020-11-25_largest_falls_york.txt",
    ]
    assert len(replies(slack, darlington)) == 2  # its two files, nothing of York's
    again = run_cli("post", *source, "--patch", "York", "--story", "largest_falls", env=york)
    assert "0 posted, 0 corrected, 1 already posted" in again.stderr


def test_a_lost_ledger_is_rebuilt_from_the_channel_and_nothing_is_posted_again(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    args = ("post", "--source", str(EXCERPT), "--patch", "York")
    assert run_cli(*args, env=env).exit_code == 0
    writes = ("chat.postMessage", "files.completeUploadExternal", "chat.update")
    sent = Counter(c.method for c in slack.calls() if c.method in writes)
    ledger = Path(env["PATCHBOT_STATE_DIR"]) / "ledger.sqlite3"
    for lost in ("deleted", "emptied"):
        for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"):
            (ledger.parent / name).unlink(missing_ok=True)
        if lost == "emptied":
            ledger.write_bytes(b"")
        again = run_cli(*args, env=env)
        assert again.exit_code == 0, again.stderr
        assert "Slack: 0 posted, 0 corrected, 5 already posted" in again.stderr  # found
        assert Counter(c.method for c in slack.calls() if c.method in writes) == sent
    assert len(top_level(slack)) == 5
    third = run_cli(*args, env=env)
    assert "0 posted, 0 corrected, 5 already posted" in third.stderr


def test_a_message_that_is_not_patchbots_own_is_never_adopted(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    args = ("post", "--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases")
    assert run_cli(*args, env=env).exit_code == 0
    (original,) = top_level(slack)
    assert original.metadata is not None
    # A person (or another app) pastes the message, metadata and all; then the ledger is lost.
    slack.post_as("newsroom", "U0SOMEONE", original.metadata)
    slack.post_as("newsroom", "U0OTHERAPP", original.metadata, bot_id="B0OTHERAPP")
    with slack._lock:  # the channel as it would be had Patchbot's message been deleted
        slack._messages["C0NEWSROOM1"].remove(original)
    (Path(env["PATCHBOT_STATE_DIR"]) / "ledger.sqlite3").unlink()
    again = run_cli(*args, env=env)
    assert "Slack: 1 posted" in again.stderr  # sent anew: the copies are not Patchbot's
    mine = [m for m in top_level(slack) if m.user == "U0PATCHBOT"]
    assert len(mine) == 1


# The ledger's tables as Patchbot wrote them before schema versions (user_version 0).
SCHEMA_0 = """
CREATE TABLE posts (
    id INTEGER PRIMARY KEY, story TEXT NOT NULL, patch TEXT NOT NULL,
    week_ending TEXT NOT NULL, release TEXT NOT NULL, content_hash TEXT NOT NULL,
    kind TEXT NOT NULL, corrects INTEGER REFERENCES posts(id), channel TEXT NOT NULL,
    channel_id TEXT, ts TEXT, status TEXT NOT NULL, revised INTEGER NOT NULL DEFAULT 0,
    draft TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    created_at TEXT NOT NULL, posted_at TEXT
);
CREATE INDEX story_versions ON posts(story, patch, week_ending);
CREATE TABLE parts (
    post_id INTEGER NOT NULL REFERENCES posts(id), part TEXT NOT NULL,
    started_at TEXT NOT NULL, ts TEXT, PRIMARY KEY (post_id, part)
);
CREATE TABLE pictures (
    post_id INTEGER NOT NULL REFERENCES posts(id), filename TEXT NOT NULL, title TEXT NOT NULL,
    alt_text TEXT NOT NULL, png BLOB NOT NULL, PRIMARY KEY (post_id, filename)
);
CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL,
                     detail TEXT NOT NULL);
CREATE TABLE releases (
    id INTEGER PRIMARY KEY, patch TEXT NOT NULL, source TEXT NOT NULL,
    week_ending TEXT NOT NULL, release TEXT NOT NULL, content_hash TEXT NOT NULL,
    outcome TEXT NOT NULL, processed_at TEXT NOT NULL, UNIQUE (patch, content_hash)
);
CREATE TABLE runs (day TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
                   outcome TEXT);
"""


def test_a_ledger_written_before_schema_versions_carries_on_without_reposting(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    """Four stories posted by the old Patchbot, a fifth killed just after its message went
    out (marked the old way): the upgraded Patchbot posts nothing twice."""
    import json
    import sqlite3

    from bot.state import content_hash

    drafted = run_cli("draft", "--source", str(EXCERPT), "--patch", "York", "--format", "json")
    stories = drafted.json()["stories"]
    state = Path(env["PATCHBOT_STATE_DIR"])
    state.mkdir()
    db = sqlite3.connect(state / "ledger.sqlite3")
    db.executescript(SCHEMA_0)
    at = "2020-11-30T16:05:00+00:00"
    for post_id, story in enumerate(stories, start=1):
        draft = {**story, "patch": "York", "week_ending": "2020-11-25",
                 "release": "2020-11-30", "origin": str(EXCERPT)}  # fmt: skip
        finished = post_id < 5
        ts = f"1606752000.00{post_id}00"
        db.execute(
            "INSERT INTO posts (id, story, patch, week_ending, release, content_hash, kind, "
            "channel, channel_id, ts, status, draft, created_at, posted_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (post_id, story["story"], "York", "2020-11-25", "2020-11-30",
             content_hash(story["facts"]), "original", "#newsroom",
             "C0NEWSROOM1" if finished else None, ts if finished else None,
             "posted" if finished else "pending", json.dumps(draft), at,
             at if finished else None),
        )  # fmt: skip
        db.execute(
            "INSERT INTO parts VALUES (?, 'main', ?, ?)", (post_id, at, ts if finished else None)
        )
    db.execute("INSERT INTO runs VALUES ('2020-11-30', ?, ?, 'posted')", (at, at))
    db.commit()
    db.close()
    slack.post_as(
        "newsroom", "U0PATCHBOT",
        {"event_type": "patchbot_story_part", "event_payload": {"post": 5, "part": "main"}},
        bot_id="B0PATCHBOT",
    )  # fmt: skip

    result = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert result.exit_code == 0, result.stderr
    assert "Slack: 1 posted, 0 corrected, 4 already posted, 0 kept" in result.stderr
    assert slack.calls("chat.postMessage") == []  # the fifth's message was found, not resent
    (kept,) = top_level(slack)
    assert [f.filename for f in slack.files.values() if f.shares] == [
        "2020-11-25_weekly_roundup_york.txt"
    ]  # the rest of the fifth (its copy; this old row has no pictures), into its own thread
    assert all(f.shares == [("C0NEWSROOM1", kept.ts)] for f in slack.files.values() if f.shares)
    db = sqlite3.connect(state / "ledger.sqlite3")
    try:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
        assert db.execute("SELECT DISTINCT desk FROM posts").fetchall() == [("default",)]
        assert db.execute("SELECT desk, day FROM runs").fetchall() == [("default", "2020-11-30")]
    finally:
        db.close()
    again = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert "Slack: 0 posted, 0 corrected, 5 already posted" in again.stderr
