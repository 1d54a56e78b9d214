# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.billmgr.ops.plugins.modules import debug_level

SPEC_EXAMPLE = (
    b'# verbosity of the platform logs\n'
    b'SET color=off\n'
    b'\n'
    b'billmgr.* 4\n'
    b'pmvmmgr6.* 9\n'
    b'* 6\n'
    b'*.db 6\n'
)
AWKWARD = b'# crlf file\r\nSET color=off\r\n\xff\xfe not a line\r\n' + b'z' * (1024 * 1024) + b'\r\nbillmgr 4'


class DebugConfFile:
    def __init__(self, root):
        self.root = root
        self.path = root.join('etc', 'debug.conf')

    def write(self, data, mode=0o644):
        with open(self.path, 'wb') as handle:
            handle.write(data)
        os.chmod(self.path, mode)
        # An old, exact mtime makes "not written" checkable without timing.
        os.utime(self.path, (1000000000, 1000000000))

    def read(self):
        with open(self.path, 'rb') as handle:
            return handle.read()

    def mtime(self):
        return os.stat(self.path).st_mtime

    def args(self, **options):
        return dict(mgr_root=self.root.path, **options)


@pytest.fixture
def conf(fake_mgr_root):
    return DebugConfFile(fake_mgr_root)


def _in_future(iso, low, high):
    moment = datetime.strptime(iso, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    return now + low <= moment <= now + high


def test_present_adds_a_marked_line_and_touches_nothing_else(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='pmbillmgr', level=9, expires='2h'))
    assert result['changed'] and result['restart_required'] is True
    assert result['service_restart_required'] is None
    data = conf.read()
    assert data.startswith(SPEC_EXAMPLE)
    lines = data[len(SPEC_EXAMPLE):].decode().splitlines()
    assert lines[0].startswith('# billmgr.ops managed: log=pmbillmgr module=* previous=none expires=')
    # A module's log is written NAME LEVEL, the form the older Python logger of modules reads.
    assert lines[1] == 'pmbillmgr 9' and len(lines) == 2
    [entry] = result['entries']
    assert (entry['log'], entry['module'], entry['level'], entry['previous']) == ('pmbillmgr', '*', 9, None)
    assert _in_future(entry['expires'], timedelta(minutes=119), timedelta(minutes=121))
    assert 'pmbillmgr.* is 9 until' in result['msg'] and 'mgrctl_restart' in result['msg']


def test_same_call_twice_changes_nothing_the_second_time(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    args = conf.args(log='billmgr', level=9, expires='30m')
    assert run_module(debug_level, args)['changed'] is True
    first = conf.read()
    again = run_module(debug_level, args)
    assert again['changed'] is False and again['restart_required'] is False
    assert conf.read() == first


@pytest.mark.parametrize('original', [SPEC_EXAMPLE, AWKWARD, b''], ids=['spec', 'crlf-garbage-1MB-no-newline', 'empty'])
def test_raise_then_absent_gives_back_the_original_bytes(run_module, conf, original):
    conf.write(original)
    raised = run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'))
    assert raised['changed']
    assert conf.read() != original
    restored = run_module(debug_level, conf.args(log='billmgr', state='absent'))
    assert restored['changed'] and restored['restart_required'] is True
    assert conf.read() == original
    assert restored['entries'] == []


def test_raising_twice_keeps_the_memory_of_the_operators_level(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    run_module(debug_level, conf.args(log='billmgr', level=7))
    result = run_module(debug_level, conf.args(log='billmgr', level=9))
    assert result['entries'][0]['previous'] == 4
    run_module(debug_level, conf.args(log='billmgr', state='absent'))
    assert conf.read() == SPEC_EXAMPLE


def test_check_mode_writes_nothing_and_reports_the_diff(run_module, conf):
    conf.write(SPEC_EXAMPLE, mode=0o640)
    result = run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'), check_mode=True, diff=True)
    assert result['changed'] is True and result['restart_required'] is True
    assert conf.read() == SPEC_EXAMPLE and conf.mtime() == 1000000000
    assert result['diff']['before'] == SPEC_EXAMPLE.decode()
    assert 'billmgr.* 9' in result['diff']['after'] and 'previous=4' in result['diff']['after']
    assert result['entries'][0]['level'] == 9
    assert os.listdir(os.path.dirname(conf.path)) == ['debug.conf']


def test_check_mode_does_not_create_a_missing_file(run_module, conf):
    result = run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'), check_mode=True, diff=True)
    assert result['changed'] is True
    assert not os.path.exists(conf.path)
    assert result['diff']['before'] == '' and result['diff']['after'].endswith('billmgr.* 9\n')


def test_diff_of_a_file_that_is_not_utf8(run_module, conf):
    conf.write(b'# \xff\xfe latin-1 caf\xe9\nbillmgr.* 4\n')
    result = run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'), diff=True)
    assert '\ufffd' in result['diff']['before'] and 'billmgr.* 9' in result['diff']['after']
    assert conf.read().startswith(b'# \xff\xfe latin-1 caf\xe9\n')


def test_no_diff_unless_asked(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    assert 'diff' not in run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'))


def test_owner_and_mode_are_kept(run_module, conf):
    conf.write(SPEC_EXAMPLE, mode=0o640)
    if os.geteuid() == 0:
        os.chown(conf.path, 65534, 65534)
    run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'))
    st = os.stat(conf.path)
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (65534, 65534)


def test_backup_holds_the_file_as_it_was(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h', backup=True))
    assert result['backup_file'] and os.path.dirname(result['backup_file']) == os.path.dirname(conf.path)
    with open(result['backup_file'], 'rb') as handle:
        assert handle.read() == SPEC_EXAMPLE
    assert run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h', backup=True))['backup_file'] == ''


def test_revert_expired_alone_undoes_only_what_is_due(run_module, conf):
    conf.write(b'billmgr.* 4\n'
               b'# billmgr.ops managed: log=billmgr module=* previous=4 expires=2000-01-01T00:00:00Z\n'
               b'billmgr.* 9\n'
               b'# billmgr.ops managed: log=ihttpd module=* previous=none expires=2001-01-01T00:00:00Z\n'
               b'ihttpd.* 9\n'
               b'# billmgr.ops managed: log=pmbillmgr module=* previous=none expires=2999-01-01T00:00:00Z\n'
               b'pmbillmgr.* 9\n')
    result = run_module(debug_level, conf.args(revert_expired=True))
    assert result['changed'] is True
    assert [(e['log'], e['previous'], e['expires']) for e in result['reverted']] == [
        ('billmgr', 4, '2000-01-01T00:00:00Z'), ('ihttpd', None, '2001-01-01T00:00:00Z')]
    assert conf.read() == (b'billmgr.* 4\n'
                           b'billmgr.* 4\n'
                           b'# billmgr.ops managed: log=pmbillmgr module=* previous=none expires=2999-01-01T00:00:00Z\n'
                           b'pmbillmgr.* 9\n')
    assert result['restart_required'] is True and result['service_restart_required'] == 'ihttpd'
    assert [e['log'] for e in result['entries']] == ['pmbillmgr']
    again = run_module(debug_level, conf.args(revert_expired=True))
    assert again['changed'] is False and again['reverted'] == []


def test_revert_expired_with_a_new_level_in_one_call(run_module, conf):
    conf.write(b'# billmgr.ops managed: log=billmgr module=* previous=none expires=2000-01-01T00:00:00Z\nbillmgr.* 9\n')
    result = run_module(debug_level, conf.args(revert_expired=True, log='pmbillmgr', level=8, expires='1d'))
    assert [e['log'] for e in result['reverted']] == ['billmgr']
    assert [e['log'] for e in result['entries']] == ['pmbillmgr']


def test_missing_file_is_created_by_present_with_mode_0644(run_module, conf):
    old = os.umask(0o077)
    try:
        result = run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'))
    finally:
        os.umask(old)
    assert result['changed']
    assert stat.S_IMODE(os.stat(conf.path).st_mode) == 0o644
    assert conf.read().endswith(b'\nbillmgr.* 9\n')


@pytest.mark.parametrize('options', [{'log': 'billmgr', 'state': 'absent'}, {'revert_expired': True}])
def test_missing_file_stays_missing_without_something_to_write(run_module, conf, options):
    result = run_module(debug_level, conf.args(**options))
    assert result['changed'] is False
    assert not os.path.exists(conf.path)


def test_absent_when_nothing_is_there_changes_nothing(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='pmbillmgr', state='absent'))
    assert result['changed'] is False and conf.mtime() == 1000000000
    assert 'pmbillmgr.* has no line' in result['msg']


def test_ihttpd_asks_for_its_service_not_the_platform(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='ihttpd', level=6, expires='30m'))
    assert result['restart_required'] is False
    assert result['service_restart_required'] == 'ihttpd'
    assert 'restart the ihttpd service' in result['msg']


def test_every_log_asks_for_both_restarts(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='*', level=7, expires='30m'))
    assert result['restart_required'] is True and result['service_restart_required'] == 'ihttpd'
    assert b'\n* 7\n' in conf.read() and b'previous=6' in conf.read()


def test_new_expiry_alone_needs_no_restart(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    run_module(debug_level, conf.args(log='billmgr', level=9, expires='2999-01-01T00:00:00Z'))
    result = run_module(debug_level, conf.args(log='billmgr', level=9, expires='2998-01-01T00:00:00Z'))
    assert result['changed'] is True and result['restart_required'] is False
    assert result['entries'][0]['expires'] == '2998-01-01T00:00:00Z'


def test_loud_level_without_expiry_warns(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='billmgr', level=9))
    assert any('give expires' in warning for warning in result.get('warnings', []))
    quiet = run_module(debug_level, conf.args(log='pmbillmgr', level=5))
    assert not any('pmbillmgr' in warning for warning in quiet.get('warnings', []))


@pytest.mark.parametrize('options,message', [
    ({'log': '../../etc/shadow', 'level': 9}, 'is not a log name'),
    ({'log': 'billmgr', 'level': 12}, 'out of range'),
    ({'log': 'billmgr', 'module': '../db', 'level': 9}, 'is not a module name'),
    ({'log': 'billmgr'}, 'needs level'),
    ({'level': 9}, 'revert_expired'),
    ({'log': 'billmgr', 'level': 9, 'expires': 'whenever'}, 'neither a duration'),
    ({'log': 'billmgr', 'level': 9, 'expires': '2000-01-01T00:00:00Z'}, 'not in the future'),
    ({'log': 'billmgr', 'level': 9, 'expires': '0m'}, 'not in the future'),
])
def test_bad_input_is_refused_and_nothing_is_written(run_module, conf, options, message):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(**options))
    assert result['failed'] and message in result['msg'], result['msg']
    assert conf.read() == SPEC_EXAMPLE and conf.mtime() == 1000000000


def test_missing_etc_directory_points_at_mgr_root(run_module, tmp_path):
    result = run_module(debug_level, {'mgr_root': str(tmp_path), 'log': 'billmgr', 'level': 9, 'expires': '1h'})
    assert result['failed'] and 'does not exist' in result['msg'] and 'mgr_root' in result['msg']
    # The computed change is still reported.
    assert result['entries'][0]['log'] == 'billmgr'


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.debug_level')
    assert_docs_match_argspec(debug_level, doc['doc']['options'])
    assert set(doc['return']) == {'path', 'restart_required', 'service_restart_required', 'entries', 'expires',
                                  'reverted', 'backup_file', 'msg'}


def test_absent_keeps_an_operators_line_and_says_so(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='pmvmmgr6', state='absent'))
    assert result['changed'] is False and conf.read() == SPEC_EXAMPLE
    assert any("pmvmmgr6.* 9" in warning and 'unmanaged: remove' in warning for warning in result['warnings'])


def test_absent_with_unmanaged_remove_clears_a_forgotten_level(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    result = run_module(debug_level, conf.args(log='pmvmmgr6', state='absent', unmanaged='remove'))
    assert result['changed'] is True and result['restart_required'] is True
    assert conf.read() == SPEC_EXAMPLE.replace(b'pmvmmgr6.* 9\n', b'')


def test_set_then_absent_on_a_missing_file_leaves_no_file(run_module, conf):
    assert run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'))['changed']
    assert b'file=new' in conf.read()
    checked = run_module(debug_level, conf.args(log='billmgr', state='absent'), check_mode=True)
    assert checked['changed'] and os.path.exists(conf.path)
    result = run_module(debug_level, conf.args(log='billmgr', state='absent'))
    assert result['changed'] and not os.path.exists(conf.path)
    assert run_module(debug_level, conf.args(log='billmgr', state='absent'))['changed'] is False


def test_a_hand_edited_marker_is_refused_with_a_warning_not_a_traceback(run_module, conf):
    edited = ('# billmgr.ops managed: log=billmgr module=* previous=\u00b2 expires=2020-01-01T00:00:00Z\n'
              'billmgr.* 9\n').encode()
    conf.write(edited)
    for options in ({'log': 'billmgr', 'state': 'absent'}, {'revert_expired': True}):
        result = run_module(debug_level, conf.args(**options))
        assert not result.get('failed') and result['changed'] is False, result
        assert any('line 1' in warning and 'previous=\u00b2' in warning for warning in result['warnings'])
        assert conf.read() == edited


def test_two_lines_for_one_log_are_changed_together(run_module, conf):
    original = b'billmgr.* 4\nbillmgr 6\n'
    conf.write(original)
    result = run_module(debug_level, conf.args(log='billmgr', level=9, expires='1h'))
    assert result['changed'] and [e['previous'] for e in result['entries']] == [4, 6]
    assert [line for line in conf.read().decode().splitlines() if not line.startswith('#')] == ['billmgr.* 9', 'billmgr 9']
    assert run_module(debug_level, conf.args(log='billmgr', state='absent'))['changed']
    assert conf.read() == original


def test_form_forces_the_dotted_line_for_a_module_log(run_module, conf):
    conf.write(b'')
    run_module(debug_level, conf.args(log='pmbillmgr', level=9, expires='1h', form='dotted'))
    assert conf.read().endswith(b'\npmbillmgr.* 9\n')


def test_the_end_of_the_first_log_given_to_the_next_makes_one_window_end(run_module, conf):
    conf.write(SPEC_EXAMPLE)
    first = run_module(debug_level, conf.args(log='billmgr', level=9, expires='30m'))
    assert first['expires'] == next(e['expires'] for e in first['entries'] if e['log'] == 'billmgr')
    second = run_module(debug_level, conf.args(log='pmbillmgr', level=9, expires=first['expires']))
    assert second['changed'] and second['expires'] == first['expires']
    assert {entry['expires'] for entry in second['entries']} == {first['expires']}
    # Opening the same window again: the first keeps its end, so the next is not touched either.
    again = run_module(debug_level, conf.args(log='billmgr', level=9, expires='30m'))
    assert not again['changed'] and again['expires'] == first['expires']
    assert not run_module(debug_level, conf.args(log='pmbillmgr', level=9, expires=again['expires']))['changed']


@pytest.mark.parametrize('options', [dict(log='billmgr', state='absent'), dict(revert_expired=True),
                                     dict(log='billmgr', level=4)])
def test_expires_is_null_when_the_entry_has_no_end(run_module, conf, options):
    conf.write(SPEC_EXAMPLE)
    assert run_module(debug_level, conf.args(**options))['expires'] is None
