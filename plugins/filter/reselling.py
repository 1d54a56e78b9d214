# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the reselling role; the record is built by plugin_utils._reselling."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.plugin_utils import _reselling


def reselling_record(given):
    try:
        return _reselling.host_record(given)
    except KeyError as exc:
        raise AnsibleFilterError('reselling_record: %s is missing from the input' % exc) from exc


def reselling_summary(record):
    return _reselling.summary_lines(record)


class FilterModule:
    def filters(self):
        return {'reselling_record': reselling_record, 'reselling_summary': reselling_summary}
