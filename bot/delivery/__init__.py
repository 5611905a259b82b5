"""Delivery: drafts to where reporters read them, through the ledger, each story once.

``target`` says what a delivery target must do and finds one by name (``target_for``);
``courier`` sends the ledger's posts to a target, resumably; ``slack`` is the first target.
"""

from bot.delivery.courier import (
    Courier,
    DeliveryReport,
    alert,
    deliver,
    file_name,
    label,
    ledger_draft,
    plain_copy,
    register,
)
from bot.delivery.slack import Slack, SlackFailure
from bot.delivery.target import TARGETS, DeliveryFailure, Target, register_target, target_for

__all__ = [
    "TARGETS",
    "Courier",
    "DeliveryFailure",
    "DeliveryReport",
    "Slack",
    "SlackFailure",
    "Target",
    "alert",
    "deliver",
    "file_name",
    "label",
    "ledger_draft",
    "plain_copy",
    "register",
    "register_target",
    "target_for",
]
