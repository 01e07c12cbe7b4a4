//! Turning an accounts definition into real PostgreSQL objects: CARTO's helper functions, one
//! schema per user, one LOGIN role per key with exactly CARTO's grants. Runs on every start
//! (after dropping everything a previous run made), so each run begins from the same state.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use crate::pg::accounts::{
    self, quote_ident, quote_literal, AccountsFile, ApiKey, KeyType, Registry, SchemaGrant,
    TableGrant, User, DEFAULT_KEY_NAME, DEFAULT_PUBLIC_TOKEN, MASTER_KEY_NAME, TABLE_PERMISSIONS,
};
use crate::pg::db::Pool;

/// Run once through psql when the template cluster is built.
/// The `postgres` database is dropped (nothing uses it afterwards) and a checkpoint recycles
/// the WAL, so the template that every instance copies stays small.
pub const TEMPLATE_SETUP_SQL: &str = "
CREATE DATABASE carto;
\\connect carto
CREATE EXTENSION postgis;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DROP DATABASE postgres;
CHECKPOINT;
";

/// CARTO's SQL helpers that clients call (GDAL lists tables with CDB_UserTables and creates
/// layers with cdb_cartodbfytable). Re-created on every start.
const HELPERS_SQL: &str = r#"
CREATE OR REPLACE FUNCTION public.CDB_UserTables(perm text DEFAULT 'all')
RETURNS SETOF text LANGUAGE sql STABLE AS $fn$
  WITH pub AS (
    SELECT (SELECT rolname FROM pg_catalog.pg_roles
             WHERE rolname = 'cartodb_publicuser_' || current_schema()) AS role
  )
  SELECT c.relname::text
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, pub
  WHERE c.relkind IN ('r', 'p')
    AND n.nspname = current_schema()
    AND CASE perm
      WHEN 'public' THEN COALESCE(has_table_privilege(pub.role, c.oid, 'SELECT'), false)
      WHEN 'private' THEN has_table_privilege(current_user, c.oid, 'SELECT')
                          AND NOT COALESCE(has_table_privilege(pub.role, c.oid, 'SELECT'), false)
      WHEN 'all' THEN has_table_privilege(current_user, c.oid, 'SELECT')
                      OR COALESCE(has_table_privilege(pub.role, c.oid, 'SELECT'), false)
      ELSE false
    END
  ORDER BY 1
$fn$;
GRANT EXECUTE ON FUNCTION public.CDB_UserTables(text) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.CDB_LatLng(lat float8, lng float8)
RETURNS geometry LANGUAGE sql IMMUTABLE AS $fn$
  SELECT ST_SetSRID(ST_MakePoint(lng, lat), 4326)
$fn$;

CREATE OR REPLACE FUNCTION public.CDB_TransformToWebmercator(geom geometry)
RETURNS geometry LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN geom IS NULL THEN NULL
    ELSE ST_Transform(
      ST_ClipByBox2D(ST_SetSRID(geom, 4326), ST_MakeEnvelope(-180, -85.06, 180, 85.06, 4326)),
      3857)
  END
$fn$;

CREATE OR REPLACE FUNCTION public._cdb_update_the_geom_webmercator()
RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.the_geom_webmercator := public.CDB_TransformToWebmercator(NEW.the_geom);
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION public.CDB_CartodbfyTable(destschema text, reloid regclass)
RETURNS regclass LANGUAGE plpgsql AS $fn$
DECLARE
  has_pk boolean;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = reloid AND attname = 'cartodb_id' AND NOT attisdropped) THEN
    EXECUTE format('ALTER TABLE %s ADD COLUMN cartodb_id bigserial', reloid);
  END IF;
  SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = reloid AND contype = 'p')
    INTO has_pk;
  IF NOT has_pk THEN
    EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (cartodb_id)', reloid);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = reloid AND attname = 'the_geom' AND NOT attisdropped) THEN
    EXECUTE format('ALTER TABLE %s ADD COLUMN the_geom geometry(Geometry,4326)', reloid);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = reloid AND attname = 'the_geom_webmercator'
                   AND NOT attisdropped) THEN
    EXECUTE format('ALTER TABLE %s ADD COLUMN the_geom_webmercator geometry(Geometry,3857)',
                   reloid);
  END IF;
  EXECUTE format('CREATE OR REPLACE TRIGGER cdb_webmercator BEFORE INSERT OR UPDATE ON %s '
                 'FOR EACH ROW EXECUTE FUNCTION public._cdb_update_the_geom_webmercator()',
                 reloid);
  EXECUTE format('UPDATE %s SET the_geom_webmercator = public.CDB_TransformToWebmercator(the_geom)',
                 reloid);
  RETURN reloid;
END
$fn$;

CREATE OR REPLACE FUNCTION public.CDB_CartodbfyTable(reloid regclass)
RETURNS regclass LANGUAGE sql AS $fn$
  SELECT public.CDB_CartodbfyTable(current_schema()::text, reloid)
$fn$;
"#;

/// The readable message of a PostgreSQL error (without the driver's "db error:" prefix).
pub fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

async fn exec(client: &Client, sql: &str) -> Result<(), String> {
    client.batch_execute(sql).await.map_err(|e| pg_message(&e))
}

/// Drops every schema, role and object a previous run created.
async fn reset(su: &Client) -> Result<(), String> {
    let patterns: Vec<String> = accounts::ROLE_PREFIXES
        .iter()
        .map(|p| format!("'{}%'", p.replace('_', "\\_")))
        .collect();
    let sql = format!(
        r#"
DO $$
DECLARE r record;
BEGIN
  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE usename LIKE ANY (ARRAY[{pats}]) AND pid <> pg_backend_pid();
  FOR r IN SELECT n.nspname FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner
           WHERE o.rolname LIKE ANY (ARRAY[{pats}]) LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE ANY (ARRAY[{pats}]) LOOP
    EXECUTE format('DROP OWNED BY %I CASCADE', r.rolname);
    EXECUTE format('DROP ROLE %I', r.rolname);
  END LOOP;
END $$;
"#,
        pats = patterns.join(", ")
    );
    exec(su, &sql).await
}

/// Builds the registry and the database objects for `file`, replacing whatever was there.
pub async fn provision(pool: &Pool, su: &Client, file: &AccountsFile) -> Result<Registry, String> {
    exec(su, HELPERS_SQL)
        .await
        .map_err(|e| format!("installing CARTO helper functions: {e}"))?;
    reset(su)
        .await
        .map_err(|e| format!("resetting accounts: {e}"))?;
    let mut users = BTreeMap::new();
    for def in &file.users {
        let user = provision_user(pool, su, def)
            .await
            .map_err(|e| format!("user {}: {e}", def.username))?;
        users.insert(user.username.clone(), user);
    }
    Ok(Registry { users })
}

async fn provision_user(pool: &Pool, su: &Client, def: &accounts::UserDef) -> Result<User, String> {
    let name = &def.username;
    let schema = name.clone();
    let master = accounts::master_role(name);
    let public = accounts::public_role(name);
    let now = chrono::Utc::now();
    exec(
        su,
        &format!(
            "CREATE ROLE {m} LOGIN; CREATE ROLE {p} LOGIN;
             CREATE SCHEMA {s} AUTHORIZATION {m};
             GRANT USAGE ON SCHEMA {s} TO {p};
             ALTER ROLE {m} SET search_path = {s}, public;
             ALTER ROLE {p} SET search_path = {s}, public;",
            m = quote_ident(&master),
            p = quote_ident(&public),
            s = quote_ident(&schema)
        ),
    )
    .await?;

    // Tables are created by the master role itself, so it owns them as on CARTO.
    let owner = pool
        .connect(&master)
        .await
        .map_err(|e| format!("connecting as the master role: {}", pg_message(&e)))?;
    for t in &def.tables {
        let qualified = format!("{}.{}", quote_ident(&schema), quote_ident(&t.name));
        if let Some(cols) = &t.columns {
            let extra = if cols.trim().is_empty() {
                String::new()
            } else {
                format!(", {cols}")
            };
            exec(
                &owner.client,
                &format!(
                    "CREATE TABLE {qualified} (cartodb_id bigserial PRIMARY KEY, \
                     the_geom geometry(Geometry,4326), \
                     the_geom_webmercator geometry(Geometry,3857){extra});
                     SELECT public.CDB_CartodbfyTable({}, {}::regclass);",
                    quote_literal(&schema),
                    quote_literal(&qualified)
                ),
            )
            .await
            .map_err(|e| format!("table {}: {e}", t.name))?;
        }
        if let Some(seed) = &t.seed {
            exec(&owner.client, seed)
                .await
                .map_err(|e| format!("seed of table {}: {e}", t.name))?;
        }
    }
    for (i, sql) in def.seed_sql.iter().enumerate() {
        exec(&owner.client, sql)
            .await
            .map_err(|e| format!("seed_sql[{i}]: {e}"))?;
    }
    drop(owner);

    for t in def.tables.iter().filter(|t| t.public) {
        exec(
            su,
            &format!(
                "GRANT SELECT ON TABLE {}.{} TO {}",
                quote_ident(&schema),
                quote_ident(&t.name),
                quote_ident(&public)
            ),
        )
        .await
        .map_err(|e| format!("making table {} public: {e}", t.name))?;
    }

    let mut user = User {
        username: name.clone(),
        id: def.id.clone().unwrap_or_else(accounts::random_uuid),
        email: def
            .email
            .clone()
            .unwrap_or_else(|| format!("{name}@example.com")),
        schema: schema.clone(),
        keys: Vec::new(),
    };
    let master_def = def.keys.iter().find(|k| k.key_type == KeyType::Master);
    user.keys.push(ApiKey {
        name: master_def
            .map(|k| k.name.clone())
            .unwrap_or_else(|| MASTER_KEY_NAME.to_string()),
        key_type: KeyType::Master,
        token: master_def
            .and_then(|k| k.token.clone())
            .unwrap_or_else(|| format!("{name}_master_key")),
        role: master.clone(),
        apis: vec!["sql".into(), "maps".into()],
        tables: vec![],
        schemas: vec![],
        services: vec![
            "geocoding".into(),
            "routing".into(),
            "isolines".into(),
            "observatory".into(),
        ],
        created_at: now,
        updated_at: now,
    });
    let default_def = def.keys.iter().find(|k| k.key_type == KeyType::Default);
    user.keys.push(ApiKey {
        name: default_def
            .map(|k| k.name.clone())
            .unwrap_or_else(|| DEFAULT_KEY_NAME.to_string()),
        key_type: KeyType::Default,
        token: DEFAULT_PUBLIC_TOKEN.to_string(),
        role: public.clone(),
        apis: vec!["sql".into(), "maps".into()],
        tables: vec![],
        schemas: vec![],
        services: vec![],
        created_at: now,
        updated_at: now,
    });
    for k in def.keys.iter().filter(|k| k.key_type == KeyType::Regular) {
        let tables = k
            .grants
            .iter()
            .map(|g| TableGrant {
                schema: schema.clone(),
                name: g.table.clone(),
                owner: master.clone(),
                permissions: g.permissions.clone(),
            })
            .collect();
        let key = ApiKey {
            name: k.name.clone(),
            key_type: KeyType::Regular,
            token: k.token.clone().unwrap_or_else(accounts::random_token),
            role: accounts::regular_role(name, &k.name),
            apis: k
                .apis
                .clone()
                .unwrap_or_else(|| vec!["sql".into(), "maps".into()]),
            tables,
            schemas: k.schemas.clone(),
            services: k.services.clone(),
            created_at: now,
            updated_at: now,
        };
        create_key_role(su, &user, &key)
            .await
            .map_err(|e| format!("key {:?}: {e}", k.name))?;
        user.keys.push(key);
    }
    Ok(user)
}

/// Orders a key's table permissions as CARTO lists them and removes duplicates.
pub fn normalize_permissions(perms: &[String]) -> Vec<String> {
    TABLE_PERMISSIONS
        .iter()
        .filter(|p| perms.iter().any(|q| q == *p))
        .map(|p| p.to_string())
        .collect()
}

/// Creates the LOGIN role of a regular key with exactly its grants.
pub async fn create_key_role(su: &Client, user: &User, key: &ApiKey) -> Result<(), String> {
    let role = quote_ident(&key.role);
    let schema = quote_ident(&user.schema);
    let mut sql = format!(
        "CREATE ROLE {role} LOGIN;
         ALTER ROLE {role} SET search_path = {schema}, public;
         GRANT USAGE ON SCHEMA {schema} TO {role};\n"
    );
    for t in &key.tables {
        let qualified = format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.name));
        let exists: Option<String> = su
            .query_one("SELECT to_regclass($1)::text", &[&qualified])
            .await
            .map_err(|e| pg_message(&e))?
            .get(0);
        if exists.is_none() {
            return Err(format!("table {}.{} does not exist", t.schema, t.name));
        }
        let perms = normalize_permissions(&t.permissions);
        if perms.is_empty() {
            continue;
        }
        sql.push_str(&format!(
            "GRANT {} ON TABLE {qualified} TO {role};\n",
            perms.join(", ").to_uppercase()
        ));
        if perms.iter().any(|p| p == "insert") {
            // Inserting needs the cartodb_id sequence (and any other owned sequence).
            let seqs = su
                .query(
                    "SELECT s.oid::regclass::text FROM pg_class s
                     JOIN pg_depend d ON d.objid = s.oid
                      AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                     WHERE s.relkind = 'S' AND d.refobjid = $1::text::regclass",
                    &[&qualified],
                )
                .await
                .map_err(|e| pg_message(&e))?;
            for row in seqs {
                let seq: String = row.get(0);
                sql.push_str(&format!(
                    "GRANT USAGE, SELECT ON SEQUENCE {seq} TO {role};\n"
                ));
            }
        }
    }
    for s in &key.schemas {
        if s.permissions.iter().any(|p| p == "create") {
            sql.push_str(&format!(
                "GRANT CREATE ON SCHEMA {} TO {role};\n",
                quote_ident(&s.name)
            ));
        }
    }
    exec(su, &sql).await
}

/// Drops a key's role and everything granted to it.
pub async fn drop_key_role(su: &Client, role: &str) -> Result<(), String> {
    let r = quote_ident(role);
    exec(
        su,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = {};
             DROP OWNED BY {r} CASCADE; DROP ROLE {r};",
            quote_literal(role)
        ),
    )
    .await
}

/// Validates a schema grant from the Auth API.
pub fn validate_schema_grant(g: &SchemaGrant) -> Result<(), String> {
    for p in &g.permissions {
        if p != "create" {
            return Err(format!(
                "Validation failed: Grants schema permission \"{p}\" did not match one of the following values: create"
            ));
        }
    }
    Ok(())
}
