/usr/local/mgr5/sbin/licctl info billmgr
