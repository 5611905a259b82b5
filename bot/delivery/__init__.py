"""Delivery: drafts to where reporters read them, through the ledger, each story once.

``target`` says what a delivery target must do and finds one by name (``target_for``);
``courier`` sends a desk's posts to a target, resumably, by idempotency keys; ``alerts`` tells
the ops channel, once a day per problem; ``slack`` is the first target (its Web API calls in
``slack_client``, over kept-alive connections from ``keepalive``).
"""

from bot.delivery.alerts import OpsAlerts, alert
from bot.delivery.courier import (
    Courier,
    DeliveryReport,
    Routing,
    deliver,
    file_name,
    label,
    ledger_draft,
    plain_copy,
    register,
)
from bot.delivery.slack import Slack
from bot.delivery.slack_client import SlackFailure
from bot.delivery.target import TARGETS, DeliveryFailure, Target, register_target, target_for

__all__ = [
    "TARGETS",
    "Courier",
    "DeliveryFailure",
    "DeliveryReport",
    "OpsAlerts",
    "Routing",
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
