# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from facts_fake_host import Host

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.debugconf import DebugConf
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.platformfacts import (
    cron_facts,
    debug_entries,
    debug_facts,
    is_blocked,
    parse_version,
    platform_facts,
)


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path)


@pytest.fixture
def healthy(host):
    return host.install_healthy_platform()


# ---- platform ------------------------------------------------------------------------------------

@pytest.mark.parametrize('output, version', [
    ('6.112.0\n', '6.112.0'),
    ('BILLmanager 6.112.0-1.el9 (build 42)\n', '6.112.0-1.el9'),
    ('unknown\n', 'unknown'),
    ('', None),
])
def test_parse_version(output, version):
    assert parse_version(output) == version


def test_healthy_platform(healthy):
    facts = platform_facts(healthy.request())
    assert facts == {'installed': True, 'version': '6.112.0', 'processes': {'core': True, 'ihttpd': True},
                     'answers': True, 'answer_error': None, 'maintenance': False, 'blocked': False}
    assert healthy.calls('mgrctl') == [['-m', 'billmgr', 'whoami']]
    assert healthy.calls('core') == [['billmgr', '-v']]


def test_platform_down(healthy):
    healthy.answer('mgrctl', 'ERROR connect(billmgr,)\n', rc=1)
    (healthy.base / 'proc' / '100' / 'stat').write_text('100 (core) Z 1 1\n')
    facts = platform_facts(healthy.request())
    assert facts['answers'] is False
    assert facts['answer_error']['type'] == 'connect' and facts['answer_error']['object'] == 'billmgr'
    assert 'ERROR connect(billmgr,)' in facts['answer_error']['output']
    assert facts['processes'] == {'core': False, 'ihttpd': True}
    assert facts['blocked'] is False and 'error' not in facts


def test_failure_without_an_error_line_keeps_the_output(healthy):
    healthy.answer('mgrctl', '', rc=3, err='cannot connect to core socket\n')
    facts = platform_facts(healthy.request())
    assert facts['answer_error']['type'] == 'exit' and facts['answer_error']['value'] == '3'
    assert facts['answer_error']['output'] == 'cannot connect to core socket'


def test_error_line_with_exit_zero_is_no_answer(healthy):
    healthy.answer('mgrctl', 'ERROR auth(whoami)\n', rc=0)
    assert platform_facts(healthy.request())['answers'] is False


def test_blocked_platform(healthy):
    healthy.answer('mgrctl', 'ERROR blocked(billmgr)\n', rc=1)
    facts = platform_facts(healthy.request())
    assert facts['blocked'] is True and facts['answers'] is False


@pytest.mark.parametrize('error, blocked', [
    ({'type': 'blocked', 'output': ''}, True),
    ({'type': 'access', 'msg': 'The panel is Blocked by the administrator'}, True),
    ({'type': 'connect', 'object': 'billmgr', 'output': 'billmgr is not running'}, False),
    (None, False),
])
def test_is_blocked_reads_tolerantly(error, blocked):
    assert is_blocked(error) is blocked


def test_hung_mgrctl_is_killed_and_reported(healthy):
    healthy.answer('mgrctl', '', hang=True)
    facts = platform_facts(healthy.request(mgrctl_timeout=0.5))
    assert facts['answers'] is False
    assert facts['answer_error']['type'] == 'timeout'
    assert 'did not answer within 0.5 seconds' in facts['error']
    # The rest of the section is still there.
    assert facts['version'] == '6.112.0' and facts['processes']['core'] is True


def test_maintenance_mode(healthy):
    (healthy.root / 'etc' / 'billmgr.DoNothing').write_text('')
    assert platform_facts(healthy.request())['maintenance'] is True


def test_not_installed(host):
    facts = platform_facts(host.request())
    assert facts['installed'] is False and facts['answers'] is False and facts['version'] is None
    assert facts['answer_error']['type'] == 'not_installed'
    assert str(host.root / 'sbin' / 'mgrctl') in facts['answer_error']['output']
    assert host.calls('mgrctl') == []


def test_failing_core_version_is_an_error_not_a_version(healthy):
    healthy.answer('core', '', rc=2, err='usage: core [billmgr] [-v]\n')
    facts = platform_facts(healthy.request())
    assert facts['version'] is None and 'exit status 2' in facts['error']
    assert facts['answers'] is True


# ---- cron ----------------------------------------------------------------------------------------

CRONTAB = '''# BILLmanager
*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1
0 3 * * * /usr/local/mgr5/sbin/cron-billmgr sbin/billmaintain
'''


def _crontab_for(host, text):
    return text.replace('/usr/local/mgr5', str(host.root))


def test_cron_from_crontab_command(host):
    host.install('tools/crontab')
    host.answer('crontab', _crontab_for(host, CRONTAB))
    facts = cron_facts(host.request())
    assert host.calls('crontab') == [['-u', 'root', '-l']]
    assert facts['checkevent']['present'] is True and facts['checkevent']['form'] == 'plain'
    assert facts['platform_lines'] == [_crontab_for(host, '0 3 * * * /usr/local/mgr5/sbin/cron-billmgr sbin/billmaintain')]
    assert facts['source'].endswith('crontab -u root -l')
    assert 'error' not in facts


def test_lines_of_the_default_root_do_not_count_for_another_root(host):
    host.install('tools/crontab')
    host.answer('crontab', CRONTAB)
    facts = cron_facts(host.request())
    assert facts['checkevent']['present'] is False and facts['platform_lines'] == []


def test_no_crontab_for_root_is_an_empty_crontab(host):
    host.install('tools/crontab')
    host.answer('crontab', '', rc=1, err='no crontab for root\n')
    facts = cron_facts(host.request())
    assert facts['checkevent']['present'] is False and 'error' not in facts


def test_failing_crontab_is_an_error(host):
    host.install('tools/crontab')
    host.answer('crontab', '', rc=1, err='must be privileged to use -u\n')
    facts = cron_facts(host.request())
    assert 'must be privileged' in facts['error']
    assert facts['checkevent']['present'] is False


def test_without_the_crontab_command_the_spool_is_read(host):
    (host.base / 'spool-root').write_text(_crontab_for(host, CRONTAB.replace('mgrctl -m', 'mgrctl -o text -m')))
    facts = cron_facts(host.request())
    assert facts['checkevent']['present'] is True
    assert facts['source'] == str(host.base / 'spool-root')


def test_without_crontab_or_spool_nothing_is_scheduled(host):
    facts = cron_facts(host.request())
    assert facts['source'] is None and facts['checkevent']['present'] is False and 'error' not in facts


# ---- debug.conf ----------------------------------------------------------------------------------

DEBUG_CONF = '''# levels
SET color=off
* 6
pmbillmgr.* 9
# billmgr.ops managed: log=billmgr module=* previous=4 expires=2026-11-23T15:00:00Z
billmgr.* 9
# billmgr.ops managed: log=ihttpd module=* previous=none expires=2099-01-01T00:00:00Z
ihttpd.* 8
'''


def test_debug_entries_at_threshold_with_marker_memory():
    now = datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)
    entries = debug_entries(DebugConf.parse(DEBUG_CONF), 8, now)
    assert entries == [
        {'log': 'pmbillmgr', 'module': '*', 'level': 9, 'line_number': 4, 'managed': False, 'expires': None,
         'expired': False, 'previous': None},
        {'log': 'billmgr', 'module': '*', 'level': 9, 'line_number': 6, 'managed': True,
         'expires': '2026-11-23T15:00:00Z', 'expired': True, 'previous': 4},
        {'log': 'ihttpd', 'module': '*', 'level': 8, 'line_number': 8, 'managed': True,
         'expires': '2099-01-01T00:00:00Z', 'expired': False, 'previous': None},
    ]
    assert [entry['log'] for entry in debug_entries(DebugConf.parse(DEBUG_CONF), 9, now)] == ['pmbillmgr', 'billmgr']
    assert len(debug_entries(DebugConf.parse(DEBUG_CONF), 0, now)) == 4


def test_debug_facts_from_the_file(host):
    (host.root / 'etc' / 'debug.conf').write_text(DEBUG_CONF)
    facts = debug_facts(host.request(debug_threshold=9))
    assert facts['exists'] is True and facts['threshold'] == 9
    assert facts['path'] == str(host.root / 'etc' / 'debug.conf')
    assert [(e['log'], e['level']) for e in facts['entries']] == [('pmbillmgr', 9), ('billmgr', 9)]


def test_missing_debug_conf_is_no_entries(host):
    facts = debug_facts(host.request())
    assert facts == {'path': str(host.root / 'etc' / 'debug.conf'), 'exists': False, 'threshold': 8, 'entries': []}


def test_unreadable_debug_conf_is_an_error(host):
    os.mkdir(str(host.root / 'etc' / 'debug.conf'))
    facts = debug_facts(host.request())
    assert facts['entries'] == [] and 'cannot read' in facts['error']
