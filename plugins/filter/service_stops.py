# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the billmgr.ops.service_stops role. The logic lives in plugin_utils._stops; the
filter's documentation is the YAML file of its name next to this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.billmgr.ops.plugins.plugin_utils._stops import explain


def service_stops_explained(failures, wanted=None, item_rows=None, account_rows=None, promises=None, since=None):
    try:
        stops, not_found = explain(failures, wanted, item_rows, account_rows, promises, since)
    except (TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError('service_stops_explained: %s' % exc) from exc
    return {'stops': stops, 'not_found': not_found}


class FilterModule:
    def filters(self):
        return {'service_stops_explained': service_stops_explained}
