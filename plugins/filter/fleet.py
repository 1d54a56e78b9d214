# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the fleet views: a host's errors grouped for the fleet table, and version drift.
The logic lives in plugin_utils._fleetview; each filter's documentation is the YAML file of its name."""

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.plugin_utils._fleetview import host_errors, with_version_drift


class FilterModule:
    """Views of the whole fleet for the health report."""

    def filters(self):
        return {'health_error_groups': host_errors, 'fleet_version_drift': with_version_drift}
