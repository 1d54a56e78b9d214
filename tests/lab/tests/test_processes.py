"""core, ihttpd, cron-billmgr and lab/boot: the long-running and helper programs of a host."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from labtest import one_host_scenario, pids_under


def comm(pid: int) -> str:
    return Path(f'/proc/{pid}/comm').read_text().strip()


def alive(pid: int) -> bool:
    try:
        state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
    except OSError:
        return False
    return state not in ('Z', 'X')


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_core_prints_its_version(build_host):
    result = build_host().run('bin/core', 'billmgr', '-v')
    assert (result.returncode, result.stdout) == (0, '6.112.0\n')


def test_boot_starts_core_and_ihttpd_once(build_host):
    built = build_host()
    assert built.run('lab/boot').returncode == 0
    pids = {name: int(built.text(f'var/run/{name}.pid')) for name in ('core', 'ihttpd')}
    assert {name: comm(pid) for name, pid in pids.items()} == {'core': 'core', 'ihttpd': 'ihttpd'}
    assert os.getsid(pids['core']) == pids['core']  # its own session: it outlives an ssh login
    assert built.run('lab/boot').returncode == 0
    assert {name: int(built.text(f'var/run/{name}.pid')) for name in pids} == pids
    assert sorted(pids_under(built.root)) == sorted(pids.values())
    assert wait_for(lambda: 'core started' in built.text('var/billmgr.log').splitlines()[-1])


def test_pgrep_finds_core_by_name(build_host):
    built = build_host()
    built.run('lab/boot')
    pid = int(built.text('var/run/core.pid'))
    found = subprocess.run(['pgrep', '-x', 'core'], capture_output=True, text=True).stdout.split()
    assert str(pid) in found


def test_boot_leaves_a_down_platform_down(build_host):
    built = build_host(one_host_scenario(faults={'platform_down': True}))
    assert built.run('lab/boot').returncode == 0
    assert not (built.root / 'var' / 'run' / 'core.pid').exists()
    # The web server is a service of its own: it answers while core is down.
    ihttpd = int(built.text('var/run/ihttpd.pid'))
    assert pids_under(built.root) == [ihttpd]


def test_boot_replaces_a_stale_pid_file(build_host):
    built = build_host()
    (built.root / 'var' / 'run' / 'core.pid').write_text(f'{os.getpid()}\n')  # alive, but not a core
    built.run('lab/boot')
    pid = int(built.text('var/run/core.pid'))
    assert pid != os.getpid() and comm(pid) == 'core'


def test_sigterm_stops_core_and_removes_its_pid_file(build_host):
    built = build_host()
    built.run('lab/boot')
    pid = int(built.text('var/run/core.pid'))
    assert wait_for(lambda: 'core started' in built.text('var/billmgr.log'))
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not alive(pid))
    assert not (built.root / 'var' / 'run' / 'core.pid').exists()
    assert 'core stopped by signal 15' in built.text('var/billmgr.log').splitlines()[-1]


def test_cron_billmgr_runs_a_program_of_the_mgr_root(build_host):
    built = build_host()
    result = built.run('sbin/cron-billmgr', 'sbin/mgrctl', '-m', 'billmgr', 'whoami')
    assert (result.returncode, result.stdout) == (0, 'name=root\nlevel=admin\n')
    failed = built.run('sbin/cron-billmgr', 'sbin/mgrctl', '-m', 'billmgr', 'nope')
    assert failed.returncode != 0 and failed.stdout.startswith('ERROR missed(function,nope)')


def test_cron_billmgr_refuses_programs_outside_the_mgr_root(build_host):
    built = build_host()
    for program in ('../../../../bin/true', '/bin/true', 'etc/debug.conf', 'sbin/none'):
        result = built.run('sbin/cron-billmgr', program)
        assert result.returncode == 2 and 'is not a program of' in result.stderr, program
    assert built.run('sbin/cron-billmgr').returncode == 2


def test_programs_find_their_root_through_a_symlink(build_host, tmp_path):
    built = build_host()
    link = tmp_path / 'mgrctl-link'
    link.symlink_to(built.root / 'sbin' / 'mgrctl')
    result = subprocess.run([str(link), '-m', 'billmgr', 'whoami'], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0 and result.stdout.startswith('name=root')
