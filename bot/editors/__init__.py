"""The editors' toolkit: check templates, preview a story, and document every variable.

``check`` parses every template and every headline/intro in ``stories.toml``, reports syntax
errors, unknown variables and unknown filters with ``file:line`` (``static``), then renders
every story and every variant against edge cases built from the real bundled data
(``fixtures``: one area, ties, all suppressed, a very long list, nothing to report) and flags
copy problems such as "1 areas" (``rendered``). ``slack_preview`` draws a draft as Slack will
show it (``preview``); ``editors_guide`` writes story_templates/README.md (``guide``).
"""

from bot.editors.checks import check
from bot.editors.guide import editors_guide
from bot.editors.preview import slack_preview
from bot.editors.problem import Problem

__all__ = ["Problem", "check", "editors_guide", "slack_preview"]
