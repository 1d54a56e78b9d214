SELECT * FROM promisepayment;
