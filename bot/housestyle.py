"""House-style filters: how numbers, plurals, lists, dates and rates read in Patchbot's copy.

Every filter the story templates can use lives here, registered in ``FILTERS``. They refuse
``None`` (a suppressed or unknown figure) rather than print "None" or "0": a template must
check ``area.suppressed`` before it prints a count. A misspelt variable reaches a filter as
``Undefined``, which every filter refuses with Jinja's own "is undefined" error (an editor then
reads "unknown variable", not "expected a rate, got Undefined"): looked for in ``_expected``,
once a value has already failed, so the good path pays nothing for it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import TemplateRuntimeError, Undefined, pass_context
from jinja2.runtime import Context

from bot.geography.names import display_names

_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))
_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip


def _refuse_none(value: Any, filter_name: str) -> None:
    if value is None:
        raise TemplateRuntimeError(
            f"{filter_name}: got no figure (a suppressed or unknown count); "
            "check area.suppressed before printing a count"
        )


def _expected(filter_name: str, what: str, value: Any) -> TemplateRuntimeError:
    """The error for a value ``filter_name`` cannot use; a misspelt variable raises its own."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return TemplateRuntimeError(f"{filter_name}: expected {what}, got {value!r}")


def _whole(value: Any, filter_name: str) -> int:
    """The integer a count filter may print, or a clear template error."""
    if type(value) is int:  # nearly every count, so first; not a bool (a subclass of int)
        return value
    _refuse_none(value, filter_name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _expected(filter_name, "a number", value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _expected(filter_name, "a whole number", value)
        value = int(value)
    return int(value)


def figure(value: Any) -> str:
    """Digits with thousands separators: 1234 -> "1,234"; -5 -> "-5"."""
    return f"{_whole(value, 'figure'):,}"


def num(value: Any) -> str:
    """House style for numbers in copy: one to nine in words, 10 and above in figures."""
    return _in_words(_whole(value, "num"))


def _in_words(number: int) -> str:
    """``num`` of a whole number (``counted`` has checked it already, and calls this for one in
    three filters of a story)."""
    return _UNITS[number] if 1 <= number <= 9 else f"{number:,}"


def _spell_below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    parts = []
    if hundreds:
        parts.append(f"{_UNITS[hundreds]} hundred")
    if rest:
        if rest < 20:
            words = _UNITS[rest]
        else:
            tens, units = divmod(rest, 10)
            words = _TENS[tens] + (f"-{_UNITS[units]}" if units else "")
        parts.append(words)
    return " and ".join(parts)


def spelled(value: Any) -> str:
    """The number in words, for the start of a sentence: 13 -> "thirteen",
    147 -> "one hundred and forty-seven", 2001 -> "two thousand and one"."""
    number = _whole(value, "spelled")
    if number < 0:
        return "minus " + spelled(-number)
    if number == 0:
        return "zero"
    groups = []
    for size, name in _SCALES:
        count, number = divmod(number, size)
        if count:
            groups.append(f"{spelled(count)} {name}")
    if number:
        below = _spell_below_thousand(number)
        groups.append(f"and {below}" if groups and number < 100 else below)
    return " ".join(groups)


def plural(value: Any, singular: str, plural_form: str | None = None) -> str:
    """The word that agrees with the count: 1|plural("area") -> "area", 2 -> "areas";
    irregular forms as a second argument: n|plural("has", "have")."""
    return _agreeing(_whole(value, "plural"), singular, plural_form)


def _agreeing(number: int, singular: str, plural_form: str | None) -> str:
    """``plural`` of a whole number, checked already."""
    if abs(number) == 1:
        return singular
    return plural_form if plural_form is not None else singular + "s"


def counted(value: Any, noun: str, plural_form: str | None = None, digits: bool = False) -> str:
    """A count with its noun in house style: 3|counted("area") -> "three areas",
    1|counted("new case", digits=True) -> "1 new case"."""
    number = _whole(value, "counted")
    shown = f"{number:,}" if digits else _in_words(number)
    return f"{shown} {_agreeing(number, noun, plural_form)}"


def lead_count(value: Any, noun: str, plural_form: str | None = None) -> str:
    """A count that opens a story's intro, first word in capitals as the house style has it:
    13 -> "THIRTEEN areas"; large numbers read better as "A TOTAL of 148 areas"."""
    number = _whole(value, "lead_count")
    noun_form = _agreeing(number, noun, plural_form)
    if 0 < number < 100:
        return f"{spelled(number).upper()} {noun_form}"
    return f"A TOTAL of {figure(number)} {noun_form}"


def _finite(value: Any, filter_name: str) -> int | float:
    _refuse_none(value, filter_name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _expected(filter_name, "a rate", value)
    if not math.isfinite(value):
        raise _expected(filter_name, "a finite rate", value)
    return value


def rate(value: Any) -> str:
    """A rate per 100,000 to one decimal place with separators: 1234.56 -> "1,234.6"."""
    return f"{_finite(value, 'rate'):,.1f}"


def percent(value: Any) -> str:
    """A percentage to one decimal place, sign dropped (copy says "up" or "down"), without a
    trailing ".0": -27.1 -> "27.1%", 160.0 -> "160%"."""
    return f"{abs(_finite(value, 'percent')):,.1f}".removesuffix(".0") + "%"


def times(value: Any) -> str:
    """A multiple in words: 2 -> "twice", 3 -> "three times", 1.5 -> "1.5 times"."""
    _refuse_none(value, "times")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return "twice" if value == 2 else f"{num(value)} times"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g} times"
    raise _expected("times", "a number", value)


def _as_date(value: Any, filter_name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _expected(filter_name, "a date", value)


def uk_date(value: Any, year: bool = False) -> str:
    """House-style date: "November 25", or "November 25, 2020" with year=True."""
    day = _as_date(value, "uk_date")
    text = f"{_MONTHS[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if year else text


def listing(items: Iterable[Any], conjunction: str = "and") -> str:
    """Join a list the way copy does: "Darlington, Hartlepool and York"."""
    if items is None or isinstance(items, str):
        raise _expected("listing", "a list of names", items)
    names = list(items)
    if any(item is None for item in names):
        raise TemplateRuntimeError(f"listing: a name is missing (None) in {names!r}")
    words = [str(item) for item in names]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def place(name: Any) -> str:
    """A council or place as running copy names it, with "the" where English needs it
    (bot/geography/names.toml): "Isle of Wight" -> "the Isle of Wight"."""
    if not isinstance(name, str):
        raise _expected("place", "a name", name)
    return display_names().place(name)


def _area(area: Any, filter_name: str) -> dict[str, Any]:
    if not isinstance(area, dict) or "area_name" not in area or "ltla_name" not in area:
        raise _expected(filter_name, "an area", area)
    return area


def _council_goes_without_saying(context: Context, area: dict[str, Any]) -> bool:
    """In a one-council patch the council is not repeated after each area; nor is it after an
    area named in it ("City of London", in Hackney and the City of London), or after a
    council-level area (which is the council itself)."""
    patch = context.get("patch")
    one_council = isinstance(patch, dict) and len(patch.get("councils") or ()) == 1
    name, council = str(area["area_name"]), str(area["ltla_name"])
    return one_council or name == council or council.endswith(f" {name}")


@pass_context
def where(context: Context, areas: Any, lead: bool = False) -> str:
    """An area (or a list of areas) as running copy places it: "Park East in Darlington";
    "Armley and Wortley in Leeds"; just "Park East" in a patch of one council. ``lead=True``
    puts the area's name in capitals, as an intro opens: "PARK EAST in Darlington"."""
    if isinstance(areas, list | tuple):
        chosen = [_area(area, "where") for area in areas]
    else:
        chosen = [_area(areas, "where")]
    groups: dict[str, list[str]] = {}
    for area in chosen:
        name = place(str(area["area_name"]))
        name = name.upper() if lead else name
        council = "" if _council_goes_without_saying(context, area) else area["ltla_name"]
        groups.setdefault(council, []).append(name)
    parts = [
        f"{listing(names)} in {place(council)}" if council else listing(names)
        for council, names in groups.items()
    ]
    if len(parts) > 1 and any(len(names) > 1 for names in groups.values()):
        return f"{', '.join(parts[:-1])}, and {parts[-1]}"  # "A and B in X, and C in Y"
    return listing(parts)


@pass_context
def area_label(context: Context, area: Any) -> str:
    """An area as a list line names it: "Park East, Darlington"; "Park East" alone in a patch
    of one council."""
    area = _area(area, "area_label")
    if _council_goes_without_saying(context, area):
        return str(area["area_name"])
    return f"{area['area_name']}, {area['ltla_name']}"


FILTERS: dict[str, Callable[..., str]] = {
    "figure": figure,
    "num": num,
    "spelled": spelled,
    "plural": plural,
    "counted": counted,
    "lead_count": lead_count,
    "rate": rate,
    "percent": percent,
    "times": times,
    "uk_date": uk_date,
    "listing": listing,
    "where": where,
    "area_label": area_label,
    "place": place,
}
