"""``watchkeeper consume``: score events from partitioned Redis streams (:mod:`watchkeeper.stream`).

Like ``serve``, it refuses a cold online state unless ``--allow-cold-state``
(:func:`~watchkeeper.cli.serve_command.refuse_cold_state`), moves the logged predictions to
Delta from a flusher process of its own at idle priority (``serve``'s
:class:`~watchkeeper.serving.log_flusher.LogFlusher`, restarted if it dies, a last flush at
the stop: a flush in the consumer's thread held its GIL), and freezes its startup heap once
the models are loaded (``gc.freeze``, as ``serve`` does). ``SIGTERM`` and ``SIGINT`` end the
loop after the batch in hand.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.app import WorkspaceOption, app
from watchkeeper.cli.output import stderr
from watchkeeper.cli.serve_command import ALLOW_COLD_HELP, refuse_cold_state
from watchkeeper.stream.partitions import DEFAULT_PARTITIONS, DEFAULT_PREFIX

STOP_FLUSH_SECONDS = 30.0
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@app.command("consume")
def consume(
    workspace: WorkspaceOption = Path(),
    redis_url: Annotated[
        str,
        typer.Option(
            "--redis-url", envvar="WATCHKEEPER_STREAM_REDIS_URL", help="The Redis of the streams."
        ),
    ] = DEFAULT_REDIS_URL,
    stream: Annotated[
        str,
        typer.Option(
            "--stream",
            help="Prefix of the stream names: PREFIX:events:N in, PREFIX:decisions and "
            "PREFIX:dead out.",
        ),
    ] = DEFAULT_PREFIX,
    partitions: Annotated[
        int,
        typer.Option(
            "--partitions", min=1, max=1024, help="Input partitions (as the producers hash)."
        ),
    ] = DEFAULT_PARTITIONS,
    group: Annotated[str, typer.Option("--group", help="The consumer group.")] = "watchkeeper",
    consumer: Annotated[
        str | None,
        typer.Option(
            "--consumer",
            help="This consumer's name in the group (default: HOST-PID); restarted under the "
            "same name, it takes its partitions and pending entries back at once.",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=10_000, help="Entries per batch at most.")
    ] = 500,
    max_owned: Annotated[
        int | None,
        typer.Option(
            "--max-owned",
            min=1,
            help="Partitions this consumer owns at most (default: all); about "
            "partitions / consumers spreads them.",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", min=1, max=65535, help="Serve /metrics on this port."),
    ] = None,
    allow_cold_state: Annotated[
        bool, typer.Option("--allow-cold-state", help=ALLOW_COLD_HELP)
    ] = False,
) -> None:
    """Score events read from Redis streams and publish each decision to PREFIX:decisions.

    Each entity's events go to one partition (watchkeeper.stream.publish hashes the key);
    one consumer owns a partition at a time. Predictions are logged as /v1/score logs them,
    idempotent by event id; a malformed entry is acknowledged, logged to rejections and sent
    to PREFIX:dead. SIGTERM finishes the batch in hand, acknowledges it and flushes.
    """
    from watchkeeper.features.state.store import state_backend
    from watchkeeper.serving.flusher_supervisor import FlusherSupervisor
    from watchkeeper.serving.log_flusher import LogFlusher
    from watchkeeper.stream.consumer import StreamConsumer
    from watchkeeper.stream.metrics import serve_metrics
    from watchkeeper.stream.partitions import StreamNames
    from watchkeeper.stream.redis_streams import connect
    from watchkeeper.workspace import Workspace

    client = connect(redis_url)
    name = consumer or f"{socket.gethostname()}-{os.getpid()}"
    with Workspace.open(workspace) as opened:
        refuse_cold_state(opened, allow_cold_state, "consuming")
        state_type = opened.config.storage.online_state.type
        if not state_backend(state_type).shared:
            stderr.print(
                f"[yellow]warning:[/] the online state is {state_type}, this process's own: "
                "what it folds is lost if it is killed, and a partition taken over by another "
                "consumer starts without it (set storage.online_state.type to sqlite, lmdb or "
                "redis)",
                highlight=False,
            )
        opened.events.automatic_flush = False  # the flusher process's job
        flusher = FlusherSupervisor(partial(LogFlusher, opened.root))
        flusher.start()
        server = None
        try:
            stream_consumer = StreamConsumer.over_redis(
                opened,
                client,
                names=StreamNames(stream),
                partitions=partitions,
                group=group,
                consumer=name,
                batch_size=batch_size,
                max_owned=max_owned,
            )
            stream_consumer.service.scorer()  # load the models before the first batch
            gc.collect()
            gc.freeze()  # full collections scan only what batches make, not models, libraries
            for number in (signal.SIGTERM, signal.SIGINT):
                signal.signal(number, lambda *_: stream_consumer.stop())
            if metrics_port is not None:
                server = serve_metrics(stream_consumer.service.metrics.registry, metrics_port)
            stderr.print(f"consuming {stream}:events:0..{partitions - 1} as {name} of {group}")
            try:
                counts = stream_consumer.run()
            finally:
                stream_consumer.service.close()
        finally:
            flusher.stop(STOP_FLUSH_SECONDS)  # after a last flush
            if server is not None:
                server.shutdown()
    stderr.print(
        f"stopped: {counts.scored} scored, {counts.rejected} rejected in {counts.batches} batches"
    )


__all__ = ["consume"]
