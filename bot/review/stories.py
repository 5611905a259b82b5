"""Stories under review: each action decided and recorded in the ledger, then shown on the
story's message in Slack. Used by the interaction listener (``bot.review.app``) and by the
courier when the publisher corrects a story someone holds.

Message updates are made one at a time, each from the state as recorded after the action, so
the message always ends up showing the latest state, however clicks interleave.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bot.corrections import release_date
from bot.delivery.slack import Slack
from bot.delivery.target import Notice, Target
from bot.review.actions import Outcome, Review, ReviewAction, Step, Verdict
from bot.review.blocks import reviewed
from bot.state import Ledger, Post, PostStatus
from bot.state.reviews import Reviews, StoryRef
from bot.state.store import now

_UPDATES = threading.Lock()  # one message update at a time, in this process


class ReviewedStories:
    """Reviews of the stories in one state directory, shown through a delivery target (on
    Slack with review buttons only; elsewhere they are recorded and nothing is shown)."""

    def __init__(self, target: Target, state_dir: Path) -> None:
        self.target = target
        self.state_dir = state_dir

    def holder(self, original: Post) -> str | None:
        with Reviews(self.state_dir) as reviews:
            return reviews.current(original.id).holder

    def corrected(self, original: Post, correction: Post) -> None:
        """Mark the story corrected (once per correction) and show it on its message: again
        if a run is resumed, since the last attempt may have failed to."""
        step = Step(ReviewAction.CORRECT, None, now(), reason=f"correction #{correction.id}")
        with Reviews(self.state_dir) as reviews:
            reviews.apply(original.id, step)
        self.show(StoryRef(original.desk, original.id, correction.id))

    def review(self, story: StoryRef) -> Review:
        with Reviews(self.state_dir) as reviews:
            return reviews.current(story.post_id)

    def apply(self, story: StoryRef, step: Step) -> Outcome:
        """Decide and record an action; if it changed the story, update its message."""
        with Reviews(self.state_dir) as reviews:
            outcome = reviews.apply(story.post_id, step)
        if outcome.verdict == Verdict.DONE:
            self.show(story)
        return outcome

    def show(self, story: StoryRef) -> None:
        """The story's original message as it stands: its draft, the banner over it if the
        publisher revised it, its review line and buttons."""
        if not isinstance(self.target, Slack) or not self.target.interactive:
            return
        with _UPDATES:
            original = self.original(story)
            if not (original.channel_id and original.ts):
                return
            notice = None
            if original.revised:
                latest = self.latest_draft(story).draft
                notice = Notice.revised(release_date(latest), latest.get("publisher"))
            main, _thread = self.target.compose(original.draft, notice)
            review = self.review(story)
            self.target.update(original.channel_id, original.ts, reviewed(main, review))

    def original(self, story: StoryRef) -> Post:
        with Ledger(self.state_dir, story.desk) as ledger:
            return ledger.get(story.post_id)

    def latest_draft(self, story: StoryRef) -> Post:
        """The story's latest posted version (what an edit starts from, and what a revision
        banner dates)."""
        with Ledger(self.state_dir, story.desk) as ledger:
            original = ledger.get(story.post_id)
            versions = ledger.versions(original.story, original.patch, original.week_ending)
        return [v for v in versions if v.status == PostStatus.POSTED][-1]
