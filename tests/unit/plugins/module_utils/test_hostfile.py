# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import (
    HostFileError,
    read_bytes,
    replaceable_target,
)


def test_a_regular_file_and_a_link_to_one_are_read(tmp_path):
    (tmp_path / 'real').write_bytes(b'abc\n')
    os.symlink('real', str(tmp_path / 'link'))
    assert read_bytes(str(tmp_path / 'real')) == b'abc\n'
    assert read_bytes(str(tmp_path / 'link')) == b'abc\n'
    assert replaceable_target(str(tmp_path / 'link')) == str(tmp_path / 'real')


@pytest.mark.parametrize('kind', ['fifo', '/dev/zero', '/dev/null', 'directory'])
def test_anything_else_is_refused_naming_it(tmp_path, kind):
    path = str(tmp_path / 'debug.conf')
    makers = {'fifo': os.mkfifo, 'directory': os.mkdir}
    makers.get(kind, lambda where: os.symlink(kind, where))(path)
    with pytest.raises(HostFileError) as caught:
        read_bytes(path, what='debug.conf')
    assert path in str(caught.value) and 'not a regular file' in str(caught.value)
    with pytest.raises(HostFileError):
        replaceable_target(path)


def test_a_missing_file_is_told_apart_and_a_dangling_link_is_not_written_through(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / 'missing'))
    assert replaceable_target(str(tmp_path / 'missing')) == str(tmp_path / 'missing')
    os.symlink('elsewhere/x', str(tmp_path / 'dangling'))
    with pytest.raises(HostFileError) as caught:
        replaceable_target(str(tmp_path / 'dangling'))
    assert 'does not exist' in str(caught.value)


def test_the_size_bound_refuses_a_head_and_keeps_a_tail(tmp_path):
    path = tmp_path / 'big'
    path.write_bytes(b'a' * 100 + b'tail')
    with pytest.raises(HostFileError) as caught:
        read_bytes(str(path), limit=50)
    assert 'more than the 50' in str(caught.value)
    assert read_bytes(str(path), limit=4, tail=True) == b'tail'
