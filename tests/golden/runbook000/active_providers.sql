select id, active from project\G;
