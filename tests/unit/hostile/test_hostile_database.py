# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""billmgr_query and billmgr_item_sync attacked: numbers, connection options, a password that
would add option-file lines, a client that never answers, and a signal in the middle of a call."""

from __future__ import annotations

import glob
import os
import signal
import time

import pytest

from hostile_harness import BAD_TIMEOUTS, attack, install_tool, record_handled, run_guarded

from ansible.module_utils import basic

from ansible_collections.billmgr.ops.plugins.modules import billmgr_item_sync, billmgr_query

PASSWORD = 'Db-Pa55-w0rd'
# Records the option file it was given, then answers nothing (or sleeps when told to).
CLIENT = r'''
import os, shutil, sys, time
here = os.path.dirname(os.path.abspath(__file__))
option_file = [arg.split('=', 1)[1] for arg in sys.argv if arg.startswith('--defaults-extra-file=')][0]
shutil.copy(option_file, os.path.join(here, 'seen.cnf'))
if os.path.exists(os.path.join(here, 'sleep')):
    time.sleep(600)
sys.stderr.write('ERROR 1045 (28000): Access denied for user (using password: YES)\n')
sys.exit(1)
'''


@pytest.fixture
def client(fake_root, monkeypatch):
    path = install_tool(fake_root, 'bin/mysql', CLIENT)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                        lambda module, name, *args, **kwargs: path if name in ('mariadb', 'mysql') else None)
    (fake_root / 'etc' / 'billmgr.conf').write_text('DBHost db.example.net\nDBUser billmgr\nDBPassword %s\n'
                                                    'DBName billmgr\n' % PASSWORD)
    return path


@pytest.mark.parametrize('module, args', [(billmgr_query, {'queries': ['active_providers']}),
                                          (billmgr_item_sync, {})], ids=['billmgr_query', 'billmgr_item_sync'])
@pytest.mark.parametrize('value', BAD_TIMEOUTS)
def test_a_timeout_that_is_not_a_sane_number_is_refused(fake_root, client, module, args, value):
    attack(module, dict(args, mgr_root=str(fake_root), timeout=value), fake_root, refused='timeout',
           secrets=(PASSWORD,))


@pytest.mark.parametrize('option', ['db_host', 'db_user', 'db_password', 'db_name'])
@pytest.mark.parametrize('tail', ['\nuser=root', '\r\nhost=evil', '\x00', '\x1b[2J'])
def test_a_connection_option_that_would_add_lines_is_refused_without_echo(fake_root, client, option, tail, tmp_path):
    value = PASSWORD + tail
    # Only the password is secret; the others may be echoed in the invocation, as given.
    secrets = (PASSWORD, tail.strip() or tail) if option == 'db_password' else ()
    attack(billmgr_query, {'mgr_root': str(fake_root), 'queries': ['active_providers'], option: value,
                           '_ansible_tmpdir': str(tmp_path)},
           fake_root, refused=option, secrets=secrets)
    assert not os.path.exists(os.path.join(os.path.dirname(client), 'seen.cnf'))


@pytest.mark.parametrize('password', ['quote"and\\slash', 'hash # and ; semicolon', "single ' quote", ' spaced '])
def test_an_awkward_password_stays_one_value_and_never_shows(fake_root, client, password, tmp_path):
    result = None
    try:
        attack(billmgr_query, {'mgr_root': str(fake_root), 'queries': ['active_providers'], 'db_password': password,
                               '_ansible_tmpdir': str(tmp_path)},
               fake_root, refused='refused', secrets=(password.strip(),), managed=('bin/seen.cnf',))
    finally:
        seen = os.path.join(os.path.dirname(client), 'seen.cnf')
        with open(seen) as handle:
            result = handle.read()
    lines = result.splitlines()
    assert [line.split('=', 1)[0] for line in lines] == ['[client]', 'user', 'password', 'host'], lines
    assert glob.glob(os.path.join(str(tmp_path), 'billmgr-ops-my-*')) == []


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_call_ended_by_a_signal_leaves_no_password_file(fake_root, client, tmp_path, signum):
    (fake_root / 'bin' / 'sleep').write_text('')
    seen = os.path.join(os.path.dirname(client), 'seen.cnf')

    def signal_mid_call(pid):
        deadline = time.monotonic() + 30
        while not os.path.exists(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(pid, signum)

    outcome, _seconds = run_guarded(billmgr_query, {'mgr_root': str(fake_root), 'queries': ['active_providers'],
                                                    '_ansible_tmpdir': str(tmp_path)},
                                    on_start=signal_mid_call)
    assert os.path.exists(seen), 'the client was never started'
    assert outcome['kind'] != 'hang'
    assert PASSWORD not in str(outcome)
    assert glob.glob(os.path.join(str(tmp_path), 'billmgr-ops-my-*')) == []
    record_handled('billmgr_query')
