"""Shared fixtures: a temporary database per test (SQLite, or SQLite and PostgreSQL), and (in
e2e) the Bot API emulator.

A test module runs on both backends by taking its database from `any_database_url`:

    @pytest.fixture
    def database_url(any_database_url: str) -> str:
        return any_database_url

Each test's database starts at this release's schema, copied from one migrated once per test
process: migrating every test's database anew would cost the suite minutes. A test of the
schema itself (migrations, a database from an earlier release, or none at all) is marked
`empty_database` and starts from nothing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import sys
import types
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import certifi
import pytest
from sqlalchemy import event

from storage import (
    SessionFactory,
    Writer,
    create_engine,
    create_session_factory,
    upgrade_schema,
)
from storage.locks import Locks
from tests.postgres import PostgresServer, find_binaries, unavailable_reason

EMPTY_DATABASE = "empty_database"
TESTS = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{EMPTY_DATABASE}: the test's database starts without the schema (a SQLite file that "
        "is not there yet, an empty PostgreSQL database)",
    )
    config.addinivalue_line(
        "markers",
        "slow: takes 5 s or more (bursts, restarts, real grace periods); run first, and "
        "-m 'not slow' leaves them out of a quick run",
    )


# The slow tests are spread over this share of the run, from its start: the rest is left for
# quick tests, which fill the workers while the last slow ones finish.
SLOW_SPREAD = 0.75


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Spread the slow tests evenly over the first SLOW_SPREAD of the run. `make test` hands
    tests out to its workers two at a time, in this order (--dist load): so the slow ones run
    beside quick ones rather than all together (they are half the suite's work, and their
    bursts would then share the cores among themselves), and none is left to run alone at the
    end while the other workers are done."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    quick = [item for item in items if not item.get_closest_marker("slow")]
    step = int(len(quick) * SLOW_SPREAD) // max(1, len(slow))
    ordered: list[pytest.Item] = []
    for n, item in enumerate(slow):
        ordered += [item, *quick[n * step : (n + 1) * step]]
    items[:] = ordered + quick[len(slow) * step :]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, rewrite the test modules' asserts once, here in the controller, before the
    workers start. Each worker imports every test module, and pytest rewrites each (parses and
    compiles it: 6 s of CPU a worker here) unless __pycache__ holds the result. It writes that
    only where bytecode may be written, which PYTHONDONTWRITEBYTECODE (set on these machines)
    forbids, and a fresh clone has none; the workers read it either way. This uses pytest's
    own rewriting functions, which are internal: if they change, the workers rewrite as
    before."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        for path in sorted(TESTS.rglob("*.py")):
            if not (path.name.startswith("test_") or path.name == "conftest.py"):
                continue
            pyc = rewrite.get_cache_dir(path) / (path.name[:-3] + rewrite.PYC_TAIL)
            if rewrite._read_pyc(path, pyc, state.trace) is None:
                pyc.parent.mkdir(exist_ok=True)
                source_hash, code = rewrite._rewrite_test(path, config)
                rewrite._write_pyc(state, code, source_hash, pyc)
    except (AttributeError, ImportError, KeyError, TypeError, ValueError, OSError):
        return


def pytest_collection_finish(session: pytest.Session) -> None:
    """A run with tests that start `python -m bot` children (their modules import
    tests.children) starts the fork server they come from now, before any test runs: it is a
    fork of this process (see tests.children)."""
    if session.items and "tests.children" in sys.modules:
        from tests import children

        children.start_server()


def wants_empty(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker(EMPTY_DATABASE) is not None


@pytest.fixture(scope="session", autouse=True)
def one_tls_context() -> Iterator[None]:
    """aiogram's HTTP session loads the CA bundle anew for every Bot it is made for: 50 ms of
    CPU, once in a bot's life, but hundreds of times in a run whose bots all speak plain HTTP to
    the emulator. Here every Bot in a test process shares one context, loaded once."""
    from aiogram.client.session import aiohttp as session_module

    context = ssl.create_default_context(cafile=certifi.where())
    shared = types.SimpleNamespace(create_default_context=lambda **_: context)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(session_module, "ssl", shared)
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at this release's schema, which each test's database is copied from."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    # Asked for from inside a test's event loop: migrate on a loop of its own, in a thread.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, upgrade_schema(f"sqlite+aiosqlite:///{path}")).result()
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run, started on first use and always stopped."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1: {reason}", pytrace=False)
        pytest.skip(reason)
    binaries = find_binaries()
    assert binaries is not None
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def any_database_url(
    backend: str, sqlite_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A database of each backend at this release's schema (see the module docstring): a
    SQLite file, or a database on the test server that no earlier test left rows in."""
    if backend == "sqlite":
        yield request.getfixturevalue("database_url_sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    if wants_empty(request):
        name = await server.create_database(empty=True)
        yield server.url(name)
        await server.drop_database(name)
        return
    name = await server.lease_database()
    yield server.url(name)
    await server.give_back(name)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
def sqlite_url(db_path: Path) -> str:
    return f"sqlite+aiosqlite:///{db_path}"


@pytest.fixture
def database_url_sqlite(sqlite_url: str, db_path: Path, request: pytest.FixtureRequest) -> str:
    """The test's SQLite file, a copy of the migrated one unless the test wants it empty; owner
    only, as the bot makes it."""
    if not wants_empty(request):
        shutil.copyfile(request.getfixturevalue("sqlite_template"), db_path)
        db_path.chmod(0o600)
    return sqlite_url


@pytest.fixture
def database_url(database_url_sqlite: str) -> str:
    """The test's database: SQLite, unless the module takes `any_database_url` (see above)."""
    return database_url_sqlite


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    await upgrade_schema(database_url)
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def writer(sessions: SessionFactory) -> AsyncIterator[Writer]:
    """The group-commit writer over the test's database, running."""
    running = Writer(sessions)
    running.start()
    yield running
    await running.stop()


@pytest.fixture
def languages(writer: Writer, sessions: SessionFactory) -> Any:
    """Each user's language, as the bot's services read it (a `UserLanguages`)."""
    from bot.services.languages import UserLanguages  # the bot's imports only where needed

    return UserLanguages(writer, sessions, default="en")


class CommitCounter:
    """How many transactions an engine has committed, as the database was told them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _connection: Any) -> None:
        self.count += 1


@pytest.fixture
def commits(sessions: SessionFactory) -> Iterator[CommitCounter]:
    """Counts the commits on the test's database (those of `writer` too) from now on."""
    engine = sessions.kw["bind"].sync_engine
    counter = CommitCounter()
    event.listen(engine, "commit", counter)
    yield counter
    event.remove(engine, "commit", counter)


@pytest.fixture
async def locks(database_url: str) -> AsyncIterator[Locks]:
    """Named locks over the test's database (advisory locks on PostgreSQL)."""
    held = Locks(database_url)
    yield held
    await held.close()


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """Every test runs on uvloop, as the bot does where it is installed (bot/cli/event_loop.py)."""
    import uvloop

    return {"uvloop": uvloop.new_event_loop}
