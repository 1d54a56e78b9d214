"""Issue 13: secrets in a host's logs never reach ``-vvvv`` output or the Ansible log, and hostile
options fail as tasks with a message, never as a module traceback.

Runs ansible-playbook with a local connection on a fake install root, so it needs no lab (and
takes no lab lock); each run has a hard wall-clock guard (a subprocess timeout)."""

import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from conftest import VENV_BIN, ansible_env

SECRETS = ('Pm-Pa55-0ut', 'Lic-K3y-0ut', 'T0k-0ut')
GUARD_SECONDS = 300


def _stamp(moment):
    return '%s %2d %s' % (moment.strftime('%b'), moment.day, moment.strftime('%H:%M:%S'))


@pytest.fixture
def root(tmp_path):
    root = tmp_path / 'mgr5'
    for sub in ('etc', 'var', 'var/logs', 'sbin'):
        (root / sub).mkdir(parents=True)
    when = _stamp(datetime.now() - timedelta(minutes=5))
    (root / 'var' / 'billmgr.log').write_text(
        "%s [9:1] rpc EXTINFO Query('func=paymethod.edit&password=%s&sok=ok')\n"
        "%s [9:1] rpc DEBUG mgrclient.cpp:215 Result xml: <doc><param name=\"secret\">%s</param></doc>\n"
        "%s [9:1] libmgr ERROR Error: Type: 'value' Object: '{\"api_token\": \"%s\"}' Value: 'x'\n"
        % (when, SECRETS[0], when, SECRETS[1], when, SECRETS[2]))
    (root / 'var' / 'licctl.log').write_text('%s [7:1] licctl INFO Fetching license for billmgr with key %s\n'
                                             % (when, SECRETS[1]))
    (root / 'etc' / 'debug.conf').write_text('billmgr.* 4\n')
    return root


def _playbook(tmp_path, tasks):
    path = tmp_path / 'hostile.yml'
    body = ['- name: Hostile', '  hosts: all', '  gather_facts: false', '  tasks:']
    for task in tasks:
        body.append('    - ' + task.strip().replace('\n', '\n    '))
    path.write_text('\n'.join(body) + '\n')
    return path


def _run(tmp_path, tasks):
    log = tmp_path / 'ansible.log'
    playbook = _playbook(tmp_path, tasks)
    proc = subprocess.run(
        [str(VENV_BIN / 'ansible-playbook'), '-vvvv', '-i', 'localhost,', '-c', 'local',
         '-e', 'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
        env=ansible_env({'ANSIBLE_LOG_PATH': str(log)}), capture_output=True, text=True,
        timeout=GUARD_SECONDS, stdin=subprocess.DEVNULL, check=False)
    logged = log.read_text() if log.exists() else ''
    return proc, logged


def test_log_secrets_stay_on_the_host_with_vvvv_and_the_ansible_log(root, tmp_path):
    proc, logged = _run(tmp_path, [
        'name: Grep\n  billmgr.ops.log_grep:\n    mgr_root: %s\n    levels: [ERROR, EXTINFO, DEBUG]' % root,
        'name: Facts\n  billmgr.ops.billmgr_facts:\n    mgr_root: %s\n    gather: [log_errors]' % root,
    ])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '********' in proc.stdout
    assert logged, 'ANSIBLE_LOG_PATH was not written'
    for secret in SECRETS:
        assert secret not in proc.stdout and secret not in proc.stderr and secret not in logged, secret


def test_hostile_options_fail_as_tasks_with_messages(root, tmp_path):
    before = (root / 'etc' / 'debug.conf').read_bytes()
    proc, logged = _run(tmp_path, [
        'name: Name with a newline\n  billmgr.ops.debug_level:\n    mgr_root: %s\n    log: "billmgr\\n"\n'
        '    level: 9\n  ignore_errors: true' % root,
        'name: Offset beyond a day\n  billmgr.ops.log_grep:\n    mgr_root: %s\n    since: "2026-01-01T00:00:00+99:00"\n'
        '  ignore_errors: true' % root,
        'name: Infinite timeout\n  billmgr.ops.mgrctl:\n    mgr_root: %s\n    func: whoami\n    timeout: .inf\n'
        '  ignore_errors: true' % root,
    ])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 'ignored=3' in proc.stdout, proc.stdout[-3000:]
    for expected in ('is not a log name', 'has a UTC offset that is not one', 'timeout: '):
        assert expected in proc.stdout
    for text in (proc.stdout, logged):
        assert 'Traceback' not in text and 'MODULE FAILURE' not in text
    assert (root / 'etc' / 'debug.conf').read_bytes() == before
    assert os.listdir(str(root / 'etc')) in (['debug.conf'], ['debug.conf', '.debug.conf.lock'],
                                             ['.debug.conf.lock', 'debug.conf'])
