-- Sign-in attempts are counted in the server's memory now (src/throttle.rs): a refused or
-- failed sign-in no longer costs a durable write.
DROP TABLE login_failures;
