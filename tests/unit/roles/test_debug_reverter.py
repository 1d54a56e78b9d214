# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host-side reverter of the debug_window role, installed and run the way cron runs it.

Each test installs the script as the role does (a directory of its own, with the collection's
host-side package it imports next to it), gives it a platform install root with a stand-in ``mgrctl``, and stand-in
``crontab`` and ``systemctl`` programs that keep what they are given in files, then runs it as a
separate process and looks at what it left.
"""

from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.debugconf import DebugConf
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.filelock import held_lock, lock_path_for

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / 'roles' / 'debug_window'
SCRIPT = ROLE / 'files' / 'billmgr_debug_reverter.py'
HOSTSIDE = REPO / 'plugins' / 'module_utils' / '_hostside'
# The role ships the package as a whole: every Python file of it, whatever it holds.
SHIPPED = tuple(sorted(path.name for path in HOSTSIDE.glob('*.py')))

# What an operator's debug.conf may look like: comments, a SET line, CRLF, a byte that is not
# UTF-8, their own level for billmgr, and no newline at the end.
ORIGINAL = (b'# levels of this server\r\nSET color=off\r\n* 6\r\n*.db 6\r\n# caf\xe9 team\r\n'
            b'billmgr.* 4\r\npmbillmgr.* 4')
PAST = datetime(2020, 1, 1, tzinfo=timezone.utc)
FUTURE = datetime.now(timezone.utc) + timedelta(days=1)

CRONTAB_BEFORE = ('# BILLmanager scheduled tasks\n'
                  '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1\n'
                  '#Ansible: somebody else\n'
                  '0 3 * * * /usr/local/bin/backup\n')

FAKE_MGRCTL = '''#!/bin/sh
echo "$*" >> "{calls}"
if [ -e "{fail}" ]; then echo "ERROR connect(billmgr)"; exit 1; fi
exit 0
'''
FAKE_CRONTAB = '''#!/bin/sh
case "$1" in
  -l) if [ -e "{table}" ]; then cat "{table}"; else echo "no crontab for root" >&2; exit 1; fi ;;
  -) cat > "{table}" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
'''
FAKE_SYSTEMCTL = '''#!/bin/sh
echo "$*" >> "{calls}"
'''


def write_program(path, text):
    path.write_text(text)
    path.chmod(0o755)


def raised(original, *levels):
    """ORIGINAL with LEVELS ((log, level, expires or None), ...) set the way debug_level sets them."""
    conf = DebugConf.parse(original)
    for log, level, expires in levels:
        conf.set_level(log, '*', level, expires=expires, expires_is_fixed=True)
    return conf.render()


class Host:
    """One installed reverter and the files around it."""

    def __init__(self, base):
        self.base = base
        self.mgr_root = base / 'mgr5'
        self.conf = self.mgr_root / 'etc' / 'debug.conf'
        self.dir = base / 'billmgr-ops-debug'
        self.script = self.dir / SCRIPT.name
        self.crontab = base / 'crontab.txt'
        self.mgrctl_calls = base / 'mgrctl.calls'
        self.mgrctl_fails = base / 'mgrctl.fail'
        self.systemctl_calls = base / 'systemctl.calls'
        (self.mgr_root / 'etc').mkdir(parents=True)
        (self.mgr_root / 'sbin').mkdir()
        write_program(self.mgr_root / 'sbin' / 'mgrctl',
                      FAKE_MGRCTL.format(calls=self.mgrctl_calls, fail=self.mgrctl_fails))
        write_program(base / 'crontab', FAKE_CRONTAB.format(table=self.crontab))
        write_program(base / 'systemctl', FAKE_SYSTEMCTL.format(calls=self.systemctl_calls))
        self.install()

    def install(self):
        """As the role installs it: directories 0700, script 0700, the package's files 0600."""
        self.dir.mkdir(mode=0o700)
        shutil.copyfile(SCRIPT, self.script)
        self.script.chmod(0o700)
        (self.dir / '_hostside').mkdir(mode=0o700)
        for name in SHIPPED:
            shutil.copyfile(HOSTSIDE / name, self.dir / '_hostside' / name)
            (self.dir / '_hostside' / name).chmod(0o600)
        (self.dir / 'window-start').write_text('2026-11-23T15:00:00Z\n')
        self.crontab.write_text(CRONTAB_BEFORE + '#Ansible: billmgr.ops debug reverter\n'
                                '* * * * * umask 077; exec /usr/bin/python3 %s --mgr-root %s >> /x.log 2>&1\n'
                                % (self.script, self.mgr_root))

    def run(self, *extra, systemctl=None):
        argv = [sys.executable, str(self.script), '--mgr-root', str(self.mgr_root),
                '--crontab', str(self.base / 'crontab'),
                '--systemctl', systemctl or str(self.base / 'systemctl')] + list(extra)
        # Cron's environment: no PYTHONPATH, so the script finds its imports next to itself or not at all.
        env = {'PATH': '/usr/bin:/bin', 'LANG': 'C'}
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)

    def restarts(self):
        return self.mgrctl_calls.read_text().splitlines() if self.mgrctl_calls.exists() else []

    def installed(self):
        return self.dir.exists(), 'billmgr.ops debug reverter' in self.crontab.read_text()


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path)


def assert_removed(host):
    assert not host.dir.exists(), sorted(os.listdir(host.dir))
    assert host.crontab.read_text() == CRONTAB_BEFORE


def test_expired_levels_come_back_byte_for_byte_with_one_restart(host):
    host.conf.write_bytes(raised(ORIGINAL, ('billmgr', 9, PAST), ('pmbillmgr', 9, PAST), ('rpc', 9, PAST)))
    host.conf.chmod(0o640)
    os.chown(host.conf, 4321, 4322)
    proc = host.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert host.conf.read_bytes() == ORIGINAL
    info = host.conf.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 4321, 4322)
    assert host.restarts() == ['-m billmgr -R']
    assert 'billmgr.* (level 9, expired 2020-01-01T00:00:00Z): put back level 4' in proc.stdout
    assert 'rpc.* (level 9, expired 2020-01-01T00:00:00Z): removed the line' in proc.stdout
    assert_removed(host)


def test_a_file_created_for_the_levels_goes_again_when_they_expire(host):
    conf = DebugConf()
    conf.set_level('billmgr', '*', 9, expires=PAST, expires_is_fixed=True, new_file=True)
    conf.set_level('pmbillmgr', '*', 9, expires=PAST, expires_is_fixed=True)
    host.conf.write_bytes(conf.render())
    proc = host.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not host.conf.exists()
    assert host.restarts() == ['-m billmgr -R']
    assert_removed(host)


def test_a_hand_edited_marker_is_left_alone_and_named(host):
    edited = raised(ORIGINAL, ('billmgr', 9, PAST)).replace(b'previous=4', 'previous=\u00b2'.encode())
    host.conf.write_bytes(edited)
    proc = host.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert host.conf.read_bytes() == edited
    assert 'previous=\u00b2 is not a level' in proc.stdout and 'Traceback' not in proc.stderr


def test_a_level_not_yet_due_stays_and_so_does_the_reverter(host):
    before = raised(ORIGINAL, ('billmgr', 9, FUTURE))
    host.conf.write_bytes(before)
    proc = host.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert host.conf.read_bytes() == before
    assert host.restarts() == []
    assert host.installed() == (True, True)
    assert sorted(os.listdir(host.dir)) == sorted(('_hostside', SCRIPT.name, 'window-start', '.run.lock'))
    assert sorted(os.listdir(host.dir / '_hostside')) == sorted(SHIPPED)


def test_only_due_entries_are_undone_and_the_reverter_waits_for_the_rest(host):
    host.conf.write_bytes(raised(ORIGINAL, ('billmgr', 9, PAST), ('pmbillmgr', 8, FUTURE)))
    assert host.run().returncode == 0
    assert host.conf.read_bytes() == raised(ORIGINAL, ('pmbillmgr', 8, FUTURE))
    assert host.restarts() == ['-m billmgr -R']
    assert host.installed() == (True, True)
    # The next minute has nothing new to undo: no second restart.
    assert host.run().returncode == 0
    assert host.restarts() == ['-m billmgr -R']


def test_maintenance_mode_holds_the_restart_until_it_ends(host):
    host.conf.write_bytes(raised(ORIGINAL, ('billmgr', 9, PAST)))
    maintenance = host.mgr_root / 'etc' / 'billmgr.DoNothing'
    maintenance.write_text('')
    proc = host.run()
    assert host.conf.read_bytes() == ORIGINAL
    assert host.restarts() == []
    assert 'maintenance mode' in proc.stdout
    assert host.installed() == (True, True), 'the reverter left with a restart still owed'
    assert stat.S_IMODE((host.dir / 'pending-restarts.json').stat().st_mode) == 0o600
    maintenance.unlink()
    assert host.run().returncode == 0
    assert host.restarts() == ['-m billmgr -R']
    assert_removed(host)


def test_a_failed_restart_is_tried_again_the_next_minute(host):
    host.conf.write_bytes(raised(ORIGINAL, ('billmgr', 9, PAST)))
    host.mgrctl_fails.write_text('')
    proc = host.run()
    assert 'failed: connect(billmgr)' in proc.stdout and 'trying again in a minute' in proc.stdout
    assert host.installed() == (True, True)
    host.mgrctl_fails.unlink()
    host.run()
    assert host.restarts() == ['-m billmgr -R', '-m billmgr -R']
    assert_removed(host)


def test_ihttpd_level_restarts_its_service_and_not_the_platform(host):
    host.conf.write_bytes(raised(ORIGINAL, ('ihttpd', 9, PAST)))
    assert host.run().returncode == 0
    assert host.conf.read_bytes() == ORIGINAL
    assert host.restarts() == []
    assert host.systemctl_calls.read_text().splitlines() == ['restart ihttpd']
    assert_removed(host)


def test_ihttpd_level_without_systemd_is_left_to_a_person_who_is_told(host):
    host.conf.write_bytes(raised(ORIGINAL, ('ihttpd', 9, PAST)))
    proc = host.run(systemctl='none')
    assert host.conf.read_bytes() == ORIGINAL
    assert 'does not run systemd: restart the ihttpd service by hand' in proc.stdout
    assert host.restarts() == [] and not host.systemctl_calls.exists()
    assert_removed(host)


def test_nothing_waiting_removes_the_reverter_without_a_restart(host):
    host.conf.write_bytes(ORIGINAL)
    assert host.run().returncode == 0
    assert host.conf.read_bytes() == ORIGINAL
    assert host.restarts() == []
    assert_removed(host)


def test_a_managed_level_without_expiry_is_not_the_reverters_to_wait_for(host):
    before = raised(ORIGINAL, ('billmgr', 9, None))
    host.conf.write_bytes(before)
    host.run()
    assert host.conf.read_bytes() == before
    assert_removed(host)


def test_a_missing_debug_conf_removes_the_reverter(host):
    assert host.run().returncode == 0
    assert not host.conf.exists()
    assert_removed(host)


def test_a_writer_holding_debug_conf_makes_the_run_wait_then_give_up_cleanly(host):
    before = raised(ORIGINAL, ('billmgr', 9, PAST))
    host.conf.write_bytes(before)
    with held_lock(lock_path_for(str(host.conf)), owner='a debug.yml run'):
        proc = host.run('--lock-timeout', '0.3')
    assert proc.returncode == 1
    assert 'still locked' in proc.stdout and 'a debug.yml run' in proc.stdout
    assert host.conf.read_bytes() == before
    assert host.installed() == (True, True)
    # Once the writer is done, the next minute does the job.
    assert host.run().returncode == 0
    assert host.conf.read_bytes() == ORIGINAL


def test_a_run_that_finds_another_at_work_leaves_at_once(host):
    before = raised(ORIGINAL, ('billmgr', 9, PAST))
    host.conf.write_bytes(before)
    with held_lock(str(host.dir / '.run.lock'), owner='the previous minute'):
        proc = host.run()
    assert (proc.returncode, proc.stdout) == (0, '')
    assert host.conf.read_bytes() == before and host.restarts() == []


def test_a_symlinked_debug_conf_stays_a_link(host):
    real = host.base / 'elsewhere.conf'
    real.write_bytes(raised(ORIGINAL, ('billmgr', 9, PAST)))
    host.conf.symlink_to(real)
    host.run()
    assert host.conf.is_symlink() and real.read_bytes() == ORIGINAL


def test_no_crontab_at_all_is_not_an_error(host):
    host.crontab.unlink()
    host.conf.write_bytes(ORIGINAL)
    proc = host.run()
    assert proc.returncode == 0, proc.stdout
    assert not host.dir.exists() and not host.crontab.exists()


def test_a_foreign_file_in_the_directory_is_left_with_the_directory(host):
    (host.dir / 'notes.txt').write_text('mine\n')
    host.conf.write_bytes(ORIGINAL)
    proc = host.run()
    assert sorted(os.listdir(host.dir)) == ['notes.txt']
    assert 'holds files that are not the reverter' in proc.stdout
    assert host.crontab.read_text() == CRONTAB_BEFORE


def test_the_role_ships_the_host_side_package_whole_and_the_script_imports_only_from_it():
    role_vars = yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text())
    assert role_vars['__billmgr_debug_window_hostside'].endswith('/plugins/module_utils/_hostside')
    assert "fileglob', __billmgr_debug_window_hostside ~ '/*.py'" in role_vars['__billmgr_debug_window_hostside_files']
    tasks = yaml.safe_load((ROLE / 'tasks' / 'reverter.yml').read_text())
    copies = [inner for task in tasks for inner in task.get('block', [task])
              if 'ansible.builtin.copy' in inner and 'loop' in inner]
    assert [(copy['loop'], copy['ansible.builtin.copy']['dest']) for copy in copies] == [
        ('{{ __billmgr_debug_window_hostside_files }}', '{{ billmgr_debug_window_reverter_dir }}/_hostside/{{ item }}')]
    imported = {line.split()[1] for line in SCRIPT.read_text().splitlines() if line.startswith('from _')
                and not line.startswith('from __')}
    assert imported and all(name.startswith('_hostside.') for name in imported), imported
    assert {name.split('.', 1)[1] + '.py' for name in imported} <= set(SHIPPED)
    # On the host there is no Ansible and no collection: the package imports the stdlib, and itself
    # only relatively (an absolute ansible_collections path would not be found there).
    for name in SHIPPED:
        for node in ast.walk(ast.parse((HOSTSIDE / name).read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert not node.module.startswith(('ansible', '_hostside')), (name, node.module)
            elif isinstance(node, ast.Import):
                assert not any(alias.name.startswith('ansible') for alias in node.names), name
    assert (HOSTSIDE / '__init__.py').read_text() == ''