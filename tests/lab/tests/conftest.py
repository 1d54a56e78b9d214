"""Fixtures of the lab's own tests: hosts built under tmp_path, a throwaway MariaDB, process cleanup."""

from __future__ import annotations

import ctypes
import itertools
import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from labtest import Built, one_host_scenario, pids_under  # noqa: E402

from billmgr_lab import hosttree, mariadb, scenario  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture(scope='session', autouse=True)
def adopt_orphans():
    """Make pytest the subreaper: core and ihttpd, started detached by the stand-ins, become its
    children when their starter exits, so the tests can reap them instead of leaving zombies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    yield


def reap_zombies():
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


@pytest.fixture(autouse=True)
def stop_tree_processes(tmp_path):
    yield
    for pid in pids_under(tmp_path):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    reap_zombies()


@pytest.fixture
def build_host(tmp_path):
    """build_host(scenario_dict_or_faults, name=...) -> Built, in this test's tmp_path."""

    def build(data=None, name=None, db=None, now=None, seed=1):
        data = data if data is not None else one_host_scenario()
        fleet = scenario.parse_scenario(data, 'test-scenario', seed=seed)
        spec = fleet.host(name) if name else fleet.hosts[0]
        plan = hosttree.build_host(spec, fleet, tmp_path / spec.name, db or hosttree.DbSettings(password='pw'), now)
        return Built(plan, fleet, spec)

    return build


@pytest.fixture(scope='session')
def mariadb_server(tmp_path_factory):
    server = mariadb.MariaDBServer(tmp_path_factory.mktemp('mariadb'))
    server.install()
    server.start()
    yield server
    server.stop()


_databases = itertools.count(1)


@pytest.fixture
def db_host(build_host, mariadb_server):
    """Like build_host, and the host's database created and seeded in the session's MariaDB."""

    def build(data=None, name=None, password="p'w\\\"x", now=None):
        number = next(_databases)
        db = hosttree.DbSettings(name=f'billmgr_t{number}', user=f'bm_t{number}', password=password,
                                 socket=str(mariadb_server.socket))
        built = build_host(data, name=name, db=db, now=now)
        mariadb.create_host_database(mariadb_server.sql, db, built.plan.schema_sql, built.plan.seed_sql)
        return built

    return build
