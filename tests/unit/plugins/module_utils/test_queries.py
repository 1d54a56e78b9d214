# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation, SQL building and masking of the named queries.

What the SQL returns from real rows is tested through the module against a real MariaDB in
tests/database/test_billmgr_query_rows.py.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import (
    NAMES,
    QUERIES,
    Planned,
    QueryError,
    assemble,
    build_sql,
    hours,
    left_out,
    missing,
    id_list,
    mask_rows,
    plan,
    positive_id,
)

NOW = datetime(2025, 3, 3, 12, 30, 15)
INJECTIONS = ['1; DROP TABLE item', '1 OR 1=1', "1' --", '0x10', '-1', '0', '1.5', '', ' 1', '1e3', '١٢',
              '12345678901234567890', True, 1.0, None, [1], {'id': 1}]
# A value for every parameter a query can take, distinct so the SQL shows where each went.
GOOD = {'item': 310598, 'account': 42, 'ids': [7, 8, 9], 'hours': 6}


def planned_for(name):
    query = QUERIES[name]
    entry = dict((key, GOOD[key]) for key in query.needs + tuple(query.takes))
    entry['name'] = name
    (planned,) = plan([entry])
    return planned


@pytest.mark.parametrize('value, expected', [(1, 1), ('310598', 310598), (2 ** 31, 2 ** 31)])
def test_positive_id_accepts_plain_positive_integers(value, expected):
    assert positive_id(value, 'item') == expected


@pytest.mark.parametrize('value', INJECTIONS)
def test_positive_id_refuses_everything_else_naming_the_option(value):
    with pytest.raises(QueryError) as caught:
        positive_id(value, 'queries[3].item')
    assert str(caught.value).startswith('queries[3].item must be a plain positive integer')


def test_id_list():
    assert id_list([3, '1', 3, 2], 'ids') == [3, 1, 2]
    assert id_list('5, 6,7', 'ids') == [5, 6, 7]
    with pytest.raises(QueryError, match=r'ids\[1\] must be a plain positive integer'):
        id_list([1, '2); DELETE FROM item; --'], 'ids')
    with pytest.raises(QueryError, match='non-empty list'):
        id_list([], 'ids')
    with pytest.raises(QueryError, match='at most 1000'):
        id_list(list(range(1, 1002)), 'ids')


def test_hours():
    assert hours(0, 'hours') == 0 and hours('48', 'hours') == 48
    for bad in (-1, '6h', '1; SELECT SLEEP(10)', 1.5, True, 10 ** 6):
        with pytest.raises(QueryError, match='hours must be a whole number'):
            hours(bad, 'hours')


def test_names_and_dicts_and_module_defaults():
    planned = plan(['active_providers', {'name': 'item_params', 'item': '5'}, 'item_provider',
                    {'name': 'stuck_payments'}, {'name': 'items', 'ids': [1, 2], 'label': 'mine'}],
                   {'item': 9, 'account': None, 'ids': None, 'hours': None})
    assert [(entry.label, entry.params) for entry in planned] == [
        ('active_providers', {}), ('item_params', {'item': 5}), ('item_provider', {'item': 9}),
        ('stuck_payments', {'hours': 1}), ('mine', {'ids': [1, 2]})]


@pytest.mark.parametrize('entries, message', [
    ([], 'queries is empty'),
    (['no_such_query'], r"queries\[0\]: 'no_such_query' is not a known query; known: referral"),
    ([{'item': 1}], r'queries\[0\] has no name: give one of referral'),
    ([{'name': 3}], r'queries\[0\]: 3 \(int\) is not a known query'),
    ([42], r'queries\[0\] must be a query name or a dict'),
    ([{'name': 'item_params', 'itme': 1}], r'queries\[0\]: unknown key itme'),
    (['item_params'], r'queries\[0\] \(item_params\) needs item'),
    (['referral'], r'queries\[0\] \(referral\) needs account'),
    (['items'], r'queries\[0\] \(items\) needs ids'),
    ([{'name': 'credit_limits', 'item': 1}], r'queries\[0\] \(credit_limits\) takes no item'),
    (['active_providers', 'active_providers'], r'queries\[1\]: active_providers is asked for twice'),
    ([{'name': 'item_params', 'item': '1; DROP TABLE item'}], r'queries\[0\]\.item must be a plain positive'),
    ([{'name': 'stuck_payments', 'hours': 'a while'}], r'queries\[0\]\.hours must be a whole number'),
    ([{'name': 'active_providers', 'label': ''}], r'label must be a non-empty string'),
])
def test_plan_refuses_with_a_message_naming_the_entry(entries, message):
    with pytest.raises(QueryError, match=message):
        plan(entries)


def test_a_bad_module_level_id_names_the_module_option():
    with pytest.raises(QueryError, match=r'^item must be a plain positive integer'):
        plan(['item_params'], {'item': '1; DROP TABLE item'})


@pytest.mark.parametrize('name', NAMES)
def test_sql_is_the_fixed_text_with_only_validated_ints_in_it(name):
    planned = planned_for(name)
    sql = build_sql(planned, NOW)
    template = assemble(QUERIES[name])
    # Everything outside the placeholders is the fixed text, and each placeholder got an int rendering.
    pattern = re.escape(template)
    for key, rendering in (('now', r'2025-03-03 12:30:15'), ('item', '310598'), ('account', '42'),
                           ('ids', '7, 8, 9'), ('hours', '6')):
        pattern = pattern.replace(re.escape('{%s}' % key), rendering)
    assert re.fullmatch(pattern, sql), sql
    assert ';' not in sql and '--' not in sql
    for key in planned.params:
        assert str(GOOD[key] if key != 'ids' else '7, 8, 9') in sql


@pytest.mark.parametrize('name', [name for name in NAMES if QUERIES[name].needs or QUERIES[name].takes])
def test_build_sql_refuses_params_that_did_not_come_through_plan(name):
    planned = planned_for(name)
    key = next(iter(planned.params))
    tampered = Planned(planned.label, planned.query, dict(planned.params, **{key: '1; DROP TABLE item'}))
    with pytest.raises(QueryError):
        build_sql(tampered, NOW)


@pytest.mark.parametrize('name', [name for name in NAMES if QUERIES[name].needs])
@pytest.mark.parametrize('bad', ['1; DROP TABLE item', "1' OR '1'='1"])
def test_every_parameterised_query_refuses_an_injection(name, bad):
    key = QUERIES[name].needs[0]
    with pytest.raises(QueryError, match='must be'):
        plan([{'name': name, key: [bad] if key == 'ids' else bad}])


def test_item_params_masks_secret_looking_names_only():
    rows = [{'item': 1, 'intname': intname, 'value': 'v-%s' % intname}
            for intname in ('lickey', 'api_key', 'passwd', 'root_password', 'client_secret', 'TOKEN', 'hostname',
                            'licid', 'ip')]
    rows.append({'item': 1, 'intname': 'emptykey', 'value': ''})
    masked = dict((row['intname'], row['value']) for row in mask_rows(QUERIES['item_params'], rows))
    assert masked == {'lickey': '********', 'api_key': '********', 'passwd': '********', 'root_password': '********',
                      'client_secret': '********', 'TOKEN': '********', 'hostname': 'v-hostname',
                      'licid': 'v-licid', 'ip': 'v-ip', 'emptykey': ''}
    assert rows[0]['value'] == 'v-lickey', 'the rows given must not be changed in place'


def test_reveal_and_other_queries_keep_values_of_plain_columns():
    rows = [{'item': 1, 'intname': 'lickey', 'value': 'abc'}]
    assert mask_rows(QUERIES['item_params'], rows, reveal=True) == rows
    other = [{'id': 1, 'intname': 'lickey', 'value': 'abc'}]
    assert mask_rows(QUERIES['items'], other) == other


def test_select_star_rows_lose_the_values_of_secret_looking_columns():
    rows = [{'id': 1, 'account': 7, 'project': 1, 'apikey': 'k-1', 'password': 'p', 'token': None, 'note': 'x'}]
    assert mask_rows(QUERIES['referral'], rows) == [
        {'id': 1, 'account': 7, 'project': 1, 'apikey': '********', 'password': '********', 'token': None, 'note': 'x'}]
    assert mask_rows(QUERIES['referral'], rows, reveal=True) == rows


def test_a_parameter_row_without_intname_cannot_say_what_it_holds_and_is_masked():
    assert mask_rows(QUERIES['item_params'], [{'item': 1, 'value': 'secret?'}]) == [{'item': 1, 'value': '********'}]


# ---- the schema a query meets ----------------------------------------------------------------------

FULL = None  # every name exists


def names(*given):
    found = set(given)
    found.update(name.split('.')[0] for name in given)
    return found


def test_an_optional_column_that_is_missing_is_left_out_and_said():
    have = names('payment.status', 'payment.paymethod', 'paymethod.id', 'paymethod.name', 'paymethod.module')
    query = QUERIES['payments_in_pay']
    sql = build_sql(plan([{'name': 'payments_in_pay', 'hours': 3}])[0], NOW, have)
    assert 'createdate' not in sql and 'MAX(m.module) AS paymethod_module' in sql and 'COUNT(*) AS count' in sql
    assert missing(query, have) == [] and left_out(query, have) == ['payment.createdate']


def test_a_required_column_that_is_missing_makes_the_query_unsupported():
    assert missing(QUERIES['credit_limits'], names('subaccount.account')) == ['subaccount.creditlimit']
    assert missing(QUERIES['promised_payments'], names('item.id')) == ['promisepayment']
    assert missing(QUERIES['promised_payments'], names('promisepayment.whatever')) == []


def test_alternatives_take_the_first_form_the_schema_allows():
    query = QUERIES['item_provider']
    with_parent = assemble(query, FULL)
    assert 'COALESCE(NULLIF(pl.project, 0), ppl.project) AS project' in with_parent
    assert 'LEFT JOIN project pr ON pr.id = COALESCE' in with_parent
    plain = assemble(query, names('item.id', 'item.pricelist', 'pricelist.id', 'pricelist.project', 'project.id'))
    assert 'pl.project AS project' in plain and 'ppl' not in plain and 'LEFT JOIN project pr ON pr.id = pl.project' in plain
    stuck = QUERIES['stuck_payments']
    base = ('payment.id', 'payment.status', 'payment.createdate')
    assert 'p.paymethodamount AS amount' in assemble(stuck, names(*base + ('payment.paymethodamount', 'payment.amount')))
    assert 'p.amount AS amount' in assemble(stuck, names(*base + ('payment.amount',)))
    assert ' AS amount' not in assemble(stuck, names(*base))


def test_no_query_reads_the_encrypted_parameters():
    for query in QUERIES.values():
        assert 'itemcryptedparam' not in query.tables()
        assert 'itemcryptedparam' not in assemble(query)


def test_the_runbooks_unseen_names_are_never_required():
    # Names no public source shows (see the README): a query may use them, never depend on them.
    unseen = {'payment.amount', 'payment.subaccount', 'account2project.partner', 'account2project.referral',
              'processingmodule.active', 'itemevent.createdate', 'subaccount.balance'}
    for query in QUERIES.values():
        assert not unseen & set(query.required), query.name
        assert not [name for name in query.required if name.startswith('promisepayment.')]


def test_a_query_given_as_fixed_text_runs_as_it_is_in_the_batch():
    from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import Query
    from ansible_collections.billmgr.ops.plugins.module_utils._database.querybatch import batch_sql, literal
    fixed = Query('fixed', 'A fixed look-up.', ('item',), {}, 'SELECT i.id\nFROM item i\nWHERE i.id = {item}',
                  {'id': 'int'})
    entry = Planned('fixed', fixed, {'item': 7})
    assert build_sql(entry, NOW) == 'SELECT i.id\nFROM item i\nWHERE i.id = 7'
    assert "SET @q_0 := 'SELECT i.id FROM item i WHERE i.id = 7';" in batch_sql([entry], NOW)
    assert literal("it's") == "'it''s'"
    with pytest.raises(QueryError):
        literal('a\\b')
