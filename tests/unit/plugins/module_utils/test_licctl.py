# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from datetime import date

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import (
    days_left,
    info_argv,
    parse_expire,
    got_lines,
    parse_info,
    trial_used,
)
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_secret
from ansible_collections.billmgr.ops.plugins.module_utils._platform.license import license_facts


def test_linked_license():
    info = parse_info('ID: 123456\nExpire: 2027-03-01\nJustInstalled: no\nPlan: Corporate\n')
    assert info['id'] == 123456
    assert info['linked'] is True
    assert info['expires'] == date(2027, 3, 1)
    assert info['expires_text'] == '2027-03-01'
    assert info['fields'] == {'JustInstalled': 'no', 'Plan': 'Corporate'}


def test_unlinked_license_is_id_zero():
    info = parse_info('ID: 0\nJustInstalled yes\n')
    assert info['id'] == 0
    assert info['linked'] is False
    assert info['expires'] is None
    assert info['fields'] == {'JustInstalled': 'yes'}


@pytest.mark.parametrize('text', ['ID:\n', 'ID: none\n', '', 'Expire: 2027-01-01\n'])
def test_no_number_means_not_linked(text):
    info = parse_info(text)
    assert info['id'] is None
    assert info['linked'] is False


def test_unknown_keys_are_kept_as_they_come():
    info = parse_info('ID: 7\n  Some Key :  value: with colon  \nFLAG\n\nOther: \n')
    assert info['fields'] == {'Some Key': 'value: with colon', 'FLAG': '', 'Other': ''}


def test_only_the_first_id_counts():
    info = parse_info('ID: 5\nID: 0\n')
    assert info['id'] == 5


@pytest.mark.parametrize('text,expected', [
    ('2027-03-01', date(2027, 3, 1)),
    ('2027-03-01 00:00:00', date(2027, 3, 1)),
    ('2027-03-01T10:00:00+03:00', date(2027, 3, 1)),
    ('2027/3/1', date(2027, 3, 1)),
    ('01.03.2027', date(2027, 3, 1)),
    ('Mar 1 2027', date(2027, 3, 1)),
    ('Mar 01, 2027', date(2027, 3, 1)),
    ('1 March 2027', date(2027, 3, 1)),
    ('20270301', date(2027, 3, 1)),
    ('never', None),
    ('2027-13-45', None),
    ('', None),
    (None, None),
])
def test_expire_forms(text, expected):
    assert parse_expire(text) == expected


def test_days_left_counts_down_and_goes_negative():
    assert days_left(date(2027, 3, 1), today=date(2027, 2, 20)) == 9
    assert days_left(date(2027, 3, 1), today=date(2027, 3, 4)) == -3
    assert days_left(None, today=date(2027, 3, 4)) is None


def test_trial_used_reads_got_lines(tmp_path):
    log = tmp_path / 'licctl.log'
    log.write_bytes(b'Mar  3 00:24:36 [9686:1] licctl INFO Fetching\n\xff\xfe binary noise\n')
    assert trial_used(str(log)) is False
    with open(log, 'ab') as handle:
        handle.write(b'Mar  3 00:24:37 [9686:1] licctl INFO Got license 123\n')
    assert trial_used(str(log)) is True
    assert trial_used(str(tmp_path / 'missing.log')) is None


def test_mask_secret():
    assert mask_secret('licctl fetch billmgr AbC-123 failed: AbC-123', 'AbC-123') == \
        'licctl fetch billmgr ******** failed: ********'
    assert mask_secret('nothing here', '') == 'nothing here'
    assert mask_secret(None, 'x') is None


def test_info_argv_is_a_list():
    assert info_argv('/usr/local/mgr5/sbin/licctl', 'billmgr') == ['/usr/local/mgr5/sbin/licctl', 'info', 'billmgr']


def test_justinstalled_is_a_word_and_a_domain_whose_colon_stays_in_the_value():
    info = parse_info('ID: 31337\nJustInstalled billing.example.com:1500\nJustInstalled: no\n')
    assert info['fields'] == {'JustInstalled': 'billing.example.com:1500'}
    assert info['lines'] == ['JustInstalled billing.example.com:1500', 'JustInstalled: no']


def test_every_line_but_id_and_expire_is_kept_verbatim_in_order():
    text = 'ID: 5\nWeird line, no key at all!\n---\nExpire: in a while\nA: 1\nA: 2\n'
    info = parse_info(text)
    assert info['lines'] == ['Weird line, no key at all!', '---', 'A: 1', 'A: 2']
    assert info['fields']['A'] == '1' and info['expires'] is None and info['expires_text'] == 'in a while'


def test_got_lines_count_and_keep_the_last_ones(tmp_path):
    log = tmp_path / 'licctl.log'
    log.write_bytes(b'Jan  1 [1:1] licctl INFO check\n' + b''.join(
        b'Jan  %d [1:1] licctl INFO Got license ID 7\n' % day for day in range(1, 6)) + b'\xff Got odd bytes\n')
    count, last = got_lines(str(log), keep=2)
    assert count == 6 and last == ['Jan  5 [1:1] licctl INFO Got license ID 7', '\ufffd Got odd bytes']
    assert got_lines(str(tmp_path / 'none.log')) is None
    assert trial_used(str(log)) is True


def test_license_facts_say_a_license_was_activated_before(tmp_path):
    log = tmp_path / 'licctl.log'
    log.write_text('Mar  1 10:00:00 [9:1] licctl INFO Got license ID 5 for billmgr\n')
    facts, _secrets = license_facts('ID: 5\nExpire: 2099-01-01\n', str(log))
    assert facts['activated_before'] is True and facts['trial_used'] is True
    assert facts['got_lines'] == ['Mar  1 10:00:00 [9:1] licctl INFO Got license ID 5 for billmgr']
    fresh, _secrets = license_facts('ID: 0\n', str(tmp_path / 'absent.log'))
    assert fresh['activated_before'] is None and fresh['got_lines'] == []
