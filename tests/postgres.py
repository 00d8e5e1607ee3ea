"""A throwaway PostgreSQL server for the tests, started from the machine's initdb and pg_ctl."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import asyncpg

# Debian keeps each major version's programs in its own folder; PATH may have none of them.
DEBIAN_FOLDERS = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
# A test server keeps nothing through a crash, so it need not wait for the disk.
# Made once per server at this release's schema; test databases are copies of it.
MIGRATED_TEMPLATE = "shop_migrated"
FAST_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
# What a database's schema is: its columns, indexes, constraints, triggers, functions, views and
# alembic revision. A test database whose fingerprint differs from the template's was changed by
# its test (a trigger that slows or refuses inserts, a renamed table) and is not reused.
SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(part, ',' ORDER BY part)) FROM (
    SELECT concat_ws(':', table_name, column_name, data_type, is_nullable, column_default)
    FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'function:' || proname FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'view:' || viewname FROM pg_views WHERE schemaname = 'public'
    UNION ALL SELECT 'revision:' || version_num FROM alembic_version
) AS schema(part)
"""


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: the one on PATH, else Debian's newest."""
    on_path = shutil.which("pg_ctl")
    folders = [Path(on_path).resolve().parent] if on_path else []
    folders += sorted(
        DEBIAN_FOLDERS.glob("*/bin"),
        key=lambda folder: [int(part) for part in folder.parent.name.split(".") if part.isdigit()],
        reverse=True,
    )
    for folder in folders:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def unavailable_reason() -> str | None:
    """Why no test server can start here, or None when it can."""
    if find_binaries() is None:
        return (
            "PostgreSQL tests skipped: initdb and pg_ctl not found on PATH or in "
            f"{DEBIAN_FOLDERS}/*/bin (install the postgresql package)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"PostgreSQL tests skipped: running as root and there is no {SERVER_USER} user"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """A cluster in a temporary folder, serving on a loopback port until `stop`."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="shop-postgres-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._template_ready = False
        self._returned: list[str] = []  # emptied databases at the schema, for the next tests
        self._fingerprint: str | None = None

    def start(self) -> None:
        sockets = self.root / "sockets"
        sockets.mkdir()
        if os.geteuid() == 0:  # the server refuses to run as root
            user = pwd.getpwnam(SERVER_USER)
            for path in (self.root, sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync")
        self.port = free_port()
        options = f"-p {self.port} -k {sockets} -c listen_addresses=127.0.0.1 {FAST_SETTINGS}"
        self._run("pg_ctl", "start", "-D", self.data, "-l", self.log, "-w", "-o", options)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        # The server has no TLS: saying so spares each connection the attempt.
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}?ssl=disable"

    async def create_database(self, *, empty: bool = True) -> str:
        """A new database, empty or at this release's schema; returns its name. The schema is
        migrated once, into a template that each such database is copied from."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        template = "template1" if empty else await self._migrated_template()
        # FILE_COPY copies the template's files; the default (WAL_LOG) writes every page through
        # the WAL, which costs a small database twice the time and four times the server's CPU.
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY = FILE_COPY')
        return name

    async def _migrated_template(self) -> str:
        if not self._template_ready:
            await self._admin(f'CREATE DATABASE "{MIGRATED_TEMPLATE}"')
            # Imported here: the server itself needs nothing of the bot.
            from storage import upgrade_schema

            await upgrade_schema(self.url(MIGRATED_TEMPLATE))
            self._template_ready = True
        return MIGRATED_TEMPLATE

    async def drop_database(self, name: str) -> None:
        """Drop `name`, ending any connection a test left open."""
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def lease_database(self) -> str:
        """A database at this release's schema with no rows, for one test: one that an earlier
        test of this process gave back, emptied, or else a new copy of the template. Creating
        and dropping a database forces a checkpoint each time and costs half a second or more;
        emptying a few small tables costs a fortieth of that."""
        if self._returned:
            return self._returned.pop()
        return await self.create_database(empty=False)

    async def give_back(self, name: str) -> None:
        """Empty `name` for the next test, or drop it if the test changed its schema. Ends the
        connections the test left (a killed bot's, a standby's), so that no lock it held
        outlives it."""
        connection = await self._connect(name)
        try:
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            fingerprint = await connection.fetchval(SCHEMA_FINGERPRINT)
            if fingerprint != await self._template_fingerprint():
                await connection.close()
                await self.drop_database(name)
                return
            tables = await connection.fetch(
                "SELECT quote_ident(tablename) AS name FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
            sequences = await connection.fetch(
                "SELECT quote_ident(sequencename) AS name FROM pg_sequences "
                "WHERE schemaname = 'public'"
            )
            # Terminated backends may still hold their locks for a moment: wait for them.
            await connection.execute("SET lock_timeout = '10s'")
            # In any order: no foreign key is checked while the rows go.
            await connection.execute("SET session_replication_role = replica")
            await connection.execute(
                "; ".join(
                    [f"DELETE FROM {row['name']}" for row in tables]
                    + [f"ALTER SEQUENCE {row['name']} RESTART" for row in sequences]
                )
            )
        except BaseException:
            await connection.close()
            await self.drop_database(name)
            raise
        await connection.close()
        self._returned.append(name)

    async def _template_fingerprint(self) -> str:
        if self._fingerprint is None:
            connection = await self._connect(await self._migrated_template())
            try:
                self._fingerprint = str(await connection.fetchval(SCHEMA_FINGERPRINT))
            finally:
                await connection.close()
        return self._fingerprint

    async def _connect(self, database: str) -> asyncpg.Connection:
        return await asyncpg.connect(
            host="127.0.0.1", port=self.port, user="postgres", database=database, ssl=False
        )

    async def _admin(self, statement: str) -> None:
        connection = await self._connect("postgres")
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def _run(self, program: str, *args: str | Path) -> None:
        command = [str(self.binaries / program), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log[-3000:]}"
            )
