"""Reading ``stories.toml`` section by section, each mistake said where it is, in words.

A mistake in one story's section (a missing quote or comma, ``top = twenty``) must hold only
that story, so when the file as a whole cannot be read each ``[section]`` is read on its own.
The TOML reader's own messages ("Invalid value", an unclosed array reported on the line after
the missing comma) are turned into the line the editor must look at and what to write there.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import PatchbotError
from bot.template_errors import did_you_mean

FILE = "stories.toml"
_HEADER = re.compile(r"^\[\s*([A-Za-z0-9_-]+)\s*\][ \t]*(?:#.*)?$", re.MULTILINE)
_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=\s*(.*?)\s*(?:#.*)?$")

# What a key takes in a section, in words ("a whole number like 20"), for "top = twenty":
# (section, or None before the first one; key) -> words.
KeyHelp = Callable[[str | None, str], str]


@dataclass(frozen=True)
class Mistake:
    """Something wrong in stories.toml: its line (None when nothing is there to point at,
    like a missing section) and what to do, in words."""

    line: int | None
    message: str

    @property
    def where(self) -> str:
        return f"{FILE}:{self.line}" if self.line else FILE

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Section:
    name: str
    line: int  # where its [name] header is
    text: str  # its lines, header included
    table: dict[str, Any]  # empty when ``mistake`` says why it cannot be read
    mistake: Mistake | None = None

    def line_of(self, key: str) -> int:
        """The line ``key = ...`` is on (the header's when the key is not there)."""
        found = re.search(rf"^\s*{re.escape(key)}\s*=", self.text, re.MULTILINE)
        return self.line + self.text.count("\n", 0, found.start()) if found else self.line


def read_sections(text: str, key_help: KeyHelp) -> list[Section]:
    """Every ``[section]`` of the file, in order. Only a mistake before the first section
    (where no story can be blamed) makes the whole file unreadable: a PatchbotError."""
    starts = [match.start() for match in _HEADER.finditer(text)]
    preamble = text[: starts[0]] if starts else text
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        document = None
        try:
            tomllib.loads(preamble)
        except tomllib.TOMLDecodeError as preamble_error:
            mistake = translate(preamble_error, preamble, 1, None, key_help)
            raise PatchbotError(str(mistake)) from None
        if not starts:
            raise PatchbotError(str(translate(error, text, 1, None, key_help))) from None
    sections: list[Section] = []
    seen: dict[str, int] = {}
    for index, start in enumerate(starts):
        chunk = text[start : starts[index + 1] if index + 1 < len(starts) else len(text)]
        line = text.count("\n", 0, start) + 1
        name = _HEADER.match(chunk)[1]  # type: ignore[index]  # a chunk starts with its header
        if name in seen:
            mistake = Mistake(line, f"[{name}] is in the file twice (first at line {seen[name]}): "
                              "keep one and move its settings into it")  # fmt: skip
            sections.append(Section(name, line, chunk, {}, mistake))
            continue
        seen[name] = line
        if document is not None:
            sections.append(Section(name, line, chunk, dict(document.get(name, {}))))
            continue
        try:
            sections.append(Section(name, line, chunk, dict(tomllib.loads(chunk).get(name, {}))))
        except tomllib.TOMLDecodeError as error:
            mistake = translate(error, chunk, line, name, key_help)
            said = Mistake(mistake.line, f"[{name}] {mistake.message}")
            sections.append(Section(name, line, chunk, {}, said))
    return sections


def translate(
    error: tomllib.TOMLDecodeError,
    text: str,
    first_line: int,
    section: str | None,
    key_help: KeyHelp,
) -> Mistake:
    """The TOML reader's message as the line to look at and what to do there."""
    message = str(error)
    at = _AT.search(message)
    reason = message[: at.start()] if at else message
    lines = text.splitlines() or [""]
    number = int(at[1]) if at and at[1] else len(lines)  # "at end of document": the last line
    number = min(number, len(lines))
    line = lines[number - 1]

    def mistake(line_number: int, words: str) -> Mistake:
        return Mistake(first_line + line_number - 1, words)

    if reason in ("Found invalid character '\\n'", "Illegal character '\\n'"):
        quote = next((char for char in line if char in "'\""), "'")
        return mistake(number, f"a text is not closed: end it with {quote} on this line")
    if reason in ('Expected "\'"', "Expected '\"'"):  # no closing quote before the end
        quote = reason[-2]
        return mistake(_closing_line(lines, quote), f"a text is not closed: end it with {quote}")
    if reason.startswith(("Expected \"'''\"", 'Expected \'"""\'')):
        quote = "'''" if "'''" in reason else '"""'
        opened = _unclosed(lines, quote)
        return mistake(opened, f"the text that starts with {quote} here is not closed with {quote}")
    if reason == "Unclosed array" or (reason == "Invalid value" and line.lstrip().startswith("[")):
        return _unclosed_list(lines, number, mistake)
    if reason == "Invalid value":
        return mistake(number, _bad_value(line, lambda key: key_help(section, key)))
    plain = {
        "Cannot overwrite a value": "this setting is given twice in the section: keep one",
        "Expected '=' after a key in a key/value pair": "a setting needs a value: name = value",
        "Expected ']' at the end of a table declaration": "a section name goes in [ ], e.g. "
        "[weekly_roundup]",
        "Expected newline or end of document after a statement": "there is more after the "
        "value: one setting per line (a missing quote or comma?)",
    }
    words = plain.get(reason, f"this line cannot be read ({reason[:1].lower()}{reason[1:]})")
    return mistake(number, words)


def _closing_line(lines: list[str], quote: str) -> int:
    """The line whose text lacks its closing quote: the first one that, closed, makes the
    rest readable (the reader only notices at the end of the file)."""
    for index, line in enumerate(lines):
        body = line.rstrip()
        comma = "," if body.endswith(",") else ""
        mended = [*lines[:index], body.removesuffix(",") + quote + comma, *lines[index + 1 :]]
        try:
            tomllib.loads("\n".join(mended))
        except tomllib.TOMLDecodeError:
            continue
        return index + 1
    return len(lines)


def _unclosed(lines: list[str], quote: str) -> int:
    """The line of the last ``quote`` that opens a text and is never closed."""
    opened = 0
    for number, line in enumerate(lines, 1):
        for _ in range(line.count(quote)):
            opened = 0 if opened else number
    return opened or len(lines)


def _unclosed_list(
    lines: list[str], number: int, mistake: Callable[[int, str], Mistake]
) -> Mistake:
    """A list that does not end where TOML expected: usually a comma missing at the end of
    the line before (TOML notices on the next item), else a ] missing."""
    before = next(
        (n for n in range(number - 1, 0, -1) if lines[n - 1].strip()
         and not lines[n - 1].lstrip().startswith("#")),
        None,
    )  # fmt: skip
    new_item = lines[number - 1].lstrip().startswith(("'", '"'))
    if new_item and before and lines[before - 1].rstrip().endswith(("'", '"')):
        return mistake(before, "a comma is missing at the end of this line (between two texts)")
    opened = next((n for n in range(number, 0, -1) if re.search(r"=\s*\[", lines[n - 1])), number)
    return mistake(opened, "the list that starts with [ here is not closed with ]")


def _bad_value(line: str, key_help: Callable[[str], str]) -> str:
    found = _KEY_VALUE.match(line)
    if not found:
        return "this is not a text in quotes, a number, or true or false: put texts in quotes"
    key, value = found[1], found[2]
    expected = key_help(key)
    if not value:
        return f"{key} = needs its value on the same line: {expected}"
    hint = did_you_mean(value.lower(), ["true", "false"]) if "true or false" in expected else ""
    return f"{key} must be {expected}, not {value}{hint}"
