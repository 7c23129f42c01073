-- PostgreSQL roles for CNT Detox: migrations run as the OWNER, the app runs as the RUNTIME role.
--
-- Why: the audit table's append-only triggers (core migration 0003) can be switched off with
-- ALTER TABLE ... DISABLE TRIGGER, which only the table's owner (or a superuser) may do. If the
-- app ran as the owner, a compromised app could disable them and rewrite history. The runtime
-- role may only INSERT and SELECT audit rows, so neither triggers nor grants are in its reach.
--
-- Run as a superuser with psql, once per database (replace the passwords, or set them later
-- with \password):
--   psql -v ON_ERROR_STOP=1 -d cnt_detox -f deploy/postgres-roles.sql
-- Then: run `manage.py migrate` with DATABASE_URL=postgres://cnt_owner:...@host/cnt_detox, and
-- web, worker and beat with DATABASE_URL=postgres://cnt_app:...@host/cnt_detox.
-- Re-run the GRANTS block after a migration that adds audit tables (new ordinary tables get
-- their grants from the default privileges below).

-- ROLES:BEGIN
CREATE ROLE cnt_owner LOGIN PASSWORD 'change-me-owner';
CREATE ROLE cnt_app LOGIN PASSWORD 'change-me-app';
ALTER DATABASE cnt_detox OWNER TO cnt_owner;
ALTER SCHEMA public OWNER TO cnt_owner;
-- ROLES:END

-- GRANTS:BEGIN (idempotent; the test suite runs this block with other role names)
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO cnt_app;
-- Ordinary tables: the app reads and writes (clinical rows are never deleted by the app's
-- own rules, but sessions, tokens and lockout records are).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO cnt_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO cnt_app;
ALTER DEFAULT PRIVILEGES FOR ROLE cnt_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cnt_app;
ALTER DEFAULT PRIVILEGES FOR ROLE cnt_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO cnt_app;
-- Audit tables: insert and read only.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON core_auditevent FROM cnt_app;
GRANT SELECT, INSERT ON core_auditevent TO cnt_app;
-- The chain's links, written by the sealer (worker) as cnt_app: insert and read only as well.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON core_auditseal FROM cnt_app;
GRANT SELECT, INSERT ON core_auditseal TO cnt_app;
-- GRANTS:END
