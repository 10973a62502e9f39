-- V005: the read-only role `osa query` runs as: <database>_reader, NOLOGIN, USAGE on this schema and SELECT on
-- its tables (now and, through default privileges, every table this role creates later). The warehouse role
-- becomes a member so it can `SET LOCAL ROLE` to it; nothing else may. Creates and alters no table (the
-- catalogue's drift test compares migrations with the tables). A role is cluster-wide, hence the database in
-- its name. A warehouse role without CREATEROLE (nor superuser) cannot create it: the migration then only
-- says so, and an administrator runs, once: CREATE ROLE <database>_reader NOLOGIN; GRANT <database>_reader
-- TO <warehouse role>; followed by the GRANT statements below (`osa query` keeps its other safeguards).
DO $$
DECLARE
    reader text := current_database() || '_reader';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
            RAISE NOTICE 'role % not created: % may not create roles (see sql/postgres/V005__readonly_role.sql)',
                reader, current_user;
            RETURN;
        END IF;
        EXECUTE format('CREATE ROLE %I NOLOGIN', reader);
    END IF;
    IF NOT pg_has_role(current_user, reader, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', reader, current_user);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), reader);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), reader);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', current_schema(), reader);
END
$$;
