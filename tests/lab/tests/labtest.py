"""Helpers of the lab's own tests (fixtures are in conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LAB = Path(__file__).resolve().parents[1]
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from billmgr_lab import hosttree, scenario  # noqa: E402

CALL_TIMEOUT = 20


def _cmdline(pid: int) -> str:
    try:
        return Path(f'/proc/{pid}/cmdline').read_bytes().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


def pids_under(directory: Path) -> list[int]:
    """Live processes whose command line names DIRECTORY: the programs a test started in its tree."""
    text = str(directory) + '/'
    return [int(entry.name) for entry in Path('/proc').iterdir()
            if entry.name.isdigit() and int(entry.name) != os.getpid() and text in _cmdline(int(entry.name))]


@dataclass
class Built:
    """A host tree built for a test, with helpers to run its programs."""

    plan: hosttree.HostPlan
    fleet: scenario.Fleet
    spec: scenario.HostSpec

    @property
    def root(self) -> Path:
        return self.plan.mgr_root

    def run(self, program: str, *args: str, timeout: float = CALL_TIMEOUT) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.root / program), *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def mgrctl(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run('sbin/mgrctl', '-m', 'billmgr', *args, **kwargs)

    def licctl(self, *args: str) -> subprocess.CompletedProcess:
        return self.run('sbin/licctl', *args)

    def state(self, name: str = 'platform') -> dict:
        return json.loads((self.root / 'lab' / f'{name}.json').read_text())

    def save_state(self, data: dict, name: str = 'platform'):
        (self.root / 'lab' / f'{name}.json').write_text(json.dumps(data))

    def text(self, relative: str) -> str:
        return (self.root / relative).read_text()


def one_host_scenario(name='bm01', faults=None, role='standalone', provider=None, **settings) -> dict:
    body = dict(settings)
    if faults:
        body['faults'] = faults
    if role != 'standalone':
        body['role'] = role
    if provider:
        body['provider'] = provider
    return {'hosts': {name: body}}


def query(server, built: Built, sql: str) -> list[list[str]]:
    out = server.sql(sql, built.plan.db.name)
    return [line.split('\t') for line in out.splitlines()]
