select processingmodule from item where id =<item_id>;
