#!/bin/sh
# Start PostgreSQL on 127.0.0.1:$POSTGRES_PORT with $PGDATA as its data (created on the first start, with the user
# $POSTGRES_USER, password $POSTGRES_PASSWORD, owning the database $POSTGRES_DB), as the postgres user.
set -eu
bin=/usr/lib/postgresql/15/bin
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/password
  chown postgres /tmp/password
  runuser -u postgres -- "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    --pwfile=/tmp/password >/dev/null
  rm /tmp/password
  runuser -u postgres -- "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -p $POSTGRES_PORT" -w start >/dev/null
  runuser -u postgres -- psql -q -p "$POSTGRES_PORT" -h /var/run/postgresql -v ON_ERROR_STOP=1 \
    -c "CREATE USER \"$POSTGRES_USER\" PASSWORD '$POSTGRES_PASSWORD'" -c "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\""
  runuser -u postgres -- "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec runuser -u postgres -- "$bin/postgres" -D "$PGDATA" -c listen_addresses=127.0.0.1 -p "$POSTGRES_PORT"
