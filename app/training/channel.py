"""The bus between the web process and one training worker: batches of messages each way, over a pipe to a
worker process or over queues to a worker thread. A scaled deployment puts Redis behind the same two calls."""

import queue
from multiprocessing.connection import Connection
from typing import Any, Protocol


class ChannelClosed(Exception):
    """The other end is gone (its process ended, or the channel was closed)."""


class Channel(Protocol):
    """One end of a worker's bus."""

    def send(self, messages: list[Any]) -> None:
        """Send a batch of messages to the other end."""

    def receive(self, timeout: float | None) -> list[Any]:
        """Every message that has arrived, waiting up to `timeout` seconds (None: until one does) for the first;
        ChannelClosed once the other end is gone."""

    def close(self) -> None:
        """Close this end: the other end's receive raises ChannelClosed."""


class PipeChannel:
    """One end of a pipe to (or from) a worker process."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def send(self, messages: list[Any]) -> None:
        """Send a batch (pickled once, one write)."""
        try:
            self.connection.send(messages)
        except (OSError, ValueError) as error:
            raise ChannelClosed(str(error)) from error

    def receive(self, timeout: float | None) -> list[Any]:
        """Every batch that has arrived, as one list of messages."""
        arrived: list[Any] = []
        try:
            if not self.connection.poll(timeout):
                return arrived
            while True:
                arrived.extend(self.connection.recv())
                if not self.connection.poll(0):
                    return arrived
        except (EOFError, OSError, ValueError) as error:
            raise ChannelClosed(str(error) or type(error).__name__) from error

    def close(self) -> None:
        """Close this end (the other end's receive then raises ChannelClosed)."""
        self.connection.close()


CLOSED = object()  # put on a queue to close it


class QueueChannel:
    """One end of a pair of queues to (or from) a worker thread in the same process."""

    def __init__(self, inbox: "queue.SimpleQueue[Any]", outbox: "queue.SimpleQueue[Any]") -> None:
        self._inbox = inbox
        self._outbox = outbox

    def send(self, messages: list[Any]) -> None:
        """Hand a batch over (no copy: the messages are immutable records)."""
        self._outbox.put(messages)

    def receive(self, timeout: float | None) -> list[Any]:
        """Every batch that has arrived, as one list of messages."""
        arrived: list[Any] = []
        try:
            batch = self._inbox.get(timeout=timeout) if timeout != 0 else self._inbox.get_nowait()
            while True:
                if batch is CLOSED:
                    raise ChannelClosed("closed")
                arrived.extend(batch)
                batch = self._inbox.get_nowait()
        except queue.Empty:
            return arrived

    def close(self) -> None:
        """Close this end: the other end's receive raises ChannelClosed."""
        self._outbox.put(CLOSED)


def queue_pair() -> tuple[QueueChannel, QueueChannel]:
    """Two connected ends: (the web process's, the worker thread's)."""
    there: queue.SimpleQueue[Any] = queue.SimpleQueue()
    back: queue.SimpleQueue[Any] = queue.SimpleQueue()
    return QueueChannel(back, there), QueueChannel(there, back)
