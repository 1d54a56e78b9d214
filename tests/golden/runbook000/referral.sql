Select * from account2project where account='ID_client'\G; 
