select project from pricelist where id in (select pricelist from item where id='<item_id>');
