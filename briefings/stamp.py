"""The content's stamp: how many row writes the content's tables have taken, counted by
triggers (content migration 8) in the transaction of each write, whoever makes it.

Every cache of what readers see (the situations, the briefings, the chart, the pushes) is
kept with the stamp it was read at and used while the stamp is the same, so a write by any
path (an editor, the CLI, a second bot process, raw SQL) is seen at the next read, and no
code has to say that something changed. The count only goes up, and a rolled-back write
leaves it as it was: what a transaction reads is not kept (it may yet roll back).
"""

from __future__ import annotations

from briefings.database import Database

_READ = "SELECT count FROM content_writes"
# The registry of situations has a stamp of its own (content migration 10): a fact's change,
# a cable's arrival, leave it as it is, and with it what every command reads first.
_READ_SITUATIONS = "SELECT count FROM situation_writes"


async def stamp(db: Database) -> int:
    """The stamp as the caller sees the content: committed, or its own transaction's."""
    return int(await db.peek(_READ))


async def stamp_to_keep(db: Database) -> int | None:
    """The committed stamp to keep a cache against; None inside a write transaction, whose
    reads must not be kept."""
    return None if db.in_transaction else await stamp(db)


async def situations_stamp(db: Database) -> int:
    """The registry of situations' own stamp, as the caller sees it (committed, or its own
    transaction's). A value kept at it may be used inside a transaction that sees the same
    stamp (the transaction wrote none of those rows, and no commit came between: a write
    transaction holds the lock from its start); it is kept only outside one."""
    return int(await db.peek(_READ_SITUATIONS))
