# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options and attributes every billmgr.ops module shares."""

    MGR_ROOT = r'''
options:
  mgr_root:
    description:
      - Install root of the ISPsystem platform on the managed host.
      - Every platform path (C(sbin/mgrctl), C(etc/debug.conf), C(var/*.log), ...) is taken below it.
    type: path
    default: /usr/local/mgr5
'''

    ATTRIBUTES = r'''
options: {}
requirements:
  - Python 3.8 or newer on the managed host, the oldest ansible-core 2.19 runs modules with (EL 8's
    system Python is 3.6; install C(python39) and set C(ansible_python_interpreter)).
attributes:
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
'''

    READ_ONLY = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The module never changes the host, so check mode returns exactly what a normal run returns.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
'''
