"""The embedded job queue: kombu's SQLAlchemy transport on a SQLite file.

Registered as the ``atelier-sqla`` transport (``atelier-sqla+sqlite:///path``),
it differs from kombu's ``sqla`` in three ways that matter when the web
server and the worker share one SQLite file:

- it polls every 0.1 s instead of 1 s, so a job starts without a visible wait;
- SQLite waits up to 30 s for a lock (WAL mode) instead of failing at once;
- two processes creating the same queue row at once is not an error.

kombu's SQL transport never deletes a delivered message: it marks it
``visible = False`` and keeps it, so the table grows by a row a job, forever.
The reaper deletes them (``forget_delivered``).
"""

from datetime import datetime, timedelta

from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Channel as SQLAlchemyChannel
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError


class Channel(SQLAlchemyChannel):
    def _engine_from_config(self):
        engine = super()._engine_from_config()
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _get_or_create(self, queue):
        try:
            return super()._get_or_create(queue)
        except IntegrityError:
            # Another process created the queue between our read and insert.
            self.session.rollback()
            return self.session.query(self.queue_cls).filter(self.queue_cls.name == queue).one()


def _sqlite_pragmas(dbapi_connection, record):
    dbapi_connection.execute("PRAGMA busy_timeout = 30000")
    dbapi_connection.execute("PRAGMA journal_mode = WAL")


class Transport(SQLAlchemyTransport):
    Channel = Channel
    polling_interval = 0.1


def register() -> None:
    TRANSPORT_ALIASES.setdefault("atelier-sqla", "atelier.broker:Transport")


# Delivered messages are never read again; a few minutes of them are kept only
# so that someone looking into the table sees the recent traffic.
KEEP_DELIVERED = timedelta(minutes=10)


def forget_delivered(broker_url: str, *, now: datetime | None = None) -> int:
    """Delete the messages an SQL broker (``sqla+`` or ``atelier-sqla+``)
    delivered more than ``KEEP_DELIVERED`` ago; how many. Any other broker
    deletes its own messages on acknowledgement, and is not even connected to."""
    with Connection(broker_url) as connection:
        if not isinstance(connection.transport, SQLAlchemyTransport):
            return 0
        channel = connection.default_channel
        message = channel.message_cls
        # kombu stamps the delivery time in ``timestamp``, in naive local time.
        cutoff = (now or datetime.now()) - KEEP_DELIVERED
        deleted = (
            channel.session.query(message)
            .filter(message.visible.is_(False), message.sent_at < cutoff)
            .delete(synchronize_session=False)
        )
        channel.session.commit()
        return deleted
