"""Units of work that also carry the follow-ups repository (`uow.follow_ups`).

Until the store's `UnitOfWork` names `follow_ups` itself, the entrypoints that schedule or send
follow-ups build their factory here; it is the same unit of work otherwise.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.repositories.follow_ups import FollowUpRepository
from rapport.store.unit_of_work import UnitOfWork, UnitsOfWork


class FollowUpUnitOfWork(UnitOfWork):
    follow_ups: FollowUpRepository

    def __enter__(self) -> FollowUpUnitOfWork:
        super().__enter__()
        assert self._session is not None
        self.follow_ups = FollowUpRepository(self._session)
        return self


class FollowUpUnitsOfWork(UnitsOfWork):
    def __call__(self, *, write: bool = False) -> FollowUpUnitOfWork:
        return FollowUpUnitOfWork(self.sessions, write=write, writer_lock=self._writer_lock)


def follow_up_units_of_work(database_url: str) -> FollowUpUnitsOfWork:
    """A factory of units of work with follow-ups on `database_url`, migrated first."""
    engine = make_engine(database_url)
    upgrade(engine)
    return FollowUpUnitsOfWork(session_factory(engine))


def follow_up_units_for(sessions: sessionmaker[Session]) -> FollowUpUnitsOfWork:
    return FollowUpUnitsOfWork(sessions)
