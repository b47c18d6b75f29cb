"""Operator commands: ``deadletters list|show|replay``, ``stack start|stop|status``, ``env``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lienthong.cli_output import console, fail, say, warn
from lienthong.settings import Settings

deadletters_app = typer.Typer(
    help="Messages that could not be processed: list them, show one, replay after a fix.",
    no_args_is_help=True,
)
stack_app = typer.Typer(
    help="The deployables as local processes: start them, see them, stop exactly those.",
    no_args_is_help=True,
)

IdsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="partition:offset in the dead-letter topic, topic\\[partition]@offset of the "
        "original, or an event id (or its first characters)",
        metavar="ID",
        show_default=False,
    ),
]


@deadletters_app.command("list")
def list_command() -> None:
    """Every dead letter: id, when, which deployable, where it was read, what, why."""
    from lienthong.client.deadletters import list_lines, read_dead_letters

    settings = Settings()
    entries = read_dead_letters(settings)
    for line in list_lines(entries):
        say(line)
    console.print(f"{len(entries)} dead letters in {settings.topic('deadletter')}")


@deadletters_app.command("show")
def show_command(
    dead_letter: Annotated[str, typer.Argument(metavar="ID", help="One dead letter")],
) -> None:
    """One dead letter in full, with its original event decoded where possible."""
    from lienthong.client.deadletters import describe, read_dead_letters, select

    (entry,) = select(read_dead_letters(Settings()), [dead_letter])
    for line in describe(entry):
        say(line)


@deadletters_app.command("replay")
def replay_command(
    ids: IdsArgument = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter")] = False,
    force: Annotated[
        bool, typer.Option(help="Send also those that would fail the same way again")
    ] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait until their deployables have read them again")
    ] = 0.0,
) -> None:
    """Publish the originals again (same key and headers) to the topic a deployable reads.

    Skipped, with the reason: a dead letter naming a topic no deployable reads (always), and one
    that would fail again (its original does not decode, breaks the dossier's structure, or is
    about a dossier the hub has still not received) unless --force. Exit code 3 when any was
    skipped (or, with --wait, not read again in time).
    """
    from lienthong.client.deadletters import read_dead_letters, select
    from lienthong.client.replay import replay, wait_until_read

    if bool(ids) == all_:
        fail("name dead letters to replay, or give --all (not both)", 2)
    settings = Settings()
    entries = read_dead_letters(settings)
    chosen = entries if all_ else select(entries, ids or [])
    done, skipped = replay(settings, chosen, force=force)
    for sent in done:
        say(f"{sent.entry.position} -> {sent.topic}[{sent.partition}]@{sent.offset}")
    unread = wait_until_read(settings, done, wait) if wait else []
    if wait and done:
        say(f"{len(done) - len(unread)} of {len(done)} read again by their deployable")
    for skip in skipped:
        say(f"{skip.entry.position} skipped: {skip.why}")
    summary = f"replayed {len(done)} of {len(chosen)} dead letters"
    forcible = sum(s.forcible for s in skipped)
    if forcible and not force:
        summary += f"; --force sends the {forcible} that would fail again"
    say(summary)
    if skipped or unread:
        raise typer.Exit(3)


@stack_app.command("start")
def stack_start(
    ready_timeout: Annotated[float, typer.Option(help="Seconds to wait for every consumer")] = 90.0,
) -> None:
    """Start the broker (unless one answers) and the four deployables, then return."""
    from lienthong.broker.local import LocalBroker
    from lienthong.runtime import detached
    from lienthong.runtime.stack import LocalStack
    from lienthong.worker import prepare_topics

    settings = Settings()
    detached.refuse_second(settings)
    broker = LocalBroker(settings)
    started = broker.start()
    say(started.message)
    stack = LocalStack(settings, settings.state_dir.parent / "logs" / settings.topic_prefix)
    try:
        prepare_topics(settings)
        with console.status("starting hub, civil-registry, residence, health-insurance..."):
            stack.start(ready_timeout)  # stops the workers it started if they do not come up
    except BaseException:
        if started.started:  # leave nothing behind that this command started
            broker.stop()
        raise
    path = detached.save(settings, detached.record(stack, started.started))
    for worker in stack.workers:
        say(f"{worker.label:19} pid {worker.process.pid}, log {worker.log}")
    say(f"topic prefix {settings.topic_prefix}; the stack is recorded in {path}")
    say(
        'in another shell, talk to it after: eval "$(lienthong env)"; stop it: lienthong stack stop'
    )


@stack_app.command("stop")
def stack_stop() -> None:
    """Stop the recorded deployables by their PIDs, then the broker if `stack start` started it."""
    from lienthong.broker.local import LocalBroker
    from lienthong.runtime import detached

    settings = Settings()
    recorded = detached.load(settings)
    if recorded is None:
        fail(f"no stack recorded in {detached.stack_file(settings)}: nothing to stop")
    with console.status("stopping deployables (SIGTERM, then wait)..."):
        lines = detached.stop(recorded)
    for line in lines:
        say(line)
    if recorded.broker_started:
        say(LocalBroker(settings).stop().message)
    detached.stack_file(settings).unlink(missing_ok=True)


@stack_app.command("status")
def stack_status() -> None:
    """Each recorded deployable (running or not), the broker, and who reads the intake topic."""
    from lienthong.broker.local import LocalBroker
    from lienthong.client.readers import nobody_reads_intake
    from lienthong.runtime import detached

    settings = Settings()
    recorded = detached.load(settings)
    broker = LocalBroker(settings).status()
    say(broker.message)
    if recorded is None:
        say(f"no stack recorded in {detached.stack_file(settings)}")
        raise typer.Exit(1)
    for worker in recorded.workers:
        state = "running" if detached.alive(worker) else "not running"
        say(f"{worker.label:19} pid {worker.pid} {state}")
    prefix = recorded.env.get("LIENTHONG_TOPIC_PREFIX", "?")
    say(f"topic prefix {prefix}, logs in {recorded.log_dir}")
    warning = nobody_reads_intake(settings) if broker.answering else None
    if warning:
        warn(warning)
    if not broker.answering or warning or not all(detached.alive(w) for w in recorded.workers):
        raise typer.Exit(1)


def env_command() -> None:
    """Print the exports that point this shell at the running stack: eval "$(lienthong env)"."""
    from lienthong.runtime import detached

    settings = Settings()
    recorded = detached.running(settings)
    if recorded is None:
        fail(
            f"no running stack recorded in {detached.stack_file(settings)}; "
            "start one with `lienthong stack start` (or `lienthong demo --keep-running`)"
        )
    for line in detached.shell_lines(recorded.env):
        sys.stdout.write(line + "\n")
