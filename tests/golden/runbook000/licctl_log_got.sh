cat /usr/local/mgr5/var/licctl.log | grep 'Got' 
