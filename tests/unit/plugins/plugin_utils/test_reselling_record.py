# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reselling role's per-host record and its summary lines, from registered results."""

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.plugin_utils._reselling import host_record, summary_lines

SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}
LINE = '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1'


def given(**changes):
    base = {
        'host': 'bm03', 'reseller': True, 'provider_host': 'prov', 'mgr_root': '/usr/local/mgr5',
        'check_mode': False,
        'local': {'processing_modules': [{'id': 3, 'module': 'pmbillmgr'}], 'linked_items': [{'id': 1}, {'id': 2}]},
        'checkevent': {'present': True, 'form': 'plain', 'line': LINE, 'count': 1, 'commented_out': None,
                       'schedule': {'interval_minutes': 5}},
        'cron_added': SKIPPED, 'added_line': LINE,
        'backlog': {'rows': {'itemevent_backlog': [{'count': 4, 'oldest': '2026-01-01 00:00:00',
                                                    'oldest_age_seconds': 3600}]}},
        'backlog_after': SKIPPED, 'backlog_max_age_minutes': 15,
        'checkevent_run': False, 'checkevent_ran': SKIPPED,
        'imported': [{'id': 5, 'intname': 'vps'}], 'sync_requested': [],
        'synced': {'results': []},
        'compare': True, 'drift_check': True,
        'compared': {'drift': [{'id': 1}], 'not_at_provider': []},
        'fix': False, 'backup_file': None, 'backup_written': {}, 'fixed': {},
    }
    base.update(changes)
    return base


def test_a_reseller_with_a_stale_backlog_is_asked_whether_checkevent_runs():
    record = host_record(given())
    assert record['checkevent'] == {'present': True, 'form': 'plain', 'line': LINE, 'lines': 1, 'interval_minutes': 5,
                                    'commented_out': None, 'added': False, 'added_line': None}
    assert record['backlog'] == {'count': 4, 'oldest': '2026-01-01 00:00:00', 'oldest_age_seconds': 3600, 'stale': True}
    assert record['checkevent_run'] == {'requested': False, 'ran': False, 'skipped_in_check_mode': False,
                                        'backlog_after': None}
    assert record['drift'] == {'checked': True, 'not_checked_because': None, 'linked_items': 2,
                               'items': [{'id': 1}], 'not_at_provider': [], 'source': 'database',
                               'provider_api': None, 'unreadable_at_provider': []}
    assert record['notes'] == ['the oldest provider event waits for 60 minutes: is checkevent running?'
                               ' (reselling_checkevent=true runs it now)']
    assert summary_lines(record) == [
        'checkevent: present (plain)', 'item events waiting: 4, the oldest for 60 min (stale)',
        'drift: 1 of 2 linked items differ from prov', record['notes'][0]]


def test_checkevent_run_answers_the_backlog_question():
    after = {'changed': False, 'rows': {'itemevent_backlog': [{'count': 2, 'oldest': None, 'oldest_age_seconds': 10}]}}
    record = host_record(given(checkevent_run=True, checkevent_ran={'changed': True}, backlog_after=after))
    assert record['checkevent_run'] == {'requested': True, 'ran': True, 'skipped_in_check_mode': False,
                                        'backlog_after': {'count': 2, 'oldest': None, 'oldest_age_seconds': 10}}
    assert record['notes'] == ['2 provider event(s) still wait after checkevent ran: read /usr/local/mgr5/var/billmgr.log'
                               ' for why they are not applied']
    assert 'checkevent run: events waiting after it: 2' in summary_lines(record)


def test_check_mode_skips_the_run_and_says_so():
    record = host_record(given(check_mode=True, checkevent_run=True, checkevent_ran=SKIPPED))
    assert record['checkevent_run']['skipped_in_check_mode'] is True and record['checkevent_run']['ran'] is False
    assert 'checkevent run: skipped in check mode' in summary_lines(record)


def test_a_host_that_does_not_resell_is_left_alone_and_a_named_provider_noted():
    record = host_record(given(reseller=False, compare=False, local={'processing_modules': [], 'linked_items': []}))
    assert record['checkevent'] is None and record['backlog'] is None
    assert record['drift']['not_checked_because'] == 'not a reseller (no pmbillmgr processing module)'
    assert record['notes'] == ['the inventory names the provider prov, but the database has no pmbillmgr processing module']
    assert summary_lines(record) == ['not a reseller: left alone', record['notes'][0]]


def test_the_crontab_notes_name_each_oddity():
    checkevent = {'present': True, 'form': 'wrapper', 'count': 2, 'commented_out': '# */5 * * * * x',
                  'schedule': {'interval_minutes': 15}}
    record = host_record(given(checkevent=checkevent, backlog={}, compare=False, drift_check=False))
    assert record['notes'] == ['checkevent is also commented out in the crontab: # */5 * * * * x',
                               '2 crontab lines run checkevent; one is enough',
                               'checkevent runs every 15 minutes; the runbooks ask for every 5']
    assert record['backlog'] == {'count': 0, 'oldest': None, 'oldest_age_seconds': None, 'stale': False}
    assert record['drift']['not_checked_because'] == 'billmgr_reselling_drift_check is false'
    assert 'item events waiting: 0' in summary_lines(record)


def test_a_missing_line_is_added_and_reported_with_the_line():
    record = host_record(given(checkevent={}, cron_added={'changed': True}))
    assert record['checkevent']['added'] is True and record['checkevent']['added_line'] == LINE
    assert summary_lines(record)[0] == 'checkevent: missing, added: ' + LINE


def test_plans_and_the_correction_are_reported():
    synced = {'results': [{'item': {'id': 5, 'intname': 'vps'}, 'changed': True},
                          {'item': {'id': 7, 'intname': 'vds'}, 'failed': True, 'msg': 'refused'},
                          {'item': {'id': 9, 'intname': 'ssl'}, 'skipped': True}]}
    record = host_record(given(sync_requested=[5, 7, 9], synced=synced, fix=True, backup_file='/r/b.json',
                               backup_written={'changed': True}, fixed={'changes': [{'id': 1}], 'conflicts': []}))
    assert record['plans']['synced'] == [
        {'id': 5, 'intname': 'vps', 'ok': True, 'skipped_in_check_mode': False, 'error': None},
        {'id': 7, 'intname': 'vds', 'ok': False, 'skipped_in_check_mode': False, 'error': 'refused'},
        {'id': 9, 'intname': 'ssl', 'ok': True, 'skipped_in_check_mode': True, 'error': None}]
    assert record['fix'] == {'requested': True, 'check_mode': False, 'backup': '/r/b.json',
                             'changes': [{'id': 1}], 'conflicts': []}
    lines = summary_lines(record)
    assert 'plans synced: 5, 7, 9, failed: 7' in lines
    assert 'corrected: 1, backup: /r/b.json, conflicts: 0' in lines


def test_drift_read_over_the_provider_api_names_it_and_why_it_was_not():
    over_api = host_record(given(provider_host=None, api={'provider': 'https://my.example.net/billmgr',
                                                          'unreadable': [{'id': '9'}]}))
    assert over_api['drift']['source'] == 'api'
    assert over_api['drift']['provider_api'] == 'https://my.example.net/billmgr'
    assert over_api['drift']['unreadable_at_provider'] == [{'id': '9'}]
    assert 'drift: 1 of 2 linked items differ from the provider API' in summary_lines(over_api)
    refused = host_record(given(provider_host=None, compare=False, api_error='login refused'))
    assert refused['drift']['not_checked_because'] == 'the provider API: login refused'
