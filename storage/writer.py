"""Group commit: one task owns the write connection and commits many writes at once.

Every write in the process goes through `Writer`. Writes that arrive while a commit is running
wait for it and then share the next transaction, so a burst of payments costs one commit, not
one each. A lone write is started at once and waits for nothing.

Each write runs in its own SAVEPOINT, so one that fails rolls back alone and its caller gets
the exception, while the others in the transaction commit. Writes of one kind may be applied
together (`write_many`): a batch function takes the session and all the items of that kind in
the transaction, and returns one result per item, in order. If the batch fails, its items are
applied again one by one, each in its own SAVEPOINT, so that only the one at fault fails.

A commit that fails (the database is locked or gone) fails every write in it; callers retry
the whole step (see `bot.services.retry`), as they would after a failed transaction of their
own. Nothing here is SQLite-specific.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionFactory

Item = TypeVar("Item")
Result = TypeVar("Result")

# A kind of write the writer may apply many of in one go.
BatchFunction = Callable[[AsyncSession, Sequence[Item]], Awaitable[Sequence[Result]]]
# One write: gets the shared session, adds or updates, never commits.
Work = Callable[[AsyncSession], Awaitable[Result]]

# The most writes in one transaction: bounds how long a commit holds the lock.
MAX_GROUP = 1000
# session.info key: names of what a transaction changed that someone waits for ("outbox").
CHANGED = "changed"


def mark_changed(session: AsyncSession, what: str) -> None:
    """Say that this transaction changed `what`; the writer tells listeners after the commit."""
    session.info.setdefault(CHANGED, set()).add(what)


class WriterStopped(RuntimeError):
    """A write submitted after the writer stopped."""


@dataclass
class _Job(Generic[Item, Result]):
    apply: BatchFunction[Item, Result]
    item: Item
    done: asyncio.Future[Result] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Writer:
    """The process's single writer; see the module docstring."""

    def __init__(self, sessions: SessionFactory, *, max_group: int = MAX_GROUP) -> None:
        self._sessions = sessions
        self._max_group = max_group
        self._queue: asyncio.Queue[_Job[Any, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # Called after a commit with what it changed (see `mark_changed`).
        self.after_commit: list[Callable[[set[str]], None]] = []

    def start(self) -> None:
        """Start taking writes: the task that commits them runs until `stop`."""
        self._task = asyncio.create_task(self._run(), name="writer")

    async def stop(self) -> None:
        """Commit what was submitted, then stop taking writes."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def write(self, work: Work[Result]) -> Result:
        """Run `work` in the next transaction and return its result once it is committed."""

        async def apply(session: AsyncSession, _: Sequence[None]) -> list[Result]:
            return [await work(session)]

        return await self.write_many(apply, None)

    async def write_many(self, apply: BatchFunction[Item, Result], item: Item) -> Result:
        """Have `item` applied by `apply`, together with the other items of `apply` in the next
        transaction; returns its result once that transaction is committed."""
        if self._task is None:
            raise WriterStopped("the writer is not running")
        job: _Job[Item, Result] = _Job(apply, item)
        self._queue.put_nowait(job)
        return await job.done

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            while len(jobs) < self._max_group and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            try:
                await self._commit_group(jobs)
            except Exception as exc:  # the writer outlives any failure; the callers retry
                for job in jobs:
                    _fail(job, exc)
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _commit_group(self, jobs: list[_Job[Any, Any]]) -> None:
        groups: dict[BatchFunction[Any, Any], list[_Job[Any, Any]]] = {}
        for job in jobs:
            groups.setdefault(job.apply, []).append(job)
        results: list[tuple[_Job[Any, Any], Any]] = []
        async with self._sessions() as session:
            if len(jobs) == 1:  # nothing to isolate it from
                results.append((jobs[0], (await jobs[0].apply(session, [jobs[0].item]))[0]))
            else:
                for apply, group in groups.items():
                    results.extend(await self._apply_isolated(session, apply, group))
            await session.commit()
            changed: set[str] = session.info.pop(CHANGED, set())
        for job, result in results:
            if not job.done.done():  # its caller may have been cancelled meanwhile
                job.done.set_result(result)
        if changed:
            for listener in self.after_commit:
                listener(changed)

    async def _apply_isolated(
        self, session: AsyncSession, apply: BatchFunction[Any, Any], group: list[_Job[Any, Any]]
    ) -> list[tuple[_Job[Any, Any], Any]]:
        """Apply a group in one SAVEPOINT; if that fails, each job in its own."""
        try:
            async with session.begin_nested():
                outcomes = await apply(session, [job.item for job in group])
            return list(zip(group, outcomes, strict=True))
        except Exception as exc:
            if len(group) == 1:
                _fail(group[0], exc)
                return []
            logger.warning(
                "a batch of {} writes failed ({!r}); applying them one by one", len(group), exc
            )
        results: list[tuple[_Job[Any, Any], Any]] = []
        for job in group:
            try:
                async with session.begin_nested():
                    outcome = (await apply(session, [job.item]))[0]
                results.append((job, outcome))
            except Exception as exc:
                _fail(job, exc)
        return results


def _fail(job: _Job[Any, Any], exc: BaseException) -> None:
    if not job.done.done():
        job.done.set_exception(exc)
