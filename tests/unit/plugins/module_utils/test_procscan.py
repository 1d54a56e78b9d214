# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import subprocess
import sys
import time

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.procscan import parse_stat, running


def _fake_proc(tmp_path, processes):
    proc = tmp_path / 'proc'
    proc.mkdir()
    (proc / 'self').mkdir()
    (proc / 'meminfo').write_text('MemTotal: 1 kB\n')
    for pid, comm, state in processes:
        (proc / str(pid)).mkdir()
        (proc / str(pid) / 'stat').write_text('%d (%s) %s 1 1 1 0 -1\n' % (pid, comm, state))
    return str(proc)


def test_parse_stat_with_odd_names():
    assert parse_stat('42 (core) S 1 42 42 0') == ('core', 'S')
    assert parse_stat('43 (my (odd) name) R 1 2') == ('my (odd) name', 'R')


def test_running_names(tmp_path):
    proc = _fake_proc(tmp_path, [(10, 'core', 'S'), (11, 'sshd', 'S'), (12, 'ihttpd', 'Z')])
    assert running(['core', 'ihttpd', 'licctl'], proc=proc) == {'core': True, 'ihttpd': False, 'licctl': False}


def test_names_longer_than_comm_are_cut_like_the_kernel_does(tmp_path):
    proc = _fake_proc(tmp_path, [(10, 'averyveryverylo', 'S')])
    assert running(['averyveryverylongname'], proc=proc) == {'averyveryverylongname': True}


def test_a_vanishing_process_is_skipped(tmp_path):
    proc = _fake_proc(tmp_path, [(10, 'core', 'S')])
    os.mkdir(os.path.join(proc, '99'))  # no stat file: the process ended while we looked
    assert running(['core'], proc=proc) == {'core': True}


def test_a_real_process_is_seen(tmp_path):
    script = tmp_path / 'bmfacts-probe'
    script.write_text('#!%s\nimport time\ntime.sleep(30)\n' % sys.executable)
    script.chmod(0o755)
    child = subprocess.Popen([str(script)])
    try:
        # A script started by its path shows under its own name, as the platform's core does,
        # once the exec after the fork has happened.
        deadline = time.monotonic() + 10
        while not running(['bmfacts-probe'])['bmfacts-probe'] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert running(['bmfacts-probe'])['bmfacts-probe'] is True
    finally:
        child.kill()
        child.wait()
    assert running(['bmfacts-probe'])['bmfacts-probe'] is False
