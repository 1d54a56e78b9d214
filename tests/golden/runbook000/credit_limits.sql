select account from subaccount where creditlimit>0.0000
