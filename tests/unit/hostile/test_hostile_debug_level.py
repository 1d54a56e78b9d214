# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""debug_level attacked: names, levels, expiries, and every kind of file behind debug.conf."""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import pytest

from hostile_harness import BAD_NAMES, BAD_TIMES, attack

from ansible_collections.billmgr.ops.plugins.modules import debug_level

OPERATOR_LINE = b'billmgr.* 4\n'
# The lock every writer of debug.conf takes (beside the file the link names) is the module's own file.
LOCK = ('etc/.debug.conf.lock', 'etc/.real.conf.lock')


def _conf(root, data=OPERATOR_LINE):
    path = root / 'etc' / 'debug.conf'
    path.write_bytes(data)
    return path


@pytest.mark.parametrize('option', ['log', 'module'])
@pytest.mark.parametrize('value', BAD_NAMES)
@pytest.mark.parametrize('check_mode', [False, True])
def test_a_name_that_is_not_one_is_refused(fake_root, option, value, check_mode):
    _conf(fake_root)
    args = {'mgr_root': str(fake_root), 'log': 'billmgr', 'module': '*', 'level': 9}
    args[option] = value
    attack(debug_level, args, fake_root, refused=option, check_mode=check_mode)


@pytest.mark.parametrize('level', [-1, 10, 10 ** 18])
def test_a_level_out_of_range_is_refused(fake_root, level):
    _conf(fake_root)
    attack(debug_level, {'mgr_root': str(fake_root), 'log': 'billmgr', 'level': level}, fake_root,
           refused='level')


@pytest.mark.parametrize('expires', BAD_TIMES + ['-1h', '0s', '101y', '1' * 40 + 'd'])
def test_an_expiry_that_is_not_one_is_refused(fake_root, expires):
    _conf(fake_root)
    attack(debug_level, {'mgr_root': str(fake_root), 'log': 'billmgr', 'level': 9, 'expires': expires},
           fake_root, refused='expires')


def _fifo(root):
    os.mkfifo(str(root / 'etc' / 'debug.conf'))


def _link(target):
    def make(root):
        os.symlink(target, str(root / 'etc' / 'debug.conf'))
    return make


def _directory(root):
    (root / 'etc' / 'debug.conf').mkdir()


SPECIAL = {
    'fifo': _fifo,
    'link to /dev/null': _link('/dev/null'),
    'link to /dev/zero': _link('/dev/zero'),
    'dangling link': _link('nowhere/debug.conf'),
    'link to a fifo': lambda root: (os.mkfifo(str(root / 'etc' / 'real.conf')), _link('real.conf')(root)),
    'directory': _directory,
}


@pytest.mark.parametrize('kind', sorted(SPECIAL))
@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('state', ['present', 'absent'])
def test_debug_conf_that_is_not_a_regular_file_is_refused_and_left_alone(fake_root, kind, check_mode, state):
    SPECIAL[kind](fake_root)
    args = {'mgr_root': str(fake_root), 'log': 'billmgr', 'level': 9, 'state': state}
    attack(debug_level, args, fake_root, refused='debug.conf', check_mode=check_mode, managed=LOCK)
    assert not os.path.exists(str(fake_root / 'etc' / 'nowhere'))


def test_a_link_to_a_regular_file_is_followed_and_stays_a_link(fake_root):
    (fake_root / 'etc' / 'real.conf').write_bytes(OPERATOR_LINE)
    _link('real.conf')(fake_root)

    def handled(result):
        assert result['changed'] is True
        assert os.path.islink(str(fake_root / 'etc' / 'debug.conf'))
        assert b'billmgr.* 9' in (fake_root / 'etc' / 'real.conf').read_bytes()

    attack(debug_level, {'mgr_root': str(fake_root), 'log': 'billmgr', 'level': 9, 'expires': '1h'}, fake_root,
           handled=handled, managed=('etc/real.conf',) + LOCK)


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to hand the file to root and run as another user')
def test_a_non_root_run_cannot_take_over_a_root_owned_read_only_file():
    # Below a directory every user may enter: pytest's own temporary tree is root's alone.
    fake_root = pathlib.Path(tempfile.mkdtemp(prefix='billmgr-ops-hostile-'))
    try:
        _non_root_run(fake_root)
    finally:
        shutil.rmtree(str(fake_root))


def _non_root_run(fake_root):
    os.chmod(str(fake_root), 0o755)
    (fake_root / 'etc').mkdir()
    conf = _conf(fake_root)
    conf.chmod(0o444)
    os.chmod(str(fake_root / 'etc'), 0o777)
    attack(debug_level, {'mgr_root': str(fake_root), 'log': 'billmgr', 'level': 9, 'expires': '1h'}, fake_root,
           refused='become: true', as_uid=65534,
           managed=LOCK)
    info = conf.stat()
    assert (info.st_uid, oct(info.st_mode & 0o7777)) == (0, oct(0o444))
