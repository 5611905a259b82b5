"""Reporters' review of drafts in Slack: claim, approve, hold and edit a draft where it lands.

``actions``: the review states and what each action does (pure); ``blocks``: the buttons, the
review line, the modals; ``stories``: actions recorded in the ledger and shown on the message;
``app``: the slack-bolt app that hears the clicks; ``listen``: Socket Mode or HTTP, started by
``patchbot run``. Kept light: nothing here is imported until a review feature is used.
"""
