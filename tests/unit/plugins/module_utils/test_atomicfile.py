# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.billmgr.ops.plugins.module_utils._files.atomicfile import AtomicWriteError, write_file_atomic


@pytest.fixture
def module():
    with patch_module_args({}):
        yield AnsibleModule(argument_spec={})


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_replaces_content_and_keeps_mode_and_owner(module, tmp_path):
    target = tmp_path / 'debug.conf'
    target.write_bytes(b'old\n')
    target.chmod(0o600)
    if os.geteuid() == 0:
        os.chown(target, 65534, 65534)
    write_file_atomic(module, str(target), b'new\n')
    assert target.read_bytes() == b'new\n'
    assert _mode(target) == 0o600
    if os.geteuid() == 0:
        assert (os.stat(target).st_uid, os.stat(target).st_gid) == (65534, 65534)
    assert sorted(os.listdir(tmp_path)) == ['debug.conf']


def test_new_file_gets_the_create_mode_whatever_the_umask(module, tmp_path):
    target = tmp_path / 'debug.conf'
    old_umask = os.umask(0o077)
    try:
        assert write_file_atomic(module, str(target), b'x\n') == ''
    finally:
        os.umask(old_umask)
    assert _mode(target) == 0o644
    assert target.read_bytes() == b'x\n'


def test_backup_keeps_the_old_bytes(module, tmp_path):
    target = tmp_path / 'debug.conf'
    target.write_bytes(b'old\n')
    backup = write_file_atomic(module, str(target), b'new\n', backup=True)
    assert backup and os.path.dirname(backup) == str(tmp_path)
    with open(backup, 'rb') as handle:
        assert handle.read() == b'old\n'
    assert target.read_bytes() == b'new\n'


def test_no_backup_of_a_file_that_did_not_exist(module, tmp_path):
    assert write_file_atomic(module, str(tmp_path / 'new.conf'), b'x', backup=True) == ''
    assert os.listdir(tmp_path) == ['new.conf']


def test_symlink_stays_a_link(module, tmp_path):
    real = tmp_path / 'real.conf'
    real.write_bytes(b'old\n')
    link = tmp_path / 'debug.conf'
    link.symlink_to(real)
    write_file_atomic(module, str(link), b'new\n')
    assert link.is_symlink()
    assert real.read_bytes() == b'new\n'


def test_missing_directory_is_a_clear_error(module, tmp_path):
    with pytest.raises(AtomicWriteError, match='does not exist'):
        write_file_atomic(module, str(tmp_path / 'etc' / 'debug.conf'), b'x')


def test_failed_move_leaves_the_file_and_no_temp_behind(module, tmp_path, monkeypatch):
    target = tmp_path / 'debug.conf'
    target.write_bytes(b'old\n')

    def refuse(src, dest):
        raise Exception('read-only file system')

    monkeypatch.setattr(module, 'atomic_move', refuse)
    with pytest.raises(AtomicWriteError, match='read-only file system'):
        write_file_atomic(module, str(target), b'new\n')
    assert target.read_bytes() == b'old\n'
    assert os.listdir(tmp_path) == ['debug.conf']


def test_backup_is_root_only_whatever_the_mode_of_the_file(module, tmp_path):
    target = tmp_path / 'debug.conf'
    target.write_bytes(b'old\n')
    target.chmod(0o644)
    backup = write_file_atomic(module, str(target), b'new\n', backup=True)
    assert backup and open(backup, 'rb').read() == b'old\n'
    assert _mode(backup) == 0o600 and _mode(target) == 0o644
