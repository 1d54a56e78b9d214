update item set expiredate="2016-04-27" where id=9304;
