# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the remediate role; the decisions are plugin_utils._remediate."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.plugin_utils import _remediate


def remediate_asked(value):
    return _remediate.asked_fixes(value)


def remediate_refused(asked):
    return _remediate.refused(asked)


def remediate_plan(record, facts, asked):
    if not isinstance(record, dict):
        raise AnsibleFilterError('remediate_plan: the host record must be a dict, got %r' % (record,))
    return _remediate.plan(record, facts, asked)


def remediate_in_pay(facts):
    return _remediate.in_pay(facts)


def remediate_result(the_plan, host, after, in_pay_after, asked, results, settings):
    return _remediate.host_result(host, the_plan, after, in_pay_after, asked, results, settings)


def remediate_fleet_summary(tagged):
    return _remediate.fleet_summary(tagged)


def remediate_unfixed(fixes):
    return _remediate.unfixed(fixes)


class FilterModule:
    def filters(self):
        return {'remediate_asked': remediate_asked, 'remediate_refused': remediate_refused,
                'remediate_plan': remediate_plan, 'remediate_in_pay': remediate_in_pay,
                'remediate_result': remediate_result, 'remediate_fleet_summary': remediate_fleet_summary,
                'remediate_unfixed': remediate_unfixed}
