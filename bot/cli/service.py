"""``patchbot run`` and ``patchbot status``: the service, and how it is doing."""

from __future__ import annotations

import logging

import click

from bot.cli import cli


@cli.command()
@click.option("--once", is_flag=True, help="Check now, once (post if new), and exit.")
@click.option("--source", help="The source to check, instead of PATCHBOT_SOURCE (e.g. ukhsa).")
@click.pass_context
def run(ctx: click.Context, once: bool, source: str | None) -> None:
    """Run as a service: on each run day at PATCHBOT_RUN_AT (UK time) check the source for a
    new release, poll until PATCHBOT_POLL_UNTIL, post it as `post` does; with a desks file,
    for every desk on its own schedule. With SLACK_APP_TOKEN or SLACK_SIGNING_SECRET it also
    hears reporters' Claim, Approve, Hold and Edit clicks (README, 'Review in Slack'). SIGTERM
    or Ctrl-C finishes the story being posted and exits.

    With --once: one check now (for every desk), then exit (status 0 when posted or nothing
    new, 3 when stories were kept for the next run, 4 when a story failed to draft, 1 on
    errors).
    """
    import os
    import signal
    import threading

    from bot import service
    from bot.config_check import unknown_names
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"], service=True, source=source)
    for finding in unknown_names(ctx.obj["env_file"]):  # a typo is otherwise silently ignored
        click.echo(f"patchbot: {finding}", err=True)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():  # asked twice: quit at once (the ledger makes that safe too)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        stop.set()  # no more: the scheduler and the job notice it

    loggers = [logging.getLogger("bot"), logging.getLogger("apscheduler")]
    levels = [logger.level for logger in loggers]
    loggers[0].setLevel(min(logging.INFO, logging.getLogger().getEffectiveLevel()))
    loggers[1].setLevel(logging.WARNING)  # one line per step is ours
    handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not once:
            service.serve(settings, stop)
            return
        results = service.run_once(settings, stop)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    for desk, result in results:
        who = f"{desk.name}: " if desk.explicit else ""
        click.echo(f"patchbot: run --once: {who}{result.outcome}: {result.detail}", err=True)
    outcomes = {result.outcome for _desk, result in results}
    if outcomes & {service.CheckOutcome.ERROR, service.CheckOutcome.POST_FAILED}:
        ctx.exit(1)
    if any(result.failed for _desk, result in results):
        ctx.exit(4)
    if service.CheckOutcome.KEPT in outcomes:
        ctx.exit(3)


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the service: last check, last release processed, next run, stories, errors."""
    from bot import service
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"], service=True)
    for line in service.status_lines(settings):
        click.echo(line)
