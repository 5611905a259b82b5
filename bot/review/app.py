"""The Slack app that hears reporters' clicks (slack-bolt): Claim, Approve, Hold and Edit under
each draft, and the hold and edit modals.

Every listener acknowledges at once (Slack wants an answer within 3 seconds) and works after.
Before anything is recorded an interaction must come from the configured workspace (the bot
token's ``auth.test`` team), be on a message Patchbot posted, and be about a story the ledger
knows; anything else is refused, logged once, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot import factcheck
from bot.delivery.slack import Slack
from bot.delivery.slack_client import Identity, SlackFailure
from bot.errors import PatchbotError
from bot.logs import step
from bot.review import blocks
from bot.review.actions import ReviewAction, Step, Verdict, transition
from bot.review.stories import ReviewedStories
from bot.state.reviews import Reviews, StoryRef
from bot.state.store import now

JSON = dict[str, Any]
BOLT_LOG = logging.getLogger("bot.review.bolt")
BOLT_LOG.setLevel(logging.WARNING)  # its INFO lines repeat ours (and quote request bodies)
UNKNOWN = "Patchbot does not know this message: only drafts Patchbot posted can be reviewed."


@dataclass(frozen=True)
class Interaction:
    """Who did what where, from a click or a modal's submission."""

    team_id: str
    user_id: str
    channel_id: str
    message_ts: str
    author_bot: str | None = None  # the bot that posted the message, where Slack says
    trigger_id: str | None = None  # for opening a modal

    @classmethod
    def of_click(cls, body: JSON) -> Interaction | None:
        container, message = body.get("container") or {}, body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        ts = container.get("message_ts") or message.get("ts")
        team, user = (body.get("team") or {}).get("id"), (body.get("user") or {}).get("id")
        if not (channel and ts and team and user):
            return None
        return cls(str(team), str(user), str(channel), str(ts), message.get("bot_id"),
                   body.get("trigger_id"))  # fmt: skip

    @classmethod
    def of_submission(cls, body: JSON) -> Interaction | None:
        ref = blocks.MessageRef.decode(str((body.get("view") or {}).get("private_metadata")))
        team, user = (body.get("team") or {}).get("id"), (body.get("user") or {}).get("id")
        if ref is None or not (team and user):
            return None
        return cls(str(team), str(user), ref.channel_id, ref.ts)


class ReviewDesk:
    """What each click and submission does, once the interaction is accepted."""

    def __init__(self, slack: Slack, stories: ReviewedStories) -> None:
        self.slack, self.stories = slack, stories

    @property
    def identity(self) -> Identity:
        return self.slack.client.identity()

    def accept(self, interaction: Interaction | None, what: str) -> StoryRef | None:
        """The story an interaction is about, or None (refused, logged once)."""
        if interaction is None:
            step("review", logging.WARNING, action=what, outcome="refused", why="malformed")
            return None
        if interaction.team_id != self.identity.team_id:
            step("review", logging.WARNING, action=what, outcome="refused",
                 why="another workspace", team=interaction.team_id)  # fmt: skip
            return None
        story = None
        if interaction.author_bot in (None, self.identity.bot_id):
            with Reviews(self.stories.state_dir) as reviews:
                story = reviews.story_of(interaction.channel_id, interaction.message_ts)
        if story is None:
            step("review", logging.WARNING, action=what, outcome="refused", why="unknown message",
                 channel=interaction.channel_id, ts=interaction.message_ts)  # fmt: skip
            self.tell(interaction, UNKNOWN)
        return story

    def tell(self, interaction: Interaction, text: str) -> None:
        """An ephemeral message only the reporter sees, in the draft's channel."""
        self.slack.client.call("chat.postEphemeral", channel=interaction.channel_id,
                               user=interaction.user_id, text=text)  # fmt: skip

    def act(self, interaction: Interaction, story: StoryRef, action_step: Step) -> None:
        outcome = self.stories.apply(story, action_step)
        step("review", action=action_step.action, user=interaction.user_id,
             post=story.post_id, outcome=outcome.verdict, state=outcome.review.state)  # fmt: skip
        if outcome.verdict == Verdict.REFUSED:
            self.tell(interaction, blocks.refusal(outcome.review))

    def click(self, body: JSON, action: ReviewAction) -> None:
        interaction = Interaction.of_click(body)
        story = self.accept(interaction, action)
        if interaction and story:
            self.act(interaction, story, Step(action, interaction.user_id, now()))

    def open_modal(self, body: JSON, action: ReviewAction) -> None:
        """Hold and Edit first ask (a modal), unless someone else holds the story."""
        interaction = Interaction.of_click(body)
        story = self.accept(interaction, action)
        if not (interaction and story and interaction.trigger_id):
            return
        review = self.stories.review(story)
        if review.holder not in (None, interaction.user_id):
            self.tell(interaction, blocks.refusal(review))
            return
        ref = blocks.MessageRef(interaction.channel_id, interaction.message_ts)
        if action == ReviewAction.HOLD:
            view = blocks.hold_modal(ref)
        else:
            latest = self.stories.latest_draft(story).draft
            view = blocks.edit_modal(ref, review.headline or latest["headline"],
                                     review.text or latest["text"])  # fmt: skip
        if view is None:
            self.tell(interaction, "This draft is too long to edit in Slack: edit its .txt file.")
            return
        self.slack.client.call("views.open", trigger_id=interaction.trigger_id, view=view)

    def save_hold(self, body: JSON) -> None:
        interaction = Interaction.of_submission(body)
        story = self.accept(interaction, ReviewAction.HOLD)
        if interaction and story:
            values = (body.get("view") or {}).get("state", {}).get("values", {})
            reason = blocks.submitted(values, "reason").strip()[: blocks.REASON_LIMIT]
            held = Step(ReviewAction.HOLD, interaction.user_id, now(), reason=reason or None)
            self.act(interaction, story, held)

    def save_edit(self, body: JSON) -> None:
        interaction = Interaction.of_submission(body)
        story = self.accept(interaction, ReviewAction.EDIT)
        if not (interaction and story):
            return
        values = (body.get("view") or {}).get("state", {}).get("values", {})
        headline, text = blocks.edited_copy(values)
        at = now()
        edit = Step(ReviewAction.EDIT, interaction.user_id, at, headline=headline, text=text)
        # Decided first, posted, and only then recorded: an edit Slack did not take is not
        # recorded, so saving it again posts it (recorded first, it would count as unchanged).
        decided = transition(self.stories.review(story), edit)
        if decided.verdict == Verdict.REFUSED:
            self.tell(interaction, blocks.refusal(decided.review))
            return
        if decided.verdict == Verdict.DONE:
            try:
                self.post_edit(story, headline, text, interaction.user_id, at)
            except SlackFailure:
                self.tell(interaction, "Slack did not take your edit just now: save it again.")
                raise
        outcome = self.stories.apply(story, edit)
        if outcome.verdict == Verdict.DONE:
            latest = self.stories.latest_draft(story).draft
            problems = untraced_figures(latest, headline, text)
            if problems:
                self.tell(interaction, blocks.fact_warning(problems))
        step("review", action="edit", user=interaction.user_id, post=story.post_id,
             outcome=outcome.verdict)  # fmt: skip

    def post_edit(self, story: StoryRef, headline: str, text: str, user: str, at: str) -> None:
        """The reporter's version in the story's thread, as the version to publish."""
        original = self.stories.original(story)
        for message in blocks.edited_messages(headline, text, user, at):
            self.slack.client.call(
                "chat.postMessage", channel=original.channel_id, unfurl_links=False,
                unfurl_media=False, thread_ts=original.ts, **message,
            )  # fmt: skip


def untraced_figures(draft: JSON, headline: str, text: str) -> list[str]:
    """The figures of an edit the fact check cannot trace to the story's facts (the numbers of
    Patchbot's own copy, which passed the check, count as traced)."""
    facts = {**draft["facts"], "areas": draft["facts"].get("areas") or []}
    week = dt.date.fromisoformat(draft["week_ending"])
    release = dt.date.fromisoformat(draft["release"]) if draft.get("release") else None
    dates = (week, week - dt.timedelta(days=6), week - dt.timedelta(days=7), release)
    literals = factcheck.literal_numbers([f"{draft['headline']}\n{draft['text']}"])
    councils = {str(area["ltla_name"]) for area in facts["areas"] if area.get("ltla_name")}
    problems = factcheck.check(headline, text, facts, dates, literals, councils)
    return [problem for problem in problems if problem.startswith("the number")]


def build_app(slack: Slack, stories: ReviewedStories, signing_secret: str | None) -> App:
    """The Bolt app on Patchbot's own Web API client; ``signing_secret``: verify requests
    (HTTP mode), None for Socket Mode (the connection itself is authenticated)."""
    app = App(
        client=slack.client.web,
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,  # Patchbot checked the token at start-up
        logger=BOLT_LOG,
    )
    desk = ReviewDesk(slack, stories)

    def listener(work: Callable[[JSON], None]) -> Callable[..., None]:
        def listen(ack: Ack, body: JSON) -> None:
            ack()  # within Slack's 3 seconds; the work follows
            try:
                work(body)
            except (SlackFailure, PatchbotError) as error:
                step("review", logging.WARNING, outcome="error", problem=str(error))

        return listen

    app.action(blocks.CLAIM)(listener(lambda body: desk.click(body, ReviewAction.CLAIM)))
    app.action(blocks.APPROVE)(listener(lambda body: desk.click(body, ReviewAction.APPROVE)))
    app.action(blocks.HOLD)(listener(lambda body: desk.open_modal(body, ReviewAction.HOLD)))
    app.action(blocks.EDIT)(listener(lambda body: desk.open_modal(body, ReviewAction.EDIT)))
    app.view(blocks.HOLD_VIEW)(listener(desk.save_hold))
    app.view(blocks.EDIT_VIEW)(listener(desk.save_edit))
    return app
