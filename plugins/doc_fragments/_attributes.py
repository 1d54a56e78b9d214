# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The descriptions of the attributes every module documents.

    Ansible merges a fragment's attributes into the module's one attribute at a time, the module's
    keys winning: a module states only its own C(support) and C(details) for each attribute.
    """

    DOCUMENTATION = r'''
options: {}
requirements:
  - Python 3.8 or newer on the managed host, the oldest ansible-core 2.19 runs modules with (EL 8's
    system Python is 3.6; install C(python39) and set C(ansible_python_interpreter)).
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
'''

    READ_ONLY = r'''
options: {}
attributes:
  check_mode:
    support: full
    details: The module never changes the host, so check mode returns exactly what a normal run returns.
  diff_mode:
    support: none
'''
