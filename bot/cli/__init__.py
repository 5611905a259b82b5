"""The ``patchbot`` command line: the command group here, one module per group of commands.

Heavy libraries (pyarrow, requests, Jinja2, matplotlib) are imported inside the commands, so that
``patchbot --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from bot import __version__
from bot.errors import PatchbotError
from bot.logs import redact

log = logging.getLogger("bot")
GC_THRESHOLD = 100_000  # objects made before the cycle collector's youngest generation runs


class PatchbotGroup(click.Group):
    """Turns a PatchbotError into one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PatchbotError as error:
            click.echo(f"patchbot: error: {redact(str(error))}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:  # a bug: say so plainly; --debug shows the traceback
            if ctx.obj and ctx.obj.get("debug"):  # redacted: a token must not show even here
                click.echo(redact(traceback.format_exc()).rstrip("\n"), err=True)
                ctx.exit(70)
            click.echo(
                f"patchbot: internal error: {type(error).__name__}: {redact(str(error))} "
                "(run with --debug for details)",
                err=True,
            )
            ctx.exit(70)


@click.group(cls=PatchbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file to read instead of ./.env.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.version_option(__version__, prog_name="patchbot")
@click.pass_context
def cli(ctx: click.Context, env_file: Path | None, verbose: bool, debug: bool) -> None:
    """Patchbot drafts local Covid-19 stories: this week's from the UK Health Security Agency's
    data dashboard (--source ukhsa), or from Public Health England's 2020 neighbourhood data."""
    from bot.logs import configure

    configure(verbose)
    ctx.obj = {"env_file": env_file, "debug": debug}


def main() -> None:
    """The ``patchbot`` command. Once it has finished, the process ends at once, its output
    flushed: the native thread pools of the data libraries (Arrow's) are left to the kernel,
    not torn down by the interpreter at exit, where a worker still alive now and then aborted
    the process ("terminate called without an active exception", exit status 134) after it had
    done its work."""
    # Drafting makes a few hundred thousand small objects that live until the run ends: with
    # the interpreter's default threshold (700) the cycle collector walked them again and
    # again, 4-5% of drafting every council. Cycles are rare here; the collector still runs.
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    # Nothing here does linear algebra, but numpy (imported by pyarrow and matplotlib) starts
    # OpenBLAS, whose pool of one thread per core cost 50 ms of CPU in every run that reads a
    # file or draws. An operator's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        cli(prog_name="patchbot")
        status: object = 0
    except SystemExit as done:
        status = done.code
    if isinstance(status, str):  # as the interpreter would: the message, then status 1
        print(status, file=sys.stderr)
    code = status if isinstance(status, int) else (0 if status is None else 1)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (patchbot ... | head)
            stream.flush()
    os._exit(code)


# The commands register themselves on the group when imported.
# isort: off
from bot.cli import config, drafting, posting, service, templates  # noqa: E402, F401
# isort: on
