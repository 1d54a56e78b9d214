# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation, comparison and the write SQL of reseller drift.

What the SQL does to real rows is tested through billmgr_item_sync against a real MariaDB in
tests/database/test_billmgr_item_sync.py.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database.drift import (
    DriftError,
    Values,
    choose_modules,
    chunks,
    compare,
    imported_plans_sql,
    item_rows,
    item_status,
    items_sql,
    iso_date,
    linked_items_sql,
    module_id,
    plan_fix,
    row_text,
    update_sql,
    write_sql,
)

INJECTIONS = ['1; DROP TABLE item', '1 OR 1=1', "1' --", '2025-01-01; DROP TABLE item', None, [1], {'a': 1}, 1.5]


def linked(item, remoteid, status, expiredate):
    return {'id': item, 'remoteid': remoteid, 'status': status, 'expiredate': expiredate, 'processingmodule': 5}


# ---- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [(2, 2), ('3', 3), (0, 0), (127, 127)])
def test_status_takes_small_ints(value, expected):
    assert item_status(value, 's') == expected


@pytest.mark.parametrize('bad', ['1; DROP TABLE item', '-1', 128, -1, True, 2.0, None, '', ' 2', '0x2'])
def test_status_refuses_everything_else(bad):
    with pytest.raises(DriftError, match=r'^s must be an item status'):
        item_status(bad, 's')


def test_a_write_takes_only_known_statuses():
    assert item_status(5, 's', known_only=True) == 5
    with pytest.raises(DriftError, match=r'^s is 6, not an item status this collection writes \(1 ordered, '):
        item_status(6, 's', known_only=True)


@pytest.mark.parametrize('value, expected', [
    ('2025-03-01', '2025-03-01'), ('2024-02-29', '2024-02-29'), (None, None),
    ('2025-03-01T00:00:00', '2025-03-01'), ('2025-03-01 10:11:12', '2025-03-01'), (date(2025, 1, 2), '2025-01-02')])
def test_dates_are_iso_or_null(value, expected):
    assert iso_date(value, 'd') == expected


@pytest.mark.parametrize('bad', ['2025-02-30', '2025-13-01', '25-03-01', '2025-3-1', "2025-03-01' OR '1'='1",
                                 '2025-03-01; DROP TABLE item', 20250301, '', 'null', True])
def test_dates_refuse_everything_else(bad):
    with pytest.raises(DriftError, match=r'^d must be a date YYYY-MM-DD or null'):
        iso_date(bad, 'd')


def test_rows_are_keyed_by_id_and_name_the_bad_entry():
    rows = item_rows([{'id': 7, 'status': 2, 'expiredate': '2025-01-01', 'remoteid': 9},
                      {'id': '8', 'status': '3', 'expiredate': None}], 'provider_items')
    assert rows == {7: Values(2, '2025-01-01'), 8: Values(3, None)}
    assert item_rows(None, 'x') == {}
    with pytest.raises(DriftError, match=r'^provider_items\[1\]\.id must be a plain positive integer'):
        item_rows([{'id': 1, 'status': 2, 'expiredate': None}, {'id': '1; DROP TABLE item', 'status': 2,
                                                                'expiredate': None}], 'provider_items')
    with pytest.raises(DriftError, match=r'^expect\[0\] has no status, expiredate'):
        item_rows([{'id': 1}], 'expect')
    with pytest.raises(DriftError, match=r'^x\[1\]: item 1 is given twice with different values'):
        item_rows([{'id': 1, 'status': 2, 'expiredate': None}, {'id': 1, 'status': 3, 'expiredate': None}], 'x')
    with pytest.raises(DriftError, match=r'^x must be a list of rows'):
        item_rows('1,2', 'x')


@pytest.mark.parametrize('bad', INJECTIONS[:4] + [0, -5, True])
def test_module_id_is_a_plain_id(bad):
    assert module_id(None) is None and module_id('5') == 5
    with pytest.raises(DriftError, match=r'^processing_module must be a plain positive integer'):
        module_id(bad)


# ---- reads ------------------------------------------------------------------------------------

def test_read_sql_holds_only_validated_ints():
    assert "REGEXP '^[0-9]+-.'" in imported_plans_sql()
    assert linked_items_sql([5, 7]).endswith('WHERE i.remoteid IS NOT NULL AND i.processingmodule IN (5, 7)\n'
                                             'ORDER BY i.id')
    assert 'WHERE i.id IN (3, 1)' in items_sql([3, 1, 3])
    for bad in (['5); DELETE FROM item; --'], [True], [], [0]):
        with pytest.raises(DriftError, match='internal'):
            linked_items_sql(bad)
    with pytest.raises(Exception, match=r'ids\[0\] must be a plain positive integer'):
        items_sql(['1) OR (1=1'])


def test_the_only_provider_module_is_chosen_and_several_need_a_name():
    one = [{'id': 5, 'name': 'Provider bm01'}]
    two = one + [{'id': 8, 'name': 'Provider bm09'}]
    assert choose_modules([], None) == []
    assert choose_modules(one, None) == [5]
    assert choose_modules(two, 8) == [8]
    with pytest.raises(DriftError, match=r'through 2 provider modules \(5 \(Provider bm01\), 8 \(Provider bm09\)\); '
                                         r'name the one .* with processing_module'):
        choose_modules(two, None)
    with pytest.raises(DriftError, match=r'^processing_module 9 is not a pmbillmgr processing module here; there are: 5'):
        choose_modules(one, 9)


def test_chunks_keep_order_and_size():
    assert chunks(range(5), 2) == [[0, 1], [2, 3], [4]]
    assert chunks([], 3) == []


# ---- comparing --------------------------------------------------------------------------------

LINKED = [linked(101, 9001, 2, '2026-01-10'), linked(102, 9002, 3, '2026-01-10'), linked(103, 9003, 2, '2026-01-10'),
          linked(104, 9004, 4, None), linked(105, 9099, 2, '2026-05-05')]
PROVIDER = {9001: Values(2, '2026-01-10'), 9002: Values(2, '2026-01-10'), 9003: Values(2, '2026-02-01'),
            9004: Values(4, None)}


def test_compare_finds_each_field_that_differs_and_what_the_provider_lacks():
    drift, absent = compare(LINKED, PROVIDER)
    assert drift == [
        {'id': 102, 'remoteid': 9002, 'differs': ['status'], 'reseller': {'status': 3, 'expiredate': '2026-01-10'},
         'provider': {'status': 2, 'expiredate': '2026-01-10'}},
        {'id': 103, 'remoteid': 9003, 'differs': ['expiredate'], 'reseller': {'status': 2, 'expiredate': '2026-01-10'},
         'provider': {'status': 2, 'expiredate': '2026-02-01'}},
    ]
    assert absent == [{'id': 105, 'remoteid': 9099}]


def test_a_null_date_against_a_date_is_drift():
    drift, _unlinked = compare([linked(1, 2, 2, None)], {2: Values(2, '2026-01-01')})
    assert drift[0]['differs'] == ['expiredate']
    drift, _unlinked = compare([linked(1, 2, 3, '2026-01-01')], {2: Values(2, None)})
    assert drift[0]['differs'] == ['status', 'expiredate']


def test_fix_plan_without_expect_takes_every_drifted_row():
    drift, _unlinked = compare(LINKED, PROVIDER)
    changes, conflicts = plan_fix(drift)
    assert changes == [(102, Values(3, '2026-01-10'), Values(2, '2026-01-10')),
                       (103, Values(2, '2026-01-10'), Values(2, '2026-02-01'))]
    assert conflicts == []


def test_fix_plan_with_expect_leaves_what_the_backup_does_not_hold():
    drift, _unlinked = compare(LINKED, PROVIDER)
    changes, conflicts = plan_fix(drift, {102: Values(3, '2026-01-10'), 103: Values(3, '2026-01-10')})
    assert [item for item, _b, _a in changes] == [102]
    assert conflicts == [{'id': 103, 'reason': 'changed since the backup', 'now': {'status': 2, 'expiredate': '2026-01-10'},
                          'expected': {'status': 3, 'expiredate': '2026-01-10'}}]
    changes, conflicts = plan_fix(drift, {})
    assert changes == [] and [c['reason'] for c in conflicts] == ['not in the backup'] * 2


# ---- writes -----------------------------------------------------------------------------------

def test_update_is_guarded_by_the_values_read():
    sql = update_sql(102, Values(3, '2026-01-10'), Values(2, None))
    assert sql == ("UPDATE item SET status = 2, expiredate = NULL\n"
                   "WHERE id = 102 AND status = 3 AND expiredate <=> DATE '2026-01-10';\n"
                   "SELECT ROW_COUNT() AS changed;")


@pytest.mark.parametrize('item, before, after, message', [
    ('102; DROP TABLE item', Values(3, None), Values(2, None), r'^id must be a plain positive integer'),
    (102, Values(3, None), Values(2, "2026-01-10' OR '1'='1"), r'^item 102 expiredate must be a date'),
    (102, Values(3, "2026-01-10'--"), Values(2, None), r'^item 102 expiredate before must be a date'),
    (102, Values('3 OR 1=1', None), Values(2, None), r'^item 102 status before must be an item status'),
    (102, Values(3, None), Values(9, None), r'^item 102 status is 9, not an item status this collection writes'),
])
def test_nothing_unvalidated_reaches_an_update(item, before, after, message):
    with pytest.raises(DriftError, match=message):
        update_sql(item, before, after)


def test_write_is_one_transaction_with_a_row_count_per_update():
    sql = write_sql([(1, Values(3, None), Values(2, '2026-01-01')), (2, Values(2, '2026-01-01'), Values(4, None))])
    assert sql.startswith('START TRANSACTION;\nUPDATE item SET status = 2') and sql.endswith('\nCOMMIT;')
    assert sql.count('UPDATE item') == 2 and sql.count('SELECT ROW_COUNT() AS changed;') == 2
    # Only the fixed words, validated numbers and dates: no other literal can have slipped in.
    assert re.findall(r"'[^']*'", sql) == ["'2026-01-01'", "'2026-01-01'"]
    with pytest.raises(DriftError):
        write_sql([])


def test_row_text_names_the_status():
    assert row_text(7, Values(3, None)) == 'item 7: status 3 (suspended), expiredate null\n'
    assert row_text(7, Values(42, '2026-01-01')) == 'item 7: status 42, expiredate 2026-01-01\n'
