# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat
from unittest.mock import MagicMock

import pytest

from ansible.playbook.task import Task

from ansible_collections.billmgr.ops.plugins.action.report_files import ActionModule


def _run(args, check_mode=False):
    task = Task()
    task.args = args
    task.check_mode = check_mode
    task.action = 'billmgr.ops.report_files'
    action = ActionModule(task, MagicMock(), MagicMock(), loader=MagicMock(), templar=MagicMock(),
                          shared_loader_obj=MagicMock())
    return action.run(task_vars={})


def _files():
    return [{'path': 'report.json', 'content': '{}\n'}, {'path': 'report.md', 'content': '# x\n', 'mode': '0600'}]


def test_writes_the_directory_the_files_and_a_relative_latest(tmp_path):
    sweep = tmp_path / '20261123T101500Z'
    result = _run({'dir': str(sweep), 'files': _files(), 'latest': str(tmp_path / 'latest')})
    assert not result.get('failed'), result
    assert result['changed'] is True
    assert result['written'] == [str(sweep / 'report.json'), str(sweep / 'report.md')]
    assert stat.S_IMODE(sweep.stat().st_mode) == 0o750
    assert stat.S_IMODE((sweep / 'report.json').stat().st_mode) == 0o640
    assert stat.S_IMODE((sweep / 'report.md').stat().st_mode) == 0o600
    assert os.readlink(tmp_path / 'latest') == '20261123T101500Z'


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('path', ['/etc/passwd', '../escape.txt', 'a/../../b', 'a\nb', ''])
def test_a_path_outside_the_directory_is_refused_in_both_modes(tmp_path, path, check_mode):
    prom = tmp_path / 'textfile' / 'billmgr_health.prom'
    prom.parent.mkdir()
    result = _run({'dir': str(tmp_path / 'sweep'),
                   'files': [{'path': path or str(prom), 'content': 'x 1\n', 'mode': '0644'}]},
                  check_mode=check_mode)
    assert result['failed'] is True and 'files[0].path' in result['msg'], result
    assert sorted(os.listdir(tmp_path)) == ['textfile'] and not prom.exists()


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('option, mode', [('file', '7777'), ('file', '4755'), ('file', '1e3'), ('dir', '2750')])
def test_special_bits_and_non_octal_modes_are_refused_in_both_modes(tmp_path, option, mode, check_mode):
    args = {'dir': str(tmp_path / 'sweep'), 'files': [{'path': 'a', 'content': ''}]}
    if option == 'file':
        args['files'][0]['mode'] = mode
    else:
        args['dir_mode'] = mode
    result = _run(args, check_mode=check_mode)
    assert result['failed'] is True and ('files[0].mode' if option == 'file' else 'dir_mode') in result['msg']
    assert os.listdir(tmp_path) == []


def test_check_mode_writes_nothing_and_lists_the_plan(tmp_path):
    result = _run({'dir': str(tmp_path / 'sweep'), 'files': _files(), 'latest': str(tmp_path / 'latest')},
                  check_mode=True)
    assert result['changed'] is False
    assert result['planned'] == [str(tmp_path / 'sweep' / 'report.json'), str(tmp_path / 'sweep' / 'report.md')]
    assert os.listdir(tmp_path) == []


def test_a_bad_mode_fails_before_anything_is_written(tmp_path):
    result = _run({'dir': str(tmp_path / 'sweep'), 'files': [{'path': 'a', 'content': '', 'mode': 'rw-r--r--'}]})
    assert result['failed'] is True
    assert 'octal permission mode from 0000 to 0777' in result['msg']
    assert os.listdir(tmp_path) == []


def test_a_failure_names_the_file_and_keeps_what_was_written(tmp_path):
    (tmp_path / 'latest').mkdir()
    result = _run({'dir': str(tmp_path / 'sweep'), 'files': _files(), 'latest': str(tmp_path / 'latest')})
    assert result['failed'] is True
    assert 'latest exists and is not a symlink' in result['msg']
    assert len(result['written']) == 2


def test_check_mode_refuses_the_latest_a_run_would_refuse(tmp_path):
    (tmp_path / 'latest').mkdir()
    result = _run({'dir': str(tmp_path / 'sweep'), 'files': _files(), 'latest': str(tmp_path / 'latest')},
                  check_mode=True)
    assert result['failed'] is True
    assert 'latest exists and is not a symlink' in result['msg']
    assert result['written'] == [] and os.listdir(tmp_path) == ['latest']


def test_keep_prunes_older_sweeps_after_the_link_points_at_this_one(tmp_path):
    for name in ('20261120T000000Z', '20261121T000000Z'):
        (tmp_path / name).mkdir()
        (tmp_path / name / 'report.json').write_text('{}')
    sweep = tmp_path / '20261123T101500Z'
    result = _run({'dir': str(sweep), 'files': _files(), 'latest': str(tmp_path / 'latest'), 'keep': 2})
    assert not result.get('failed'), result
    assert result['pruned'] == [str(tmp_path / '20261120T000000Z')]
    assert sorted(p.name for p in tmp_path.iterdir()) == ['20261121T000000Z', '20261123T101500Z', 'latest']


@pytest.mark.parametrize('check_mode', [False, True])
def test_keep_is_bounded_and_check_mode_prunes_nothing(tmp_path, check_mode):
    result = _run({'dir': str(tmp_path / 's'), 'files': _files(), 'keep': -1}, check_mode=check_mode)
    assert result['failed'] is True and 'keep' in result['msg']
    (tmp_path / '20261120T000000Z').mkdir()
    result = _run({'dir': str(tmp_path / '20261123T101500Z'), 'files': _files(), 'latest': str(tmp_path / 'latest'),
                   'keep': 1}, check_mode=check_mode)
    assert (tmp_path / '20261120T000000Z').exists() == check_mode
