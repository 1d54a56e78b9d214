# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.module_utils._logs.errorgroups import error_groups
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import parse_error


def record(message, time, thread='483562:72787', log='billmgr'):
    line = 'Mar  6 18:33:01 [%s] libmgr ERROR %s' % (thread, message)
    return {'log': log, 'time': time, 'thread_key': thread, 'message': message, 'error': parse_error(message),
            'context': [line]}


MISSED = "Error: Type: 'missed' Object: 'function' Value: 'payment_cash_register.check'"
MISSED_CURRENCY = "Error: Type: 'missed' Object: 'currency' Value: ''"
OVER = "Error: Type: 'stat_addon_over_limit' Object: '' Value: ''"


def test_records_group_by_type_and_object_most_records_first():
    found = error_groups([record(MISSED, '2026-03-06T18:33:01'), record(MISSED_CURRENCY, '2026-03-06T18:34:00'),
                          record(MISSED, '2026-03-06T18:35:07'), record(OVER, '2026-03-03T00:24:36')], True)
    assert found['complete'] is True and found['dropped'] == 0
    keys = [(g['type'], g['object'], g['records']) for g in found['groups']]
    assert keys == [('missed', 'function', 2), ('missed', 'currency', 1), ('stat_addon_over_limit', '', 1)]
    first = found['groups'][0]
    assert (first['first'], first['last']) == ('2026-03-06T18:33:01', '2026-03-06T18:35:07')
    assert first['thread_key'] == '483562:72787' and first['thread_lines'][0].endswith(MISSED)


def test_first_and_last_do_not_depend_on_file_order():
    # Two logs: the scanner hands over one file's records, then the other's.
    found = error_groups([record(MISSED, '2026-03-06T18:40:00', log='pmfoo'),
                          record(MISSED, '2026-03-06T18:00:00')], True)
    group = found['groups'][0]
    assert (group['first'], group['last'], group['log']) == ('2026-03-06T18:00:00', '2026-03-06T18:40:00', 'pmfoo')


def test_a_record_without_a_type_is_other_and_a_cap_is_counted():
    untyped = {'log': 'billmgr', 'time': None, 'message': 'Segmentation fault', 'error': None}
    found = error_groups([untyped] + [record("Error: Type: 't%d' Object: 'o' Value: ''" % n, '2026-03-06T18:00:00')
                                      for n in range(5)], False, max_groups=3)
    assert found['complete'] is False and found['dropped'] == 3 and len(found['groups']) == 3
    everything = error_groups([untyped], True)['groups'][0]
    assert (everything['type'], everything['object'], everything['first']) == ('other', '', None)
