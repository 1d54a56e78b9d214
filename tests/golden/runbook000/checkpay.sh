/usr/local/mgr5/sbin/mgrctl -m billmgr paymethod.checkpay
