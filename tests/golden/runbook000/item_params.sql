select * from itemparam where item=<item_id>\G
