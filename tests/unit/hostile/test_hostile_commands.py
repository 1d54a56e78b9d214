# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mgrctl, mgrctl_restart, licctl and licctl_info attacked: names, numbers, hanging and chatty
children, special files behind licctl.log, and secrets in what licctl prints and logs."""

from __future__ import annotations

import os

import pytest

from hostile_harness import BAD_NAMES, BAD_TIMEOUTS, attack, install_tool, make_special

from ansible_collections.billmgr.ops.plugins.modules import licctl, licctl_info, mgrctl, mgrctl_restart

KEY = 'Act1v-K3y-0042'
# A stand-in that behaves as BEHAVIOUR (a file beside the root) says: answer, hang with a
# grandchild holding the pipes, or flood stdout.
STAND_IN = r'''
import os, subprocess, sys, time
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
behaviour = open(os.path.join(root, 'behaviour')).read().strip()
if behaviour == 'hang':
    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', root])
    time.sleep(600)
if behaviour == 'orphan':
    # Exits at once, leaving a grandchild that keeps stdout open.
    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', root])
    print('name=root')
    sys.exit(0)
if behaviour == 'flood':
    chunk = b'x' * 65536 + b'\n'
    for _ in range(50 * 16):
        sys.stdout.buffer.write(chunk)
    sys.exit(0)
if behaviour == 'license':
    print('ID: 123\nExpire: 2099-01-01\nLicense key %s\nActivation code: %s\nlickey: %s' % ((KEY,) * 3))
    sys.exit(0)
print('name=root')
'''.replace('KEY', repr(KEY))


def _tools(root, behaviour='answer'):
    (root / 'behaviour').write_text(behaviour)
    for tool in ('sbin/mgrctl', 'sbin/licctl'):
        install_tool(root, tool, STAND_IN)
    return root


TIMEOUT_OPTIONS = [
    (mgrctl, {'func': 'whoami'}, 'timeout'),
    (mgrctl_restart, {}, 'timeout'),
    (mgrctl_restart, {}, 'poll_interval'),
    (mgrctl_restart, {}, 'mgrctl_timeout'),
    (licctl, {}, 'timeout'),
    (licctl_info, {}, 'timeout'),
]


@pytest.mark.parametrize('module, args, option', TIMEOUT_OPTIONS,
                         ids=['%s-%s' % (case[0].__name__.rsplit('.', 1)[-1], case[2]) for case in TIMEOUT_OPTIONS])
@pytest.mark.parametrize('value', BAD_TIMEOUTS)
def test_a_number_that_is_not_a_sane_one_is_refused(fake_root, module, args, option, value):
    if option == 'poll_interval' and value == '86401':
        value = '3601'
    _tools(fake_root)
    attack(module, dict(args, mgr_root=str(fake_root), **{option: value}), fake_root, refused=option)


NAME_OPTIONS = [
    (mgrctl, {'func': 'whoami'}, 'manager', 'manager'),
    (mgrctl, {}, 'func', 'func'),
    (mgrctl, {'func': 'whoami'}, 'secret_params', 'secret_params'),
    (licctl, {}, 'manager', 'manager'),
    (licctl_info, {}, 'manager', 'manager'),
]


@pytest.mark.parametrize('module, args, option, named', NAME_OPTIONS,
                         ids=['%s-%s' % (case[0].__name__.rsplit('.', 1)[-1], case[2]) for case in NAME_OPTIONS])
@pytest.mark.parametrize('value', BAD_NAMES)
def test_a_name_that_is_not_one_is_refused(fake_root, module, args, option, named, value):
    _tools(fake_root)
    if option == 'secret_params':
        value = [value]
    attack(module, dict(args, mgr_root=str(fake_root), **{option: value}), fake_root, refused=named)


@pytest.mark.parametrize('value', BAD_NAMES)
def test_a_parameter_name_that_is_not_one_is_refused(fake_root, value):
    _tools(fake_root)
    attack(mgrctl, {'mgr_root': str(fake_root), 'func': 'user', 'params': {value or ' ': 'x'}}, fake_root,
           refused='parameter name')


@pytest.mark.parametrize('behaviour', ['hang', 'orphan'])
@pytest.mark.parametrize('module, args', [(mgrctl, {'func': 'whoami', 'timeout': 2}),
                                          (licctl_info, {'timeout': 2}),
                                          (mgrctl_restart, {'state': 'started', 'timeout': 3, 'mgrctl_timeout': 2,
                                                            'poll_interval': 1})],
                         ids=['mgrctl', 'licctl_info', 'mgrctl_restart'])
def test_a_child_that_hangs_or_leaves_a_grandchild_on_the_pipe_is_bounded(fake_root, module, args, behaviour):
    _tools(fake_root, behaviour)
    try:
        _bounded(fake_root, module, args, behaviour)
    finally:
        survivors = _grandchildren(fake_root)
        for pid in survivors:
            os.kill(pid, 9)
    assert not survivors, 'the grandchild outlived the call that started it'


def _grandchildren(root):
    """PIDs of the stand-in's grandchildren still alive (their argv names ROOT)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                argv = handle.read().split(b'\0')
        except OSError:
            continue
        if str(root).encode() in argv and b'import time; time.sleep(600)' in argv:
            found.append(int(entry))
    return found


def _bounded(fake_root, module, args, behaviour):
    if behaviour == 'hang':
        # Killed at its timeout, and the task says so.
        attack(module, dict(args, mgr_root=str(fake_root)), fake_root, refused='killed')
    else:
        attack(module, dict(args, mgr_root=str(fake_root)), fake_root,
               handled=lambda result: result.get('rc') in (0, None) or pytest.fail(result))


def test_a_chatty_child_is_collected_with_a_cap(fake_root):
    _tools(fake_root, 'flood')

    def handled(result):
        assert len(result['stdout']) < 20 * 1024 * 1024
        assert 'more bytes of output not kept' in result['stdout']

    attack(mgrctl, {'mgr_root': str(fake_root), 'func': 'whoami', 'timeout': 120}, fake_root, handled=handled)


@pytest.mark.parametrize('module', [licctl, licctl_info], ids=['licctl', 'licctl_info'])
def test_license_key_fields_are_masked(fake_root, module):
    _tools(fake_root, 'license')
    attack(module, {'mgr_root': str(fake_root)}, fake_root, secrets=(KEY,),
           handled=lambda result: result['license']['id'] == 123 or pytest.fail(result))


@pytest.mark.parametrize('kind', ['fifo', '/dev/zero', 'nowhere'])
@pytest.mark.parametrize('module', [licctl, licctl_info], ids=['licctl', 'licctl_info'])
def test_a_licctl_log_that_is_not_a_regular_file_is_not_read(fake_root, module, kind):
    _tools(fake_root, 'license')
    make_special(fake_root / 'var' / 'licctl.log', kind)
    attack(module, {'mgr_root': str(fake_root)}, fake_root, secrets=(KEY,),
           handled=lambda result: result['license']['trial_used'] is None or pytest.fail(result))


@pytest.mark.parametrize('key', [KEY + '\nuser=root', KEY + '\x00', KEY + '\r'])
def test_a_key_that_cannot_be_one_line_is_refused_without_echo(fake_root, key):
    _tools(fake_root)
    attack(licctl, {'mgr_root': str(fake_root), 'key': key, 'force': True}, fake_root, refused='key',
           secrets=(KEY,))


@pytest.mark.parametrize('log_lines', [-1, 10 ** 18])
def test_log_lines_out_of_range_is_refused(fake_root, log_lines):
    _tools(fake_root)
    attack(licctl, {'mgr_root': str(fake_root), 'log_lines': log_lines}, fake_root, refused='log_lines')


@pytest.mark.parametrize('name', ['passwd', 'api_token', 'secret', 'lickey'])
def test_a_secret_looking_parameter_is_masked_without_being_listed(fake_root, name):
    _tools(fake_root)
    attack(mgrctl, {'mgr_root': str(fake_root), 'func': 'whoami', 'params': {name: KEY}}, fake_root,
           secrets=(KEY,), handled=lambda result: result['rc'] == 0 or pytest.fail(result))
