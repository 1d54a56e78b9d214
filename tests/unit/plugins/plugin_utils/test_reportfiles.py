# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import (
    ReportFilesError,
    earlier_reports,
    make_directory,
    point_link,
    write_file,
)


def _sweep(base, name, body='{}'):
    (base / name).mkdir()
    (base / name / 'report.json').write_text(body)
    return str(base / name / 'report.json')


def test_earlier_reports_are_the_sweeps_oldest_first(tmp_path):
    newer = _sweep(tmp_path, '20261123T101500Z')
    older = _sweep(tmp_path, '20261122T235959Z')
    (tmp_path / 'latest').symlink_to('20261123T101500Z')
    (tmp_path / 'notes').mkdir()
    (tmp_path / 'notes' / 'report.json').write_text('{}')
    (tmp_path / '20261124T000000Z').mkdir()
    assert earlier_reports(str(tmp_path)) == [older, newer]


def test_no_report_directory_yet_is_no_earlier_report(tmp_path):
    assert earlier_reports(str(tmp_path / 'missing')) == []


def test_make_directory_applies_the_mode_whatever_the_umask(tmp_path):
    target = tmp_path / 'a' / 'b'
    old = os.umask(0o077)
    try:
        assert make_directory(str(target), 0o750) is True
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert make_directory(str(target), 0o750) is False


def test_write_file_replaces_in_one_rename_with_the_mode_and_leaves_no_temp(tmp_path):
    target = tmp_path / 'report.html'
    target.write_text('old')
    before = target.stat().st_ino
    write_file(str(target), 'näw\n', 0o640)
    assert target.read_bytes() == 'näw\n'.encode('utf-8')
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != before
    assert sorted(os.listdir(tmp_path)) == ['report.html']


def test_write_file_into_a_missing_directory_says_what_to_do(tmp_path):
    with pytest.raises(ReportFilesError, match='does not exist; create it'):
        write_file(str(tmp_path / 'nowhere' / 'x.prom'), 'x', 0o644)


@pytest.mark.skipif(os.geteuid() != 0, reason='changing owners needs root')
def test_a_replaced_file_keeps_its_owner(tmp_path):
    target = tmp_path / 'billmgr_health.prom'
    target.write_text('old')
    os.chown(target, 65534, 65534)
    write_file(str(target), 'new', 0o644)
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)


def test_point_link_swaps_the_target_and_reports_change(tmp_path):
    link = str(tmp_path / 'latest')
    assert point_link(link, '20261122T235959Z') is True
    assert point_link(link, '20261123T101500Z') is True
    assert os.readlink(link) == '20261123T101500Z'
    assert point_link(link, '20261123T101500Z') is False
    assert sorted(os.listdir(tmp_path)) == ['latest']


def test_point_link_never_replaces_what_is_not_a_link(tmp_path):
    (tmp_path / 'latest').mkdir()
    (tmp_path / 'latest' / 'keep.txt').write_text('mine')
    with pytest.raises(ReportFilesError, match='not a symlink; move it away'):
        point_link(str(tmp_path / 'latest'), '20261123T101500Z')
    assert (tmp_path / 'latest' / 'keep.txt').read_text() == 'mine'


def test_prune_keeps_the_newest_sweeps_and_nothing_else_is_touched(tmp_path):
    from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import prune_sweeps
    names = ['20261120T000000Z', '20261121T000000Z', '20261122T000000Z', '20261123T000000Z']
    for name in names:
        _sweep(tmp_path, name)
    (tmp_path / 'latest').symlink_to(names[-1])
    (tmp_path / 'notes').mkdir()
    (tmp_path / '20261119T000000Z.txt').write_text('mine')
    removed = prune_sweeps(str(tmp_path), 2, str(tmp_path / names[-1]))
    assert removed == [str(tmp_path / names[0]), str(tmp_path / names[1])]
    assert sorted(p.name for p in tmp_path.iterdir()) == ['20261119T000000Z.txt'] + names[2:] + ['latest', 'notes']


def test_prune_never_removes_the_current_sweep(tmp_path):
    from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import prune_sweeps
    _sweep(tmp_path, '20261123T000000Z')
    _sweep(tmp_path, '20261120T000000Z')
    # A clock that went back: the current sweep sorts first, and still stays.
    assert prune_sweeps(str(tmp_path), 1, str(tmp_path / '20261120T000000Z')) == []
