/usr/local/mgr5/sbin/licctl fetch billmgr
