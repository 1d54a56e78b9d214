cd /usr/local/mgr5
./sbin/mgrctl -m billmgr pricelist.sync elid=<tariff id>
