# Sourced (not executed: it uses the entrypoint's docker_process_sql) by the mysql image's entrypoint, once,
# when it initialises an empty data volume, after it has created MYSQL_DATABASE (payments). The same database
# and least-privilege account tools/dev/mariadb.sh creates for `make run`: the services connect as
# payments_app with DML rights only; DDL (migrations) runs as root from the `setup` service. The password is
# the services' MYSQL_PASSWORD, handed to this container as PAYMENTS_APP_PASSWORD (docker-compose.yml).
payments_app_password=${PAYMENTS_APP_PASSWORD//\\/\\\\}
payments_app_password=${payments_app_password//\'/\'\'}
docker_process_sql --database=payments <<SQL
ALTER DATABASE payments CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'payments_app'@'%' IDENTIFIED BY '$payments_app_password';
GRANT SELECT, INSERT, UPDATE, DELETE ON payments.* TO 'payments_app'@'%';
SQL
unset payments_app_password
