-- Run once by the mysql image's entrypoint, when it initialises an empty data volume, after it has created
-- MYSQL_DATABASE (payments). The same database and least-privilege account tools/dev/mariadb.sh creates for
-- `make run`: the services connect as payments_app with DML rights only; DDL (migrations) runs as root from
-- the `setup` service. The password is the development default of tools/dev/common.sh and is repeated as
-- MYSQL_PASSWORD in docker-compose.yml: change both for anything but a local try-out.
ALTER DATABASE payments CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'payments_app'@'%' IDENTIFIED BY 'payments_app_dev';
GRANT SELECT, INSERT, UPDATE, DELETE ON payments.* TO 'payments_app'@'%';
