"""The four core modules over SSH against the lab fleet (tests/lab/scenarios/integration.yml)."""

import hashlib
import json
import os
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

# An independent reading of the platform's header line, to check log_grep against.
HEADER = re.compile(rb'^([A-Z][a-z]{2}) ([ 0-9][0-9]) ([0-9:]{8}) \[([0-9]+)(?::([0-9]+))?\] (\S+) (ERROR) ')
MONTHS = {m: i for i, m in enumerate(
    [b'Jan', b'Feb', b'Mar', b'Apr', b'May', b'Jun', b'Jul', b'Aug', b'Sep', b'Oct', b'Nov', b'Dec'], 1)}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def restarts(lab, host):
    return len(json.loads(lab.host_path(host, 'lab/platform.json').read_text()).get('restarts') or [])


# ---------------------------------------------------------------- licctl_info
def test_licctl_info_sees_linked_and_unlinked(lab):
    results, _ = lab.module('bm01:bm02', 'billmgr.ops.licctl_info')
    linked, unlinked = results['bm01']['license'], results['bm02']['license']
    assert linked['linked'] is True and linked['id'] > 0 and linked['days_left'] > 30
    assert unlinked['linked'] is False and unlinked['id'] == 0
    assert results['bm01']['changed'] is False


def test_licctl_info_missing_tool_names_the_path(lab):
    results, _ = lab.module('bm01', 'billmgr.ops.licctl_info', {'mgr_root': '/opt/nowhere'})
    assert results['bm01'].get('failed')
    assert '/opt/nowhere/sbin/licctl' in results['bm01']['msg']


# ---------------------------------------------------------------- mgrctl_restart
def test_restart_moves_the_counter_by_exactly_one(lab):
    before = restarts(lab, 'bm01')
    results, _ = lab.module('bm01', 'billmgr.ops.mgrctl_restart', {'state': 'restarted', 'timeout': 60})
    result = results['bm01']
    assert result['changed'] is True and result['answered'] is True
    assert result['elapsed'] >= 0
    assert restarts(lab, 'bm01') == before + 1


def test_started_on_a_healthy_platform_changes_nothing(lab):
    before = restarts(lab, 'bm01')
    results, _ = lab.module('bm01', 'billmgr.ops.mgrctl_restart', {'state': 'started'})
    assert results['bm01']['changed'] is False
    assert restarts(lab, 'bm01') == before


def test_restart_refused_in_maintenance(lab):
    before = restarts(lab, 'bm05')
    results, _ = lab.module('bm05', 'billmgr.ops.mgrctl_restart', {'state': 'restarted'})
    assert results['bm05'].get('failed')
    assert 'DoNothing' in results['bm05']['msg'] and 'force' in results['bm05']['msg']
    assert restarts(lab, 'bm05') == before


def test_check_mode_restart_does_nothing(lab):
    before = restarts(lab, 'bm01')
    results, _ = lab.module('bm01', 'billmgr.ops.mgrctl_restart', {'state': 'restarted'}, check=True)
    assert results['bm01']['changed'] is True
    assert restarts(lab, 'bm01') == before


# ---------------------------------------------------------------- debug_level
def test_debug_raise_then_restore_gives_back_the_original_bytes(lab):
    conf = lab.host_path('bm01', 'etc/debug.conf')
    original = conf.read_bytes()
    raise_args = {'log': 'pmbillmgr', 'level': 9, 'expires': '30m'}

    results, _ = lab.module('bm01', 'billmgr.ops.debug_level', raise_args, check=True)
    assert results['bm01']['changed'] is True
    assert conf.read_bytes() == original, 'check mode wrote the file'

    results, _ = lab.module('bm01', 'billmgr.ops.debug_level', raise_args, diff=True)
    assert results['bm01']['changed'] is True and results['bm01']['restart_required'] is True
    assert re.search(rb'^pmbillmgr\.\* 9$', conf.read_bytes(), re.M)
    entry = results['bm01']['entries'][0]
    assert entry['level'] == 9 and entry['previous'] is not None

    results, _ = lab.module('bm01', 'billmgr.ops.debug_level', raise_args)
    assert results['bm01']['changed'] is False, 'a second raise changed the file'

    restore = {'log': 'pmbillmgr', 'state': 'absent'}
    results, _ = lab.module('bm01', 'billmgr.ops.debug_level', restore)
    assert results['bm01']['changed'] is True
    assert conf.read_bytes() == original
    results, _ = lab.module('bm01', 'billmgr.ops.debug_level', restore)
    assert results['bm01']['changed'] is False


def test_debug_raise_of_a_new_log_and_back(lab):
    conf = lab.host_path('bm01', 'etc/debug.conf')
    original = conf.read_bytes()
    stat_before = conf.stat()
    lab.module('bm01', 'billmgr.ops.debug_level', {'log': 'billmgr', 'level': 9, 'expires': '1h'})
    assert conf.read_bytes() != original
    lab.module('bm01', 'billmgr.ops.debug_level', {'log': 'billmgr', 'state': 'absent'})
    assert conf.read_bytes() == original
    stat_after = conf.stat()
    assert (stat_after.st_mode, stat_after.st_uid) == (stat_before.st_mode, stat_before.st_uid)


def test_debug_a_module_log_gets_the_line_its_logger_reads_and_back(lab):
    conf = lab.host_path('bm01', 'etc/debug.conf')
    original = conf.read_bytes()
    assert b'pmpaymaster' not in original
    results, _ = lab.module('bm01', 'billmgr.ops.debug_level', {'log': 'pmpaymaster', 'level': 9, 'expires': '1h'})
    assert results['bm01']['changed']
    assert re.search(rb'^pmpaymaster 9$', conf.read_bytes(), re.M)
    lab.module('bm01', 'billmgr.ops.debug_level', {'log': 'pmpaymaster', 'state': 'absent'})
    assert conf.read_bytes() == original


def test_debug_set_then_absent_on_a_missing_file_leaves_none(lab):
    conf = lab.host_path('bm01', 'etc/debug.conf')
    original, stat_before = conf.read_bytes(), conf.stat()
    conf.unlink()
    try:
        results, _ = lab.module('bm01', 'billmgr.ops.debug_level', {'log': 'billmgr', 'level': 9, 'expires': '1h'})
        assert results['bm01']['changed'] and conf.exists()
        results, _ = lab.module('bm01', 'billmgr.ops.debug_level', {'log': 'billmgr', 'state': 'absent'})
        assert results['bm01']['changed'] and not conf.exists()
    finally:
        conf.write_bytes(original)
        os.chmod(conf, stat_before.st_mode & 0o7777)
        os.chown(conf, stat_before.st_uid, stat_before.st_gid)


@pytest.mark.parametrize('args, words', [
    ({'log': '../../etc/shadow', 'level': 9}, ['../../etc/shadow', 'log']),
    ({'log': 'billmgr', 'level': 12}, ['level', '12']),
])
def test_debug_bad_input_fails_clearly_and_touches_nothing(lab, args, words):
    conf = lab.host_path('bm01', 'etc/debug.conf')
    before = digest(conf)
    results, _ = lab.module('bm01', 'billmgr.ops.debug_level', args)
    assert results['bm01'].get('failed')
    for word in words:
        assert word in results['bm01']['msg']
    assert digest(conf) == before


# ---------------------------------------------------------------- log_grep
def error_records(path, since=None):
    """(thread key, error type) of every ERROR record in PATH; a date later than now is of last year."""
    now = datetime.now()
    found = []
    for line in path.read_bytes().splitlines():
        match = HEADER.match(line)
        if not match:
            continue
        month, day, clock = MONTHS[match.group(1)], int(match.group(2)), match.group(3).decode()
        when = datetime(now.year, month, day, *map(int, clock.split(':')))
        if when > now + timedelta(days=1):
            when = when.replace(year=now.year - 1)
        if since and when < since:
            continue
        kind = re.search(rb"Type: '([^']*)'", line)
        thread = match.group(4).decode() + (':' + match.group(5).decode() if match.group(5) else '')
        found.append((thread, kind.group(1).decode() if kind else None))
    return found


def test_log_grep_finds_the_burst_in_its_thread(lab):
    # The burst is in the hour before the fleet started; the window leaves room for a slow run.
    results, _ = lab.module('bm02', 'billmgr.ops.log_grep', {'since': '3h', 'max_matches': 500})
    result = results['bm02']
    assert result['changed'] is False
    since = datetime.fromisoformat(result['window']['since']).replace(tzinfo=None)
    expected = error_records(lab.host_path('bm02', 'var/billmgr.log'), since)
    burst_thread, _ = Counter(expected).most_common(1)[0][0]
    assert sum(1 for thread, _ in expected if thread == burst_thread) == 25
    assert len(result['matches']) == len(expected)
    assert Counter(m['thread_key'] for m in result['matches']) == Counter(t for t, _ in expected)
    assert result['counts']['by_error_type'] == dict(Counter(k for _, k in expected if k))
    burst = [m for m in result['matches'] if m['thread_key'] == burst_thread]
    assert burst[0]['error']['type']
    assert all(burst_thread in line for line in burst[0]['context'] if re.match(r'^[A-Z][a-z]{2} ', line))


def test_log_grep_window_returns_only_lines_in_it(lab):
    results, _ = lab.module('bm01', 'billmgr.ops.log_grep',
                            {'since': '48h', 'levels': ['ERROR', 'WARNING', 'INFO'], 'max_matches': 5000,
                             'context': 'none'})
    result = results['bm01']
    since = datetime.fromisoformat(result['window']['since']).replace(tzinfo=None)
    assert result['matches'], 'a healthy host still logs INFO lines in two days'
    for match in result['matches']:
        assert datetime.fromisoformat(match['time']).replace(tzinfo=None) >= since - timedelta(seconds=1)


def test_log_grep_bad_input(lab):
    results, _ = lab.module('bm01', 'billmgr.ops.log_grep', {'since': 'yesterday-ish'})
    assert results['bm01'].get('failed') and 'since' in results['bm01']['msg']
    results, _ = lab.module('bm01', 'billmgr.ops.log_grep', {'logs': ['../../etc/shadow']})
    assert results['bm01'].get('failed') and '../../etc/shadow' in results['bm01']['msg']


def test_log_grep_lists_a_missing_log(lab):
    results, _ = lab.module('bm01', 'billmgr.ops.log_grep', {'logs': ['billmgr', 'nosuchmodule']})
    assert results['bm01']['missing'] == ['nosuchmodule']


# Every writer's ERROR header, read independently: the platform's and the PHP helper's (coloured or
# not, the error handler's `[PID] ERROR:` included) and the Python library's ISO-stamped one.
MODULE_ERROR_HEADER = re.compile(
    rb'^(?:[A-Z][a-z]{2} [ 0-9]?[0-9] [0-9:]{8}|20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8},[0-9]{3}) '
    rb'\[[0-9]+(?::[0-9]+)?\] (?:[^ :]+ (?:\x1b\[[0-9;]*m ?)?ERROR[ \x1b\n]|ERROR: )', re.M)


def test_log_grep_reads_the_module_logs_of_every_writer(lab):
    results, _ = lab.module('bm01', 'billmgr.ops.log_grep', {'logs': ['pm*'], 'max_matches': 0, 'context': 'none'})
    result = results['bm01']
    var = lab.host_path('bm01', 'var')
    expected = dict((path.name[:-4], len(MODULE_ERROR_HEADER.findall(path.read_bytes() + b'\n')))
                    for path in var.glob('pm*.log'))
    # The lab's modules on a fleet host: one per writer.
    assert {'pmvmmgr6', 'pmbank', 'pmpaymaster', 'pmispmgr5'} <= set(expected)
    assert result['counts']['by_log'] == expected and sum(expected.values()) > 0
    assert result['unparsed_headers'] == 0
    # The lab's hosts keep the controller's zone, so UTC and local read the same here.
    assert set(result['zones']) == set(expected)
