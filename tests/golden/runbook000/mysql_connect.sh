mysql billmgr
