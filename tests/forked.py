"""``patchbot`` in a process forked from a server that has already imported Patchbot (pandas,
matplotlib...), so a test can start, and SIGKILL, dozens of real processes in seconds.

The child runs the real command line, exactly as ``python -m bot`` would, in a process of its
own: its state, its sockets and its death are real. Only the imports are done beforehand.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path

PRELOAD = ["bot.cli", "bot.pipeline", "bot.delivery", "bot.pictures", "bot.context", "slack_sdk"]


def forkserver() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _main(args: list[str], env: dict[str, str], cwd: str, log: str) -> None:
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    from bot.cli import cli

    try:
        cli.main(args, prog_name="patchbot")
    except SystemExit as done:
        os._exit(done.code if isinstance(done.code, int) else 1)
    os._exit(0)


def start(
    context: ForkServerContext, args: list[str], env: dict[str, str], cwd: Path, log: Path
) -> BaseProcess:
    """``patchbot ARGS`` running in a process of its own, its output in ``log``."""
    process = context.Process(target=_main, args=(args, env, str(cwd), str(log)), daemon=True)
    process.start()
    return process
