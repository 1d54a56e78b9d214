"""A small MariaDB server for the lab and the tests: one data directory, one socket, no network.

Sized so that a few dozen can run side by side (small buffer pool and redo log, no performance
schema, no native AIO, whose per-process contexts run out with many servers on one machine).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket as socketlib
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

SEARCH_PATH = '/usr/sbin:/usr/bin:/sbin:/bin'
MARIADBD = shutil.which('mariadbd', path=SEARCH_PATH) or '/usr/sbin/mariadbd'
CLIENT = shutil.which('mariadb', path=SEARCH_PATH) or '/usr/bin/mariadb'
INSTALL_DB = shutil.which('mariadb-install-db', path=SEARCH_PATH) or '/usr/bin/mariadb-install-db'
TUNING = (
    '--innodb-buffer-pool-size=16M',
    '--innodb-log-file-size=8M',
    '--innodb-use-native-aio=0',
    '--performance-schema=OFF',
    '--skip-name-resolve',
    '--max-connections=60',
    '--key-buffer-size=1M',
    '--table-open-cache=256',
    '--thread-cache-size=2',
    # The lab's servers share two cores with every host and the controller; under that load a
    # handshake can take longer than the default 10 s, which a client reports as a lost connection.
    '--connect-timeout=60',
)
SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with the terminating NUL
IDENTIFIER_RE = re.compile(r'^[A-Za-z0-9_]{1,64}$')


class MariaDBError(RuntimeError):
    """The server or the client failed; the message carries what they said."""


def _os_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return '\n'.join(path.read_text(errors='replace').splitlines()[-lines:])
    except OSError:
        return '(no log)'


def _cmdline(pid: int) -> str:
    try:
        return Path(f'/proc/{pid}/cmdline').read_bytes().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


class MariaDBServer:
    def __init__(self, basedir: Path, socket: Path | None = None):
        self.basedir = Path(basedir)
        self.datadir = self.basedir / 'data'
        self.socket = Path(socket) if socket else self.basedir / 'run' / 'mysqld.sock'
        self.pid_file = self.basedir / 'mysqld.pid'
        self.log_file = self.basedir / 'mysqld.log'
        self.user = _os_user()
        self._proc: subprocess.Popen | None = None
        if len(str(self.socket)) > SOCKET_PATH_MAX:
            raise MariaDBError(f'socket path {self.socket} is longer than {SOCKET_PATH_MAX} bytes')

    def install(self):
        """Create the system tables once; a data directory that has them is left as it is."""
        if (self.datadir / 'mysql').is_dir():
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        log = self.basedir / 'install.log'
        argv = [INSTALL_DB, '--no-defaults', f'--datadir={self.datadir}', f'--user={self.user}',
                '--skip-test-db', '--auth-root-authentication-method=socket', *TUNING]
        with open(log, 'wb') as out:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            shutil.rmtree(self.datadir, ignore_errors=True)
            raise MariaDBError(f'mariadb-install-db failed ({result.returncode}):\n{_tail(log)}')

    def command(self) -> list[str]:
        argv = [MARIADBD, '--no-defaults', f'--datadir={self.datadir}', f'--socket={self.socket}',
                f'--pid-file={self.pid_file}', f'--log-error={self.log_file}', '--skip-networking']
        if os.geteuid() == 0:
            argv.append('--user=root')
        return argv + list(TUNING)

    def answers(self) -> bool:
        with socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM) as probe:
            probe.settimeout(1)
            try:
                probe.connect(str(self.socket))
            except OSError:
                return False
        return True

    def start(self, timeout: float = 60):
        if self.answers():
            return
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, 'ab') as log:
            self._proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self._proc.poll() is not None:
                raise MariaDBError(f'mariadbd exited with {self._proc.returncode}:\n{_tail(self.log_file)}')
            if time.monotonic() > deadline:
                self.stop()
                raise MariaDBError(f'mariadbd did not answer on {self.socket} in {timeout}s:\n'
                                   f'{_tail(self.log_file)}')
            time.sleep(0.05)

    def _pid(self) -> int | None:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.pid
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        # A pid file can outlive its server; only a mariadbd of this data directory is ours to stop.
        return pid if str(self.datadir) in _cmdline(pid) else None

    def stop(self, timeout: float = 60):
        pid = self._pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pid = None
        deadline = time.monotonic() + timeout
        while pid is not None and str(self.datadir) in _cmdline(pid):
            if self._proc is not None and self._proc.poll() is not None:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.05)
        if self._proc is not None:
            self._proc.wait()
            self._proc = None

    def sql(self, text: str, database: str | None = None) -> str:
        """Run TEXT as the server's root over the socket; tab-separated rows without a header."""
        argv = [CLIENT, '--no-defaults', f'--socket={self.socket}', f'--user={self.user}', '--batch',
                '--skip-column-names']
        if database:
            argv.append(database)
        result = subprocess.run(argv, input=text, capture_output=True, text=True)
        if result.returncode != 0:
            raise MariaDBError(result.stderr.strip() or f'mariadb exited with {result.returncode}')
        return result.stdout


@contextmanager
def running_server(basedir: Path):
    """A MariaDBServer installed and started in BASEDIR for the block, stopped after it."""
    server = MariaDBServer(basedir)
    server.install()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _string(value: str) -> str:
    return "'" + value.replace('\\', '\\\\').replace("'", "\\'") + "'"


def create_host_database(server_sql: Callable[[str], str], db, schema_sql: str, seed_sql: str):
    """Create DB's database and user (the password goes through stdin, never argv), then load it."""
    for what, value in (('database name', db.name), ('user', db.user)):
        if not IDENTIFIER_RE.match(value or ''):
            raise MariaDBError(f'{what} {value!r} is not letters, digits and underscores')
    server_sql(
        f'CREATE DATABASE IF NOT EXISTS `{db.name}` CHARACTER SET utf8mb4;\n'
        f"CREATE USER IF NOT EXISTS '{db.user}'@'localhost';\n"
        f"ALTER USER '{db.user}'@'localhost' IDENTIFIED BY {_string(db.password)};\n"
        f"GRANT ALL PRIVILEGES ON `{db.name}`.* TO '{db.user}'@'localhost';\n")
    server_sql(f'USE `{db.name}`;\n{schema_sql}{seed_sql}')
