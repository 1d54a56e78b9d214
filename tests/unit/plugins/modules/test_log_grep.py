# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""billmgr.ops.log_grep run as Ansible runs it, on a mgr root built in a temporary directory."""

from __future__ import annotations

import gzip
import os
import time
from datetime import datetime, timedelta

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import LogScanError
from ansible_collections.billmgr.ops.plugins.modules import log_grep

NOW = datetime.now().replace(microsecond=0)


def stamp(when):
    return when.strftime('%b ') + '%2d' % when.day + when.strftime(' %H:%M:%S')


def line(when, key, logger, level, message):
    return '%s [%s] %s %s %s\n' % (stamp(when), key, logger, level, message)


@pytest.fixture
def mgr_root(tmp_path):
    """var/billmgr.log (with an XML error), var/pmbillmgr.log, and one gzip archive of billmgr.log."""
    var = tmp_path / 'var'
    (var / 'logs').mkdir(parents=True)
    recent, old = NOW - timedelta(minutes=10), NOW - timedelta(hours=3)
    billmgr = (line(old, '100:1', 'libmgr', 'ERROR', "Error: Type: 'value' Object: 'period' Value: '-1'")
               + line(recent - timedelta(seconds=2), '100:7', 'rpc', 'EXTINFO', "Query('func=payment.add')")
               + line(recent - timedelta(seconds=1), '100:8', 'rpc', 'INFO', 'Module answered ERROR 500')
               + line(recent, '100:7', 'libmgr', 'ERROR', "Error: Type: 'missed' Object: 'function' Value: 'x'")
               + '<doc>\n  <error>ERROR missed(function)</error>\n</doc>\n'
               + line(recent + timedelta(seconds=1), '100:7', 'rpc', 'INFO', 'rollback'))
    (var / 'billmgr.log').write_text(billmgr)
    (var / 'pmbillmgr.log').write_text(line(recent, '200', 'pmbillmgr', 'ERROR', 'connection refused'))
    archived = line(NOW - timedelta(days=2), '50:1', 'libmgr', 'ERROR', "Error: Type: 'sql' Object: 'query'")
    with gzip.open(str(var / 'logs' / 'billmgr.log.1.gz'), 'wt') as handle:
        handle.write(archived)
    two_days_ago = time.mktime((NOW - timedelta(days=2)).timetuple())
    os.utime(str(var / 'logs' / 'billmgr.log.1.gz'), (two_days_ago, two_days_ago))
    return str(tmp_path)


def test_documentation_matches_the_argument_spec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.log_grep')
    assert_docs_match_argspec(log_grep, doc['doc']['options'])
    assert doc['doc']['attributes']['check_mode']['support'] == 'full'
    assert set(doc['return']) == {'matches', 'counts', 'scanned_bytes', 'truncated', 'missing', 'window',
                                  'unparsed_headers', 'zones', 'unreadable_archives'}


def test_errors_of_billmgr_log_with_their_thread(run_module, mgr_root):
    result = run_module(log_grep, {'mgr_root': mgr_root})
    assert result['changed'] is False and 'failed' not in result
    assert result['counts'] == {'by_log': {'billmgr': 2}, 'by_level': {'ERROR': 2},
                                'by_error_type': {'value': 1, 'missed': 1}}
    old, recent = result['matches']
    assert recent['file'] == os.path.join(mgr_root, 'var', 'billmgr.log')
    assert recent['message'] == ("Error: Type: 'missed' Object: 'function' Value: 'x'\n"
                                 "<doc>\n  <error>ERROR missed(function)</error>\n</doc>")
    assert recent['error'] == {'type': 'missed', 'object': 'function', 'value': 'x'}
    assert recent['thread_key'] == '100:7' and recent['time'].startswith((NOW - timedelta(minutes=10)).isoformat())
    assert [c.split('] ', 1)[1] for c in recent['context']] == ["rpc EXTINFO Query('func=payment.add')", 'rpc INFO rollback']
    assert old['context'] == []
    assert result['missing'] == [] and result['truncated'] is False
    assert result['window'] == {'since': None, 'until': None}
    assert result['scanned_bytes'] == os.path.getsize(recent['file'])


def test_check_mode_returns_the_same(run_module, mgr_root):
    normal = run_module(log_grep, {'mgr_root': mgr_root})
    checked = run_module(log_grep, {'mgr_root': mgr_root}, check_mode=True)
    # A module without check mode support would be skipped by AnsibleModule.
    assert 'skipped' not in checked and checked['matches']
    for result in (normal, checked):
        result.pop('invocation', None)
    assert checked == normal


def test_since_window_and_missing_logs(run_module, mgr_root):
    before = datetime.now().replace(microsecond=0)
    result = run_module(log_grep, {'mgr_root': mgr_root, 'since': '1h', 'logs': ['billmgr', 'pm*', 'pmvmmgr6', 'x?']})
    after = datetime.now()
    assert [m['log'] for m in result['matches']] == ['billmgr', 'pmbillmgr']
    assert result['matches'][1]['thread'] is None and result['matches'][1]['thread_key'] == '200'
    assert result['missing'] == ['pmvmmgr6', 'x?']
    assert result['counts']['by_log'] == {'billmgr': 1, 'pmbillmgr': 1}
    since = datetime.fromisoformat(result['window']['since']).replace(tzinfo=None)
    # The window starts an hour before the call, however long the suite ran before it.
    assert before - timedelta(hours=1) <= since <= after - timedelta(hours=1)
    assert result['window']['until'] is None


def test_rotated_archives_are_read_first(run_module, mgr_root):
    result = run_module(log_grep, {'mgr_root': mgr_root, 'rotated': True, 'max_matches': 2, 'context': 'none'})
    assert [m['error']['type'] for m in result['matches']] == ['sql', 'value']
    assert result['matches'][0]['file'].endswith('/var/logs/billmgr.log.1.gz')
    assert result['truncated'] is True
    assert result['counts']['by_error_type'] == {'sql': 1, 'value': 1, 'missed': 1}


def test_levels_and_pattern(run_module, mgr_root):
    result = run_module(log_grep, {'mgr_root': mgr_root, 'levels': ['INFO', 'EXTINFO'], 'pattern': r'ERROR \d+'})
    assert [m['message'] for m in result['matches']] == ['Module answered ERROR 500']
    assert result['counts']['by_level'] == {'INFO': 1, 'EXTINFO': 0}


@pytest.mark.parametrize('args, message', [
    ({'logs': ['../../etc/shadow']},
     "logs: log name '../../etc/shadow' is not a plain log name: give a name like billmgr or pmbillmgr found under "),
    ({'logs': ['billmgr', '/var/log/messages']}, "logs: log name '/var/log/messages' is not a plain log name"),
    ({'since': 'yesterday-ish'}, "since: 'yesterday-ish' is not an ISO 8601 time"),
    ({'until': '2024-02-30'}, "until: '2024-02-30' is not a valid date"),
    ({'since': '1h', 'until': '2h'}, 'is after until'),
    ({'pattern': 'Type: (missed'}, "pattern 'Type: (missed' is not a valid Python regular expression"),
    ({'levels': ['FATAL']}, 'value of levels must be one or more of'),
    ({'max_line_bytes': 10}, 'max_line_bytes must be at least 256, not 10'),
    ({'max_matches': -1}, 'max_matches must be at least 0, not -1'),
    ({'context_lines': 10 ** 12}, 'context_lines must be at most 10000, not 1000000000000'),
    ({'until': '99999999999d'}, "until: '99999999999d' is longer than 100 years"),
    ({'log_zones': {'pmbillmgr': 'UTC+3'}}, "log_zones: pmbillmgr: 'UTC+3' is not a zone: give auto, local, utc"),
    ({'log_zones': {'../../etc/shadow': 'utc'}}, "log_zones: log name '../../etc/shadow' is not a plain log name"),
])
def test_bad_input_fails_and_says_what_to_do(run_module, mgr_root, args, message):
    result = run_module(log_grep, dict(args, mgr_root=mgr_root))
    assert result['failed'] is True
    assert message in result['msg']
    assert result.get('changed', False) is False


def test_log_zones_name_how_each_log_is_read(run_module, mgr_root, host_zone):
    host_zone('XXX-3')
    result = run_module(log_grep, {'mgr_root': mgr_root, 'logs': ['billmgr', 'pm*'], 'context': 'none',
                                   'log_zones': {'pm*': 'utc', 'billmgr.log': 'local'}})
    assert result['zones'] == {'billmgr': 'local', 'pmbillmgr': 'utc'}
    assert result['unparsed_headers'] == 0
    offsets = set((m['log'], m['time'][-6:]) for m in result['matches'])
    assert offsets == {('billmgr', '+03:00'), ('pmbillmgr', '+00:00')}


def test_a_wrong_mgr_root_fails_with_a_hint(run_module, tmp_path):
    result = run_module(log_grep, {'mgr_root': str(tmp_path / 'nowhere')})
    assert result['failed'] is True
    assert 'Set mgr_root to its install root' in result['msg']


def test_dangling_links_and_directories_are_missing_logs(run_module, mgr_root):
    os.unlink(os.path.join(mgr_root, 'var', 'pmbillmgr.log'))
    os.symlink('/nonexistent/target', os.path.join(mgr_root, 'var', 'pmbillmgr.log'))
    os.mkdir(os.path.join(mgr_root, 'var', 'pmdir.log'))
    result = run_module(log_grep, {'mgr_root': mgr_root, 'logs': ['pmdir', 'pmbillmgr']})
    assert result['missing'] == ['pmdir', 'pmbillmgr'] and result['matches'] == []
    assert 'failed' not in result


def test_a_log_that_cannot_be_read_fails_with_a_hint(run_module, mgr_root, monkeypatch):
    def denied(*args, **kwargs):
        raise LogScanError('cannot read %s/var/billmgr.log: Permission denied' % mgr_root)
    monkeypatch.setattr(log_grep, 'scan', denied)
    result = run_module(log_grep, {'mgr_root': mgr_root, 'since': '1h'})
    assert result['failed'] is True
    assert result['msg'].startswith('cannot read %s/var/billmgr.log: Permission denied: ' % mgr_root)
    assert 'become: true' in result['msg']
    assert result['window']['since'] is not None and result['missing'] == []
