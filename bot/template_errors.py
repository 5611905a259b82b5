"""Template mistakes in an editor's words: where the mistake is and what to do about it.

Jinja2 reports an unclosed ``{% if %}`` at the end of the file and an unknown field as
"'dict object' has no attribute"; editors need the line where the ``if`` opened and "did you
mean 'place'". ``templates check``, ``preview`` and ``draft`` all describe errors through here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import jinja2

# Tags that open a block, each closed by end<tag> ({% set %} only without an "=").
BLOCK_TAGS = ("if", "for", "macro", "call", "filter", "block", "with", "autoescape", "raw", "set")
TAGS = (*BLOCK_TAGS, "elif", "else", "include", "import", "from", "extends", "do")
_TAG = re.compile(r"\{%[-+]?\s*(\w+)([^%]*)")
_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_UNKNOWN_TAG = re.compile(r"Encountered unknown tag '(\w+)'\.(?: Jinja was looking for (.*))?")
_QUOTED = re.compile(r"'(\w+)'")


def closest(name: str, options: Iterable[str]) -> str | None:
    """The option ``name`` was most likely meant to be, if one is close."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, options: Iterable[str], shown: str = "'{}'") -> str:
    """Words like `` (did you mean 'place'?)``, or nothing when no option is close."""
    match = closest(name, options)
    return f" (did you mean {shown.format(match)}?)" if match else ""


def open_block_line(source: str) -> tuple[str, int] | None:
    """(tag, line) of the innermost block tag in ``source`` that is never closed."""
    text = _COMMENT.sub(lambda match: "\n" * match.group().count("\n"), source)
    stack: list[tuple[str, int]] = []
    for match in _TAG.finditer(text):
        tag, rest = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if tag in BLOCK_TAGS and not (tag == "set" and "=" in rest):
            stack.append((tag, line))
        elif tag.startswith("end") and stack and stack[-1][0] == tag[3:]:
            stack.pop()
    return stack[-1] if stack else None


def describe_syntax(error: jinja2.TemplateSyntaxError, source: str) -> tuple[int, str]:
    """(line, message) for a template that cannot be read, the line being where the editor
    must look (for an unclosed block: where it opened, not the end of the file)."""
    message = error.message or ""
    line = error.lineno or 1
    if message.startswith("Unexpected end of template"):
        opened = open_block_line(source)
        if opened is not None:
            tag, line = opened
            return line, f"this {{% {tag} %}} is never closed: add {{% end{tag} %}} where it ends"
        return line, "the template ends inside a {% ... %} block that is never closed"
    unknown = _UNKNOWN_TAG.match(message)
    if unknown:
        return line, _unknown_tag(unknown.group(1), _QUOTED.findall(unknown.group(2) or ""))
    return line, _plain(message)


def _unknown_tag(tag: str, expected: list[str]) -> str:
    if tag.startswith("end") and tag[3:] in BLOCK_TAGS:
        return f"{{% {tag} %}} closes nothing: there is no {{% {tag[3:]} %}} open before it"
    if tag in ("elif", "else"):
        return f"{{% {tag} %}} is outside any {{% if %}} (or {{% for %}})"
    hint = did_you_mean(tag, [*expected, *TAGS], "{{% {} %}}")
    return f"{{% {tag} %}} is not a template tag{hint or ' (see story_templates/README.md)'}"


_PLAIN = [
    (re.compile(r"expected token 'end of print statement', got '(.*)'"),
     "a {{{{ ... }}}} is not closed with }}}} before '{0}', or a | is missing before a filter"),
    (re.compile(r"unexpected end of template, expected 'end of print statement'"),
     "a {{{{ is not closed with }}}}"),
    (re.compile(r"expected token 'end of statement block', got '(.*)'"),
     "a {{% ... %}} is not closed with %}} before '{0}'"),
    (re.compile(r"unexpected '(.)', expected '\)'"), "a ( is not closed with ) before '{0}'"),
    (re.compile(r"unexpected '([)\]}])'"), "a '{0}' with nothing to close"),
    (re.compile(r"Missing end of comment tag"), "a {{# comment is not closed with #}}"),
    (re.compile(r"unexpected char ['\"]([\"'])['\"] at \d+"),
     "a text in quotes is not closed: end it with {0}"),
    (re.compile(r"unexpected char '(.)' at \d+"), "'{0}' cannot be used in template code"),
]  # fmt: skip


def _plain(message: str) -> str:
    for pattern, words in _PLAIN:
        match = pattern.search(message)
        if match:
            return words.format(*match.groups())
    return f"the template code here cannot be read ({message.replace('Jinja', 'the template')})"


_RUNTIME = [  # Jinja's message -> the editor's words; {0} is the name, {hint} a "did you mean"
    (re.compile(r"'(\w+)' is undefined"), "unknown variable '{0}'{hint}"),
    (re.compile(r"has no attribute '(\w+)'"), "unknown field '{0}'{hint}"),
    (re.compile(r"list object has no element (-?\d+)"),
     "the list has no item {0} (lists count from 0): check its length first"),
    (re.compile(r"access to attribute '(\w+)' of .* is unsafe"),
     "'{0}' is not allowed in templates"),
]  # fmt: skip


def describe_runtime(message: str, names: Iterable[str]) -> str:
    """A render error in words; ``names`` are the variables and fields the story has, for a
    "did you mean"."""
    for pattern, words in _RUNTIME:
        found = pattern.search(message)
        if found:
            return words.format(found.group(1), hint=did_you_mean(found.group(1), names))
    return message
