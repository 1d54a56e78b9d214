# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import LogSource
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsources import (
    LogSourceError,
    archives_of,
    check_name,
    find_sources,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout


@pytest.fixture
def layout(tmp_path):
    var = tmp_path / 'var'
    (var / 'logs').mkdir(parents=True)
    for name in ('billmgr.log', 'billmgr.auth.log', 'pmbillmgr.log', 'pmvmmgr6.log', 'billmaintain.log', 'notes.txt'):
        (var / name).write_text('')
    (var / 'pmold.log').mkdir()  # a directory is not a log
    archives = [('billmgr.log.2024-03-01_00-00-00.1.gz', 100), ('billmgr.log.2024-03-02_00-00-00.2.gz', 200),
                ('billmgr.log-20240228.bz2', 50), ('billmgr.auth.log.1.gz', 10), ('billmaintain.1.gz', 10),
                ('billmgrx.log.1.gz', 10), ('pmgone.log.1', 10)]
    for name, mtime in archives:
        (var / 'logs' / name).write_text('')
        os.utime(str(var / 'logs' / name), (mtime, mtime))
    return MgrLayout(str(tmp_path))


def paths(sources):
    return [(source.log, os.path.relpath(source.path, source.path.split('/var/')[0] + '/var')) for source in sources]


@pytest.mark.parametrize('name', ['../../etc/shadow', 'a/b', '/etc/passwd', '..', 'bill mgr', '', '.hidden',
                                  '*/x', 'pm*/..', 'pm[a-z]*', '~root'])
def test_paths_and_strange_names_are_refused(layout, name):
    with pytest.raises(LogSourceError) as caught:
        check_name(name, layout)
    assert str(caught.value) == (
        'logs: log name %r is not a plain log name: give a name like billmgr or pmbillmgr found under %s '
        '(globs may use * and ?; no paths)' % (name, layout.var_dir))


@pytest.mark.parametrize('name, stem', [('billmgr', 'billmgr'), ('billmgr.log', 'billmgr'), ('pm*', 'pm*'),
                                        ('pm?illmgr.log', 'pm?illmgr'), ('billmgr.auth', 'billmgr.auth')])
def test_plain_names_and_globs(layout, name, stem):
    assert check_name(name, layout) == stem


def test_live_logs_by_name_and_glob(layout):
    sources, missing = find_sources(layout, ['billmgr.log', 'pm*', 'pmvmmgr6', 'nosuch', 'zz*'])
    assert paths(sources) == [('billmgr', 'billmgr.log'), ('pmbillmgr', 'pmbillmgr.log'), ('pmvmmgr6', 'pmvmmgr6.log')]
    assert missing == ['nosuch', 'zz*']
    assert all(isinstance(source, LogSource) for source in sources)


def test_archives_come_first_oldest_first(layout):
    sources, missing = find_sources(layout, ['billmgr', 'billmaintain', 'pmgone'], rotated=True)
    assert paths(sources) == [
        ('billmgr', 'logs/billmgr.log-20240228.bz2'),
        ('billmgr', 'logs/billmgr.log.2024-03-01_00-00-00.1.gz'),
        ('billmgr', 'logs/billmgr.log.2024-03-02_00-00-00.2.gz'),
        ('billmgr', 'billmgr.log'),
        ('billmaintain', 'logs/billmaintain.1.gz'),
        ('billmaintain', 'billmaintain.log'),
        ('pmgone', 'logs/pmgone.log.1'),
    ]
    assert missing == []
    assert [os.path.basename(path) for path in archives_of(layout, 'billmgr.auth')] == ['billmgr.auth.log.1.gz']


def test_archives_only_when_asked(layout):
    sources, missing = find_sources(layout, ['pmgone'])
    assert sources == [] and missing == ['pmgone']


def test_a_missing_var_directory_points_at_mgr_root(tmp_path):
    with pytest.raises(LogSourceError, match='does not exist: is the platform installed under .*Set mgr_root'):
        find_sources(MgrLayout(str(tmp_path / 'elsewhere')), ['billmgr'])
