# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._platform.cron import (
    describe_schedule,
    find_checkevent,
    interval_minutes,
    mentions_root,
    parse_crontab,
    platform_lines,
    render_checkevent_line,
)

ROOT = '/usr/local/mgr5'
PLAIN = '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1'
WRAPPER = '*/5 * * * * /usr/local/mgr5/sbin/cron-billmgr sbin/mgrctl -m billmgr checkevent'
BILLMAINTAIN = '0 3 * * * /usr/local/mgr5/sbin/cron-billmgr sbin/billmaintain >/dev/null 2>&1'


def crontab(*lines):
    return '\n'.join(('# BILLmanager scheduled tasks', 'MAILTO=root') + lines) + '\n'


def test_plain_form_is_found_with_its_schedule():
    found = find_checkevent(crontab(PLAIN), ROOT)
    assert found['present'] is True
    assert found['form'] == 'plain'
    assert found['line'] == PLAIN
    assert found['count'] == 1
    assert found['schedule'] == {'text': '*/5 * * * *', 'minute': '*/5', 'hour': '*', 'day_of_month': '*',
                                 'month': '*', 'day_of_week': '*', 'interval_minutes': 5}


def test_wrapper_form_is_found():
    found = find_checkevent(crontab(BILLMAINTAIN, WRAPPER), ROOT)
    assert (found['present'], found['form'], found['line']) == (True, 'wrapper', WRAPPER)


def test_wrapper_may_name_mgrctl_by_its_full_path():
    line = '*/5 * * * * /usr/local/mgr5/sbin/cron-billmgr /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent'
    assert find_checkevent(crontab(line), ROOT)['form'] == 'wrapper'


@pytest.mark.parametrize('schedule, interval', [
    ('*/10 * * * *', 10),
    ('0,15,30,45 * * * *', 15),
    ('* * * * *', 1),
    ('7 */2 * * *', 120),
    ('*/7 * * * *', None),           # 0, 7, ... 56, then 0 again after 4 minutes
    ('0 3 * * 1', None),             # weekly
    ('@hourly', 60),
    ('@reboot', None),
])
def test_other_schedules_are_parsed(schedule, interval):
    line = '%s /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent' % schedule
    found = find_checkevent(crontab(line), ROOT)
    assert found['present'] is True
    assert found['schedule']['text'] == schedule
    assert found['schedule']['interval_minutes'] == interval


def test_reboot_has_no_fields():
    described = describe_schedule('@reboot')
    assert described['minute'] is None and described['interval_minutes'] is None


def test_nickname_expands_to_fields():
    assert describe_schedule('@daily')['hour'] == '0'
    assert interval_minutes('@daily') == 1440


def test_commented_out_line_is_not_present():
    found = find_checkevent(crontab('#' + PLAIN, '# ' + WRAPPER), ROOT)
    assert found['present'] is False
    assert found['form'] is None and found['count'] == 0
    assert found['commented_out'] == '#' + PLAIN


def test_missing_line():
    found = find_checkevent(crontab(BILLMAINTAIN), ROOT)
    assert found == {'present': False, 'form': None, 'line': None, 'schedule': None, 'count': 0,
                     'commented_out': None}


def test_another_mgr_root_is_honoured():
    other = PLAIN.replace('/usr/local/mgr5', '/opt/mgr5')
    assert find_checkevent(crontab(other), ROOT)['present'] is False
    assert find_checkevent(crontab(other), '/opt/mgr5')['present'] is True
    # A trailing slash in the option is the same root.
    assert find_checkevent(crontab(other), '/opt/mgr5/')['form'] == 'plain'


def test_similar_root_names_are_not_this_root():
    line = '*/5 * * * * /usr/local/mgr50/sbin/mgrctl -m billmgr checkevent'
    assert find_checkevent(crontab(line), ROOT)['present'] is False
    assert platform_lines(crontab(line), ROOT) == []


@pytest.mark.parametrize('line', [
    '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m vmmgr checkevent',       # another manager
    '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr paymethod.checkpay',
    '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr whoami checkevent=1',
    '*/5 * * * * echo /usr/local/mgr5/sbin/mgrctl -m billmgr; /usr/bin/true checkevent',
])
def test_lines_that_only_look_like_checkevent(line):
    assert find_checkevent(crontab(line), ROOT)['present'] is False


def test_attached_manager_flag_and_output_format_are_read():
    line = '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -mbillmgr -o xml checkevent 2>&1 | logger'
    assert find_checkevent(crontab(line), ROOT)['present'] is True


def test_duplicate_lines_are_counted():
    found = find_checkevent(crontab(PLAIN, WRAPPER), ROOT)
    assert (found['form'], found['count']) == ('plain', 2)


def test_platform_lines_exclude_checkevent_comments_and_other_roots():
    text = crontab(PLAIN, BILLMAINTAIN, '# 0 4 * * * /usr/local/mgr5/sbin/old-job',
                   '30 2 * * * /usr/bin/find /tmp -mtime +7 -delete',
                   '15 * * * * cd /usr/local/mgr5 && sbin/mgrctl -m billmgr service.statdaily')
    assert platform_lines(text, ROOT) == [
        BILLMAINTAIN, '15 * * * * cd /usr/local/mgr5 && sbin/mgrctl -m billmgr service.statdaily']


def test_parse_crontab_kinds():
    lines = parse_crontab('MAILTO=root\n\n# note\n' + PLAIN + '\nnot a cron line\n')
    assert [line.kind for line in lines] == ['env', 'blank', 'comment', 'job', 'unknown']
    job = lines[3]
    assert (job.number, job.schedule) == (4, '*/5 * * * *')
    assert job.command == '/usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1'


def test_unbalanced_quote_does_not_break_parsing():
    line = '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent "oops'
    assert find_checkevent(crontab(line), ROOT)['present'] is True


@pytest.mark.parametrize('text, expected', [
    ('/usr/local/mgr5/sbin/mgrctl', True),
    ('cd /usr/local/mgr5 && x', True),
    ('"/usr/local/mgr5/sbin/x"', True),
    ('/usr/local/mgr50/sbin/x', False),
    ('/opt/usr/local/mgr5/sbin/x', False),
])
def test_mentions_root(text, expected):
    assert mentions_root(text, ROOT) is expected


def test_render_plain_is_the_runbook_line_and_is_found_again():
    line = render_checkevent_line(ROOT)
    assert line == PLAIN
    assert find_checkevent(line + '\n', ROOT)['form'] == 'plain'


def test_render_wrapper_and_other_root():
    line = render_checkevent_line('/opt/mgr 5', form='wrapper', schedule='*/10 * * * *')
    assert line == "*/10 * * * * '/opt/mgr 5/sbin/cron-billmgr' sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1"
    found = find_checkevent(line, '/opt/mgr 5')
    assert (found['form'], found['schedule']['interval_minutes']) == ('wrapper', 10)


@pytest.mark.parametrize('kwargs', [{'form': 'shell'}, {'schedule': '*/5 * *'}, {'schedule': 'every 5 minutes'}])
def test_render_refuses_bad_requests(kwargs):
    with pytest.raises(ValueError):
        render_checkevent_line(ROOT, **kwargs)
