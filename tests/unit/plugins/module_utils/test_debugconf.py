# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.debugconf import (
    DebugConf,
    DebugConfError,
    format_time,
    parse_time,
    validate_request,
)

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)

SPEC_EXAMPLE = (
    b'# verbosity of the platform logs\n'
    b'SET color=off\n'
    b'\n'
    b'billmgr.* 9\n'
    b'pmvmmgr6.* 9\n'
    b'* 6\n'
    b'*.db 6\n'
)

ROUND_TRIPS = {
    'spec example': SPEC_EXAMPLE,
    'empty': b'',
    'only newline': b'\n',
    'no trailing newline': b'# c\nbillmgr.* 4',
    'crlf': b'# c\r\nSET color=off\r\nbillmgr.* 4\r\n',
    'mixed endings and lone cr': b'a\r\nb\nc\rd\n\r\n',
    'garbage': b'\x00\xff\xfe garbage ===\n\tbillmgr .* nine\nSET\n#\n   \n\xe2\x82',
    'tabs and inline comment': b'\tbillmgr.*\t 4 \t# kept for support\n',
    'one megabyte line': b'x' * (1024 * 1024) + b'\n' + b'billmgr.* 4\n',
    'one megabyte entry-like line': b'a.' + b'b ' * (512 * 1024) + b'\n',
}


@pytest.mark.parametrize('data', list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_untouched_file_renders_byte_for_byte(data):
    assert DebugConf.parse(data).render() == data


def test_spec_example_is_understood():
    conf = DebugConf.parse(SPEC_EXAMPLE)
    assert conf.entries() == [(3, 'billmgr', '*', 9), (4, 'pmvmmgr6', '*', 9), (5, '*', '*', 6), (6, '*', 'db', 6)]
    assert conf.settings() == {'color': 'off'}
    assert conf.level('billmgr') == 9
    assert conf.level('*', 'db') == 6
    assert conf.level('*') == 6
    assert conf.level('pmbillmgr') is None


def test_comments_garbage_and_set_lines_are_not_entries():
    conf = DebugConf.parse(b'# billmgr.* 9\nSET level=9\nbillmgr.* nine\nbillmgr.*9\n')
    assert conf.entries() == []


def test_a_line_with_additional_conditions_is_an_entry_edited_in_place():
    original = b'billmgr.* 4 user=admin\n'
    conf = DebugConf.parse(original)
    assert conf.entries() == [(0, 'billmgr', '*', 4)]
    assert conf.set_level('billmgr', '*', 9, now=NOW)
    assert conf.render().endswith(b'\nbillmgr.* 9 user=admin\n') and conf.render().count(b'billmgr.* ') == 1
    assert conf.remove('billmgr') and conf.render() == original


@pytest.mark.parametrize('data', [SPEC_EXAMPLE, b'', b'# c\nbillmgr.* 4', b'a\r\nb\r\n', ROUND_TRIPS['garbage']],
                         ids=['spec', 'empty', 'no trailing newline', 'crlf', 'garbage'])
def test_adding_a_level_and_removing_it_restores_the_original_bytes(data):
    conf = DebugConf.parse(data)
    assert conf.set_level('pmbillmgr', '*', 9, expires=NOW, now=NOW)
    changed = conf.render()
    assert b'\npmbillmgr 9' in changed or changed.startswith(b'# billmgr.ops managed')
    assert conf.lines[-1].body == 'pmbillmgr 9'
    assert conf.remove('pmbillmgr', '*')
    assert conf.render() == data


def test_raising_an_existing_line_remembers_it_and_absent_puts_it_back_exactly():
    original = b'# ops\n\tbillmgr.*   04 # baseline\r\nihttpd.* 3\n'
    conf = DebugConf.parse(original)
    assert conf.set_level('billmgr', '*', 9, now=NOW)
    assert conf.render() == (b'# ops\n# billmgr.ops managed: log=billmgr module=* previous=04\r\n'
                             b'\tbillmgr.*   9 # baseline\r\nihttpd.* 3\n')
    # Raising again keeps the memory of what the operator had, not of our own 9.
    reparsed = DebugConf.parse(conf.render())
    assert reparsed.set_level('billmgr', '*', 7, now=NOW)
    assert reparsed.managed_entry('billmgr').previous == '04'
    assert reparsed.remove('billmgr', '*')
    assert reparsed.render() == original


def test_line_without_module_counts_as_every_module():
    conf = DebugConf.parse(b'billmgr 4\n')
    assert conf.set_level('billmgr', '*', 9, now=NOW)
    assert conf.render() == b'# billmgr.ops managed: log=billmgr module=* previous=4\nbillmgr 9\n'
    assert conf.remove('billmgr', '*')
    assert conf.render() == b'billmgr 4\n'


def test_global_default_is_written_as_the_spec_writes_it():
    conf = DebugConf.parse(b'')
    conf.set_level('*', '*', 6, now=NOW)
    assert conf.render().endswith(b'\n* 6\n')


def test_same_request_twice_changes_nothing():
    conf = DebugConf.parse(SPEC_EXAMPLE)
    assert conf.set_level('pmbillmgr', '*', 9, expires=NOW + timedelta(hours=1), now=NOW)
    first = conf.render()
    again = DebugConf.parse(first)
    later = NOW + timedelta(minutes=10)
    assert not again.set_level('pmbillmgr', '*', 9, expires=later + timedelta(hours=1), now=later)
    assert again.render() == first


def test_unmanaged_line_already_at_the_level_is_left_alone():
    conf = DebugConf.parse(SPEC_EXAMPLE)
    assert not conf.set_level('billmgr', '*', 9, expires=NOW, now=NOW)
    assert conf.render() == SPEC_EXAMPLE
    assert conf.managed() == []


def test_expiry_rules():
    hour = timedelta(hours=1)
    conf = DebugConf.parse(b'')
    conf.set_level('billmgr', '*', 9, expires=NOW + hour, now=NOW)
    # A fixed time replaces a different one.
    assert conf.set_level('billmgr', '*', 9, expires=NOW + 3 * hour, expires_is_fixed=True, now=NOW)
    assert conf.managed_entry('billmgr').expires == NOW + 3 * hour
    # No expiry asked for: the one on the host stays.
    assert not conf.set_level('billmgr', '*', 9, now=NOW)
    assert conf.set_level('billmgr', '*', 8, now=NOW)
    assert conf.managed_entry('billmgr').expires == NOW + 3 * hour
    # A duration after the old expiry passed starts a new window.
    late = NOW + 4 * hour
    assert conf.set_level('billmgr', '*', 8, expires=late + hour, now=late)
    assert conf.managed_entry('billmgr').expires == late + hour
    # A level change with a duration restarts the clock.
    assert conf.set_level('billmgr', '*', 9, expires=late + 2 * hour, now=late)
    assert conf.managed_entry('billmgr').expires == late + 2 * hour


def test_expired_entries_are_found_and_reverted_bottom_up():
    original = b'billmgr.* 4\nSET color=off\n'
    conf = DebugConf.parse(original)
    conf.set_level('billmgr', '*', 9, expires=NOW - timedelta(minutes=1), now=NOW)
    conf.set_level('pmbillmgr', '*', 9, expires=NOW - timedelta(minutes=1), now=NOW)
    conf.set_level('ihttpd', '*', 9, expires=NOW + timedelta(hours=1), now=NOW)
    conf.set_level('mgrctl', '*', 9, now=NOW)
    assert [(e.log, e.previous) for e in conf.expired(NOW)] == [('billmgr', '4'), ('pmbillmgr', None)]
    reverted = conf.revert_expired(NOW)
    assert [e.as_dict() for e in reverted] == [
        {'log': 'billmgr', 'module': '*', 'level': 9, 'previous': 4, 'expires': '2026-11-23T11:59:00Z'},
        {'log': 'pmbillmgr', 'module': '*', 'level': 9, 'previous': None, 'expires': '2026-11-23T11:59:00Z'},
    ]
    assert sorted(e.log for e in conf.managed()) == ['ihttpd', 'mgrctl']
    conf.remove('ihttpd')
    conf.remove('mgrctl')
    assert conf.render() == original


def test_marker_that_lost_its_entry_is_just_a_comment():
    data = b'# billmgr.ops managed: log=billmgr module=* previous=4 expires=2000-01-01T00:00:00Z\nSET color=off\n'
    conf = DebugConf.parse(data)
    assert conf.managed() == []
    assert conf.revert_expired(NOW) == []
    assert conf.render() == data


def test_absent_keeps_the_operators_lines_unless_asked():
    original = b'billmgr.* 9\n# keep\nbillmgr 5\nbillmgr.db 9\n'
    conf = DebugConf.parse(original)
    assert not conf.remove('billmgr', '*')
    assert conf.render() == original
    assert conf.unmanaged_lines('billmgr', '*') == [0, 2]


def test_absent_with_remove_unmanaged_drops_every_such_line_and_nothing_else():
    conf = DebugConf.parse(b'billmgr.* 9\n# keep\nbillmgr 5\nbillmgr.db 9\n')
    assert conf.remove('billmgr', '*', remove_unmanaged=True)
    assert conf.render() == b'# keep\nbillmgr.db 9\n'
    assert not conf.remove('billmgr', '*', remove_unmanaged=True)


def test_restore_then_absent_again_leaves_the_operators_line():
    original = b'# ops\npmbillmgr.* 4\n'
    conf = DebugConf.parse(original)
    conf.set_level('pmbillmgr', '*', 9)
    assert conf.remove('pmbillmgr', '*')
    assert conf.render() == original
    assert not conf.remove('pmbillmgr', '*')
    assert conf.render() == original


def test_absent_of_the_last_line_keeps_the_missing_final_newline():
    conf = DebugConf.parse(b'a\nbillmgr.* 9')
    conf.remove('billmgr', remove_unmanaged=True)
    assert conf.render() == b'a'


@pytest.mark.parametrize('log,module,level,message', [
    ('../../etc/shadow', '*', 9, 'is not a log name'),
    ('billmgr.db', '*', 9, 'without dots'),
    ('', '*', 9, 'is not a log name'),
    ('bill mgr', '*', 9, 'is not a log name'),
    ('billmgr', '../x', 9, 'is not a module name'),
    ('billmgr', 'a b', 9, 'is not a module name'),
    ('billmgr', '*', 12, 'out of range'),
    ('billmgr', '*', -1, 'out of range'),
])
def test_bad_requests_are_refused_with_a_reason(log, module, level, message):
    with pytest.raises(DebugConfError, match=message):
        validate_request(log, module, level)
    conf = DebugConf.parse(SPEC_EXAMPLE)
    with pytest.raises(DebugConfError):
        conf.set_level(log, module, level, now=NOW)
    assert conf.render() == SPEC_EXAMPLE


def test_time_format_round_trip_and_tolerance():
    assert format_time(NOW) == '2026-11-23T12:00:00Z'
    assert parse_time('2026-11-23T12:00:00Z') == NOW
    assert parse_time('2026-11-23T15:00:00+03:00') == NOW
    assert parse_time('2026-11-23T12:00:00') == NOW
    assert parse_time('tomorrow') is None
    assert parse_time(None) is None


# ---- the forms of a line (issue: a module's logger reads only NAME LEVEL) ----------------------

@pytest.mark.parametrize('log, form, line', [
    ('billmgr', 'auto', 'billmgr.* 9'),
    ('billmaintain', 'auto', 'billmaintain.* 9'),
    ('pmsomething', 'auto', 'pmsomething 9'),
    ('pmbillmgr', 'dotted', 'pmbillmgr.* 9'),
    ('billmgr', 'plain', 'billmgr 9'),
    ('*', 'auto', '* 9'),
])
def test_a_new_line_takes_the_form_its_reader_needs(log, form, line):
    conf = DebugConf()
    assert conf.set_level(log, '*', 9, now=NOW, form=form)
    assert conf.lines[-1].body == line
    assert conf.level(log) == 9


def test_a_module_line_with_a_logger_stays_dotted():
    conf = DebugConf()
    conf.set_level('pmbillmgr', 'db', 9, now=NOW)
    assert conf.lines[-1].body == 'pmbillmgr.db 9'


@pytest.mark.parametrize('existing', [b'pmfoo 4\n', b'pmfoo.* 4\n', b'billmgr 4\n'])
def test_an_existing_line_keeps_its_form(existing):
    conf = DebugConf.parse(existing)
    log = existing.split()[0].split(b'.')[0].decode()
    assert conf.set_level(log, '*', 9, now=NOW)
    assert conf.render().endswith(existing.replace(b'4', b'9'))
    assert conf.remove(log) and conf.render() == existing


def test_two_lines_for_one_log_are_both_changed_and_both_put_back():
    original = b'billmgr.* 4\n# support script\nbillmgr 6 user=admin\n'
    conf = DebugConf.parse(original)
    assert conf.set_level('billmgr', '*', 9, expires=NOW + timedelta(hours=1), now=NOW)
    levels = [level for _index, log, _module, level in conf.entries() if log == 'billmgr']
    assert levels == [9, 9]
    assert len(conf.managed_entries('billmgr')) == 2
    # A second run changes nothing.
    assert not conf.set_level('billmgr', '*', 9, expires=NOW + timedelta(hours=1), now=NOW)
    assert conf.remove('billmgr') and conf.render() == original


def test_two_lines_revert_together_when_they_expire():
    original = b'billmgr.* 4\nbillmgr.* 6\n'
    conf = DebugConf.parse(original)
    conf.set_level('billmgr', '*', 9, expires=NOW, expires_is_fixed=True, now=NOW - timedelta(hours=1))
    assert [entry.previous for entry in conf.revert_expired(NOW)] == ['4', '6']
    assert conf.render() == original


@pytest.mark.parametrize('marker_value', ['previous=\u00b2', 'previous=12', 'previous=-1', 'expires=tomorrow'])
def test_a_hand_edited_marker_is_ignored_and_named_never_written_back(marker_value):
    key = marker_value.split('=')[0]
    original = '# billmgr.ops managed: log=billmgr module=* previous=4 expires=2026-11-23T15:00:00Z\nbillmgr.* 9\n'
    edited = original.replace([part for part in original.split() if part.startswith(key + '=')][0], marker_value)
    conf = DebugConf.parse(edited.encode())
    assert conf.managed() == []
    [(number, text, why)] = conf.bad_markers()
    assert number == 1 and marker_value in text and marker_value.split('=')[1] in why
    # Undo leaves the line alone instead of writing the marker's value into it.
    assert not conf.remove('billmgr')
    assert conf.revert_expired(NOW + timedelta(days=1)) == []
    assert conf.render() == edited.encode()


def test_set_then_absent_on_a_missing_file_asks_to_remove_it():
    conf = DebugConf()
    conf.set_level('billmgr', '*', 9, now=NOW, new_file=True)
    conf.set_level('pmbillmgr', '*', 9, now=NOW)
    assert 'file=new' in conf.render().decode()
    assert conf.remove('billmgr') and not conf.should_be_removed()
    # The memory of the new file moved to the change still in it.
    assert 'file=new' in conf.render().decode()
    assert conf.remove('pmbillmgr') and conf.should_be_removed() and conf.render() == b''


def test_an_emptied_file_that_existed_is_kept():
    conf = DebugConf()
    conf.set_level('billmgr', '*', 9, now=NOW)
    assert conf.remove('billmgr') and conf.render() == b'' and not conf.should_be_removed()


def test_restarts_name_the_platform_and_each_service_a_platform_restart_does_not_reach():
    from ansible_collections.billmgr.ops.plugins.module_utils._hostside.debugconf import restart_advice, restart_targets

    assert restart_targets(['billmgr', 'ihttpd']) == (['billmgr'], ['ihttpd'])
    assert restart_targets(['*']) == (['*'], ['ihttpd'])
    assert restart_targets(['ihttpd']) == ([], ['ihttpd'])
    required, service, advice = restart_advice(['ihttpd'])
    assert (required, service) == (False, 'ihttpd') and 'systemctl restart ihttpd' in advice
    required, service, advice = restart_advice(['billmgr', 'pmbillmgr'])
    assert (required, service) == (True, None)
    assert advice == 'restart the platform (billmgr.ops.mgrctl_restart) for billmgr, pmbillmgr to apply'
