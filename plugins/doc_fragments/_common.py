# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options every billmgr.ops module shares (the attributes are the _attributes fragment)."""

    MGR_ROOT = r'''
options:
  mgr_root:
    description:
      - Install root of the ISPsystem platform on the managed host.
      - Every platform path (C(sbin/mgrctl), C(etc/debug.conf), C(var/*.log), ...) is taken below it.
    type: path
    default: /usr/local/mgr5
'''
