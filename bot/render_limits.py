"""Bounds on rendering one template: a time limit and an output limit.

An editor's template is code: a nested loop can run for hours, and a loop that prints can make
megabytes of "story". The sandbox keeps a template away from Python's internals, not from
wasting time, so rendering here is bounded three ways:

- **Time** (``PATCHBOT_RENDER_SECONDS``): every template is compiled with a look at the clock
  at the top of each loop iteration (a filtered loop's test too), at the start of every macro,
  block and scope, and before every ``if``. Time is only spent in loops and calls, so a
  template past its deadline stops within one iteration. The deadline is per thread: it works
  the same in the service's worker threads as on the main thread. (A trace function on every
  line did the same at three times the cost of rendering.)
- **Output** (``PATCHBOT_RENDER_MAX_CHARS``): the output is gathered piece by piece and stops as
  soon as it is too long; a repeated string or list (``"x" * 10**9``) longer than the limit is
  refused before it is built.
- **Recursion**: a macro that calls itself without end is one line, not a RecursionError.

Each is a ``PatchbotError`` naming the template, so the story is held and the others go on.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext, Node
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from bot.errors import PatchbotError

_DICT_ATTRIBUTES = frozenset(dir(dict))
MAX_EXPONENT = 1_000
# Pieces of output taken between looks at its length: a piece is at most a few hundred
# characters unless a filter made it (``replace``, ``*`` and ``center`` are refused before
# they build anything too long), so the output cannot outrun the limit by much.
PIECES = 32  # 10 ** 1000 is already far beyond any figure in a story


@dataclass(frozen=True)
class RenderLimits:
    seconds: float = 5.0
    max_chars: int = 400_000  # all England's weekly round-up is 195,000


DEFAULT_LIMITS = RenderLimits()


class _OutOfTime(Exception):
    """Raised inside the template's code by the deadline check."""


GENERATOR_VERSION = 1  # of the code templates compile to: kept compiled code is by version


class _Deadline(threading.local):
    """The rendering in progress on this thread: its deadline (none: never)."""

    at = math.inf


_deadline = _Deadline()
_CHECK = "environment.check_deadline()"  # the compiled look at the clock


class _DeadlineCodeGenerator(CodeGenerator):
    """Jinja's code generator, adding ``_CHECK`` where a template can spend time: each frame
    it enters (a loop's body on every iteration, a macro, block or scope when it starts) and
    before each ``if`` (a filtered loop's test runs once per item, in a loop of its own)."""

    def enter_frame(self, frame: Frame) -> None:
        self.writeline(_CHECK)
        super().enter_frame(frame)

    def writeline(self, x: str, node: Node | None = None, extra: int = 0) -> None:
        if x == "if ":  # the start of an if statement, never an elif or else
            super().writeline(_CHECK, node, extra)
            extra = 0
        super().writeline(x, node, extra)


def render_bounded(
    template: jinja2.Template,
    context: dict[str, Any],
    limits: RenderLimits,
    name: str,
    shared: bool = False,
) -> str:
    """``template`` rendered within ``limits``; a PatchbotError naming ``name`` otherwise.

    ``shared``: ``context`` already holds the environment's globals (``range``...) and is used
    as it is, not copied with them (as Jinja does for every rendering); Jinja never changes it.
    """
    pieces: list[str] = []
    size = 0
    outer = _deadline.at  # a rendering inside another keeps its bound
    _deadline.at = min(outer, time.monotonic() + limits.seconds)
    # Template.generate without its extra generator layer, taken PIECES at a time: a story
    # is 40-200 small pieces, and looking at each one alone was a tenth of rendering.
    rendering = template.root_render_func(template.new_context(context, shared))
    try:
        while True:
            batch = list(itertools.islice(rendering, PIECES))
            size += sum(map(len, batch))
            if size > limits.max_chars:
                raise PatchbotError(
                    f"{name}: the story came out longer than PATCHBOT_RENDER_MAX_CHARS="
                    f"{limits.max_chars:,} characters (a loop printing too much?); held"
                )
            pieces += batch
            if len(batch) < PIECES:  # it has ended: not asked again (a headline is one batch)
                break
    except _OutOfTime:
        raise PatchbotError(
            f"{name}: rendering took longer than PATCHBOT_RENDER_SECONDS={limits.seconds:g} "
            "seconds (a loop without end, or nested too deep?); held"
        ) from None
    except RecursionError:
        raise PatchbotError(
            f"{name}: a macro or include calls itself without end (recursion); held"
        ) from None
    except PatchbotError:
        raise
    except Exception:  # as generate does: the traceback given the template's own lines
        try:
            template.environment.handle_exception()
        except jinja2.TemplateError:
            raise  # the callers name the variable or the syntax
        except Exception as error:  # 1/0, a filter given the wrong kind of value...
            raise PatchbotError(_failed(name, template, error)) from None
    finally:
        _deadline.at = outer
    return "".join(pieces)


def _failed(name: str, template: jinja2.Template, error: Exception) -> str:
    """One line for a Python error inside a template, at the template's line when known: an
    editor's slip holds that story, never the run."""
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f.lineno for f in frames if template.filename and f.filename == template.filename]
    where = f"{name}:{lines[-1]}" if lines else name
    what = " ".join(str(error).split())[:200]
    return (
        f"{where}: {type(error).__name__}: {what} (an operation or filter in the template "
        "failed on these values); held"
    )


class _Context(Context):
    """Jinja's context, made for each rendering and include (8,600 in a run of every council)
    without listing the names of the template's globals into a set each time: only
    ``{% import %}`` reads them, and gets them listed when it does. Otherwise as Jinja makes it
    (tests/test_render_context.py compares the two)."""

    def __init__(
        self,
        environment: jinja2.Environment,
        parent: dict[str, Any],
        name: str | None,
        blocks: dict[str, Callable[[Context], Iterator[str]]],
        globals: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.parent = parent
        self.vars = {}
        self.environment = environment
        self.eval_ctx = EvalContext(environment, name)
        self.exported_vars = set()
        self.name = name
        self._globals = globals
        self.blocks = {key: [block] for key, block in blocks.items()} if blocks else {}

    @property  # read, never written, once the context is made
    def globals_keys(self) -> set[str]:  # type: ignore[override]
        return set() if self._globals is None else set(self._globals)


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, refusing a repeated string or list, or a power, too large to be copy."""

    intercepted_binops = frozenset({"*", "**"})
    max_chars = RenderLimits.max_chars
    code_generator_class = _DeadlineCodeGenerator
    context_class = _Context

    @staticmethod
    def check_deadline() -> None:
        """Stop the template once this thread's rendering has run out of time."""
        if time.monotonic() > _deadline.at:
            raise _OutOfTime

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shipped_replace, shipped_center = self.filters["replace"], self.filters["center"]

        @jinja2.pass_eval_context
        def replace(eval_ctx: Any, text: Any, old: Any, new: Any, count: int | None = None) -> Any:
            """``replace``, refused before it runs when what it makes would be too long."""
            if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
                times = (text.count(old) if old else len(text) + 1) if count is None else count
                grows = times * max(len(new) - len(old), 0)
                self._refuse_longer(len(text) + grows, "replacing text")
            return shipped_replace(eval_ctx, text, old, new, count)

        def center(value: Any, width: int = 80) -> Any:
            self._refuse_longer(width, f"centring in {width:,} characters")
            return shipped_center(value, width)

        self.filters.update(replace=replace, center=center)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # A story's facts are plain dictionaries, so ``area.rate`` is an item: Jinja asks for
        # the attribute first, raising and catching an AttributeError on every lookup. Nothing
        # changes but the cost: a plain dict has no attribute outside ``dir(dict)``.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"a power of {right} is too large for a story")
        if operator == "**" and _power_bits(left, right) > 4 * self.max_chars:
            # (10 ** 1000) ** 1000: each exponent small, the number a million digits long
            raise SecurityError("a power with more digits than a story has characters")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    self._refuse_longer(_size(sequence) * times, f"repeating {len(sequence):,} "
                                        f"characters or items {times:,} times")  # fmt: skip
        return super().call_binop(context, operator, left, right)

    def _refuse_longer(self, size: int, what: str) -> None:
        if size > self.max_chars:
            raise SecurityError(
                f"{what} is longer than PATCHBOT_RENDER_MAX_CHARS={self.max_chars:,}"
            )


def _power_bits(base: Any, exponent: Any) -> int:
    """Roughly how many bits ``base ** exponent`` takes (0 unless both are whole numbers)."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        return abs(base).bit_length() * exponent
    return 0


def _size(sequence: str | list[Any] | tuple[Any, ...]) -> int:
    """Characters a repeated string makes, or roughly what a repeated list prints: a list of
    one long string repeated is as long as the string repeated."""
    if isinstance(sequence, str):
        return len(sequence)
    return max(len(sequence), sum(len(item) if isinstance(item, str) else 1 for item in sequence))
