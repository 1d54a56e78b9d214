# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.diskinfo import (
    disk_facts,
    mount_of,
    parse_mountinfo,
    usage,
)

# A lab-like host: / on ext4, /usr/local an overlay, the mgr root a bind mount, var/ a tmpfs.
MOUNTINFO = '''\
22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:25 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
41 22 0:40 / /usr/local rw,relatime - overlay overlay rw,lowerdir=/usr/local,upperdir=/x/u,workdir=/x/w
42 41 253:0 /srv/lab/bm01/mgr5 /usr/local/mgr5 rw,relatime - ext4 /dev/vda rw
43 42 0:41 / /usr/local/mgr5/var rw,relatime - tmpfs tmpfs rw,size=98304k,nr_inodes=4096
50 22 0:50 / /mnt/with\\040space rw - xfs /dev/sdb1 rw
'''


def test_parse_mountinfo_fields_and_escapes():
    mounts = parse_mountinfo(MOUNTINFO + 'garbage line\n')
    assert [m['mount'] for m in mounts] == ['/', '/proc', '/usr/local', '/usr/local/mgr5', '/usr/local/mgr5/var',
                                            '/mnt/with space']
    assert mounts[3] == {'mount': '/usr/local/mgr5', 'root': '/srv/lab/bm01/mgr5', 'fs_type': 'ext4',
                         'source': '/dev/vda'}
    assert mounts[4]['fs_type'] == 'tmpfs'


def test_mount_of_takes_the_longest_mount_point():
    mounts = parse_mountinfo(MOUNTINFO)
    assert mount_of('/usr/local/mgr5/var/billmgr.log', mounts)['mount'] == '/usr/local/mgr5/var'
    assert mount_of('/usr/local/mgr5/etc', mounts)['mount'] == '/usr/local/mgr5'
    assert mount_of('/usr/local/mgr50', mounts)['mount'] == '/usr/local'
    assert mount_of('/usr/local', mounts)['mount'] == '/usr/local'
    assert mount_of('/etc', mounts)['mount'] == '/'
    assert mount_of('/mnt/with space/x', mounts)['fs_type'] == 'xfs'


def test_a_mount_point_mounted_over_is_the_last_one():
    mounts = parse_mountinfo(MOUNTINFO + '60 43 0:60 / /usr/local/mgr5/var rw - xfs /dev/sdc rw\n')
    assert mount_of('/usr/local/mgr5/var', mounts)['source'] == '/dev/sdc'


def test_usage_matches_statvfs(tmp_path):
    st = os.statvfs(str(tmp_path))
    found = usage(str(tmp_path))
    assert found['size_bytes'] == st.f_blocks * st.f_frsize
    assert found['inodes_total'] == st.f_files
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    assert found['used_bytes'] == used
    # df's figure: used over used plus what an unprivileged user may still take.
    assert abs(found['used_pct'] - 100.0 * used / (used + st.f_bavail * st.f_frsize)) <= 0.1
    assert 0 <= found['used_pct'] <= 100


def _mountinfo_file(tmp_path, text):
    path = tmp_path / 'mountinfo'
    path.write_text(text)
    return str(path)


def test_paths_on_one_mount_are_one_entry(tmp_path):
    root = tmp_path / 'mgr5'
    (root / 'var').mkdir(parents=True)
    mountinfo = _mountinfo_file(tmp_path, '22 1 253:0 / / rw - ext4 /dev/vda rw\n')
    entries = disk_facts(['/', str(root), str(root / 'var')], mountinfo)
    assert len(entries) == 1
    assert entries[0]['mount'] == '/' and entries[0]['fs_type'] == 'ext4'
    assert entries[0]['serves'] == ['/', str(root), str(root / 'var')]
    assert 'error' not in entries[0]


def test_paths_on_different_mounts_are_separate(tmp_path):
    root = tmp_path / 'mgr5'
    (root / 'var').mkdir(parents=True)
    mountinfo = _mountinfo_file(tmp_path, '22 1 253:0 / / rw - ext4 /dev/vda rw\n'
                                          '43 22 0:41 / %s rw - tmpfs tmpfs rw\n' % (root / 'var'))
    entries = disk_facts(['/', str(root), str(root / 'var')], mountinfo)
    assert [(e['mount'], e['serves']) for e in entries] == [
        ('/', ['/', str(root)]), (str(root / 'var'), [str(root / 'var')])]
    assert entries[1]['fs_type'] == 'tmpfs'


def test_a_symlinked_path_counts_where_it_leads(tmp_path):
    (tmp_path / 'data' / 'var').mkdir(parents=True)
    root = tmp_path / 'mgr5'
    root.mkdir()
    os.symlink(str(tmp_path / 'data' / 'var'), str(root / 'var'))
    mountinfo = _mountinfo_file(tmp_path, '22 1 253:0 / / rw - ext4 /dev/vda rw\n'
                                          '43 22 0:41 / %s rw - xfs /dev/sdb rw\n' % (tmp_path / 'data'))
    entries = disk_facts([str(root / 'var')], mountinfo)
    assert entries[0]['mount'] == str(tmp_path / 'data')
    assert entries[0]['serves'] == [str(root / 'var')]


def test_missing_path_gets_its_own_error_entry(tmp_path):
    mountinfo = _mountinfo_file(tmp_path, '22 1 253:0 / / rw - ext4 /dev/vda rw\n')
    entries = disk_facts(['/', str(tmp_path / 'nowhere')], mountinfo)
    assert len(entries) == 2
    assert entries[1]['serves'] == [str(tmp_path / 'nowhere')]
    assert entries[1]['size_bytes'] is None and 'does not exist' in entries[1]['error']


def test_unreadable_mountinfo_still_gives_sizes(tmp_path):
    entries = disk_facts([str(tmp_path)], str(tmp_path / 'no-mountinfo'))
    assert entries[0]['mount'] is None
    assert entries[0]['size_bytes'] > 0
    assert 'cannot read' in entries[0]['error']
