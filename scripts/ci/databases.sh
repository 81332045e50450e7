#!/usr/bin/env bash
# Installs (from Debian's packages: PostgreSQL, MariaDB, pgBackRest, zstd) and starts PostgreSQL and MariaDB on loopback for the dump integration tests.
# Idempotent: quick when both already run. Test credentials only: postgres/postgres and backup/backup on 127.0.0.1.
set -euo pipefail

need=()
[ -d /usr/lib/postgresql ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ] || need+=(mariadb-server)
# pgBackRest: the WAL archiving test archives and restores a scratch cluster with it.
command -v pgbackrest >/dev/null 2>&1 || need+=(pgbackrest)
# The dump job compresses with the zstd CLI (lambdas/logical-backup/dump-format.ts), as in the dump image.
command -v zstd >/dev/null 2>&1 || need+=(zstd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/ci/databases.sh: installing ${need[*]} needs root (apt-get)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL: the newest installed major version's "main" cluster, listening on 127.0.0.1:5432.
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
  pg_createcluster "$ver" main >/dev/null
fi
if ! pg_lsclusters -h | grep -q "^$ver main .* online"; then
  pg_ctlcluster "$ver" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null

# MariaDB on 127.0.0.1:3306.
if ! mysqladmin ping --silent >/dev/null 2>&1; then
  (service mariadb start || /etc/init.d/mariadb start) >/dev/null 2>&1 || true
fi
for _ in $(seq 1 30); do mysqladmin ping --silent >/dev/null 2>&1 && break; sleep 1; done
mysql -uroot -e "CREATE USER IF NOT EXISTS 'backup'@'127.0.0.1' IDENTIFIED BY 'backup'; GRANT ALL ON *.* TO 'backup'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"

# The contract runs (test/contracts) dump one small database of each engine; made once here, before jest's parallel
# workers start, so they never race to create it.
PGPASSWORD=postgres psql -q -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'contract'" | grep -q 1 \
  || PGPASSWORD=postgres psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE contract"
PGPASSWORD=postgres psql -q -h 127.0.0.1 -U postgres -d contract \
  -c "CREATE TABLE IF NOT EXISTS t (id int primary key, v text); INSERT INTO t VALUES (1, 'a') ON CONFLICT DO NOTHING" >/dev/null 2>&1
# Random text that compresses poorly: its dump is over one 8 MiB upload part, so the contracts see the multipart path.
PGPASSWORD=postgres psql -q -h 127.0.0.1 -U postgres -d contract -c "CREATE TABLE IF NOT EXISTS big (id int primary key, v text);
  INSERT INTO big SELECT g, md5(random()::text) || md5(random()::text) || md5(random()::text) FROM generate_series(1, 300000) g
  WHERE NOT EXISTS (SELECT 1 FROM big)" >/dev/null
mysql -uroot -e "CREATE DATABASE IF NOT EXISTS contract; CREATE TABLE IF NOT EXISTS contract.t (id int primary key, v text); INSERT IGNORE INTO contract.t VALUES (1, 'a');"

echo "databases.sh: PostgreSQL $ver on 127.0.0.1:5432 (postgres/postgres), MariaDB on 127.0.0.1:3306 (backup/backup)"
