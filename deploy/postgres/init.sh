#!/bin/sh
# Run once by the postgres image's entrypoint, only while the data volume is empty.
# Plain SQL cannot read the environment, so the passwords reach init.sql as psql variables.
set -e
: "${DB_OWNER_PASSWORD:?DB_OWNER_PASSWORD must be set}"
: "${DB_APP_PASSWORD:?DB_APP_PASSWORD must be set}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v owner_password="$DB_OWNER_PASSWORD" -v app_password="$DB_APP_PASSWORD" \
    -f "${INIT_SQL:-/opt/regie/init.sql}"
