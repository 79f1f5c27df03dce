-- Roles and database for Regie. Run by init.sh as the superuser, with the psql variables
-- owner_password and app_password. Why two roles: see deploy/README.md.

-- Owns the database, the schema and every table; `regie migrate` connects as it.
CREATE ROLE regie_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';

-- The application. It owns nothing and cannot bypass row-level security, so the tenant
-- policies always apply to it; migrations grant it DML table by table.
CREATE ROLE regie_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';

CREATE DATABASE regie OWNER regie_owner;

-- PUBLIC may connect to every new database by default; here only the two roles may.
REVOKE ALL ON DATABASE regie FROM PUBLIC;
GRANT CONNECT ON DATABASE regie TO regie_app;

\connect regie
-- In PostgreSQL 15 the public schema belongs to the database owner (regie_owner), who
-- alone may create in it. The app may only look up objects there.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO regie_app;
