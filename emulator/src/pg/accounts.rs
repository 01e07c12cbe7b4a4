//! Accounts: the JSON definition (`--accounts FILE`), the built-in `demo` account, and the
//! runtime registry of users and API keys that the Auth API changes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::pg::carto3::Carto3Def;

/// The permissions CARTO lets a regular key have on a table.
pub const TABLE_PERMISSIONS: [&str; 4] = ["insert", "select", "update", "delete"];
/// The fixed token of every user's "Default public" key.
pub const DEFAULT_PUBLIC_TOKEN: &str = "default_public";
pub const MASTER_KEY_NAME: &str = "Master";
pub const DEFAULT_KEY_NAME: &str = "Default public";

/// The built-in account, used when no `--accounts` file is given.
pub const DEFAULT_ACCOUNTS_JSON: &str = r#"{
  "users": [
    {
      "username": "demo",
      "id": "5b6c2c1e-6a8e-4a8e-9d3c-2f1e0a7b9c01",
      "email": "demo@example.com",
      "keys": [
        { "name": "Master", "type": "master", "token": "demo_master_key" },
        { "name": "Default public", "type": "default", "token": "default_public" },
        {
          "name": "demo_regular", "type": "regular", "token": "demo_regular_key",
          "apis": ["sql", "maps"],
          "grants": [
            { "table": "points_public", "permissions": ["select"] },
            { "table": "points_writable", "permissions": ["select", "insert", "update", "delete"] }
          ]
        }
      ],
      "tables": [
        {
          "name": "points_public", "public": true,
          "columns": "name text, score double precision, visits integer, active boolean, observed_at timestamptz",
          "seed": "INSERT INTO points_public (name, score, visits, active, observed_at, the_geom) VALUES ('Madrid', 3.5, 10, true, '2015-04-24 12:34:56.123+00', ST_SetSRID(ST_MakePoint(-3.7038, 40.4168), 4326)), ('Paris', 4.25, 20, false, '2016-01-02 03:04:05+00', ST_SetSRID(ST_MakePoint(2.3522, 48.8566), 4326)), ('Berlin', -1.5, 30, true, NULL, ST_SetSRID(ST_MakePoint(13.405, 52.52), 4326))"
        },
        {
          "name": "points_private", "public": false,
          "columns": "name text, score double precision, visits integer, active boolean, observed_at timestamptz",
          "seed": "INSERT INTO points_private (name, score, visits, active, observed_at, the_geom) VALUES ('Secret A', 1.0, 1, true, '2020-06-01 00:00:00+00', ST_SetSRID(ST_MakePoint(-0.1276, 51.5072), 4326)), ('Secret B', 2.0, 2, false, '2020-06-02 00:00:00+00', ST_SetSRID(ST_MakePoint(12.4964, 41.9028), 4326))"
        },
        {
          "name": "points_writable", "public": false,
          "columns": "name text, score double precision, visits integer, active boolean, observed_at timestamptz",
          "seed": "INSERT INTO points_writable (name, score, visits, active, observed_at, the_geom) VALUES ('Start', 0.5, 0, true, '2021-01-01 00:00:00+00', ST_SetSRID(ST_MakePoint(-9.1393, 38.7223), 4326))"
        }
      ]
    }
  ]
}"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Master,
    Default,
    Regular,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Master => "master",
            KeyType::Default => "default",
            KeyType::Regular => "regular",
        }
    }
    pub fn parse(s: &str) -> Option<KeyType> {
        match s {
            "master" => Some(KeyType::Master),
            "default" => Some(KeyType::Default),
            "regular" => Some(KeyType::Regular),
            _ => None,
        }
    }
    /// CARTO lists keys master first, then default, then regular.
    fn rank(self) -> u8 {
        match self {
            KeyType::Master => 0,
            KeyType::Default => 1,
            KeyType::Regular => 2,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---- the accounts file ----

/// A key's rate limit (enforced by `testing::rate_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per period (also the burst size).
    pub limit: u32,
    /// The period in seconds.
    #[serde(default = "one")]
    pub period_s: u32,
}

fn one() -> u32 {
    1
}

impl RateLimit {
    pub fn validate(&self) -> Result<(), String> {
        if self.limit == 0 || self.period_s == 0 {
            return Err("rate_limit needs limit >= 1 and period_s >= 1".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    pub users: Vec<UserDef>,
    /// CARTO 3's accounts, applications and connections (used with `--carto3`).
    #[serde(default)]
    pub carto3: Option<Carto3Def>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDef {
    pub username: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub keys: Vec<KeyDef>,
    #[serde(default)]
    pub tables: Vec<TableDef>,
    /// Run as the user's master role after the tables are created.
    #[serde(default)]
    pub seed_sql: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDef {
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub apis: Option<Vec<String>>,
    #[serde(default)]
    pub grants: Vec<TableGrantDef>,
    #[serde(default)]
    pub schemas: Vec<SchemaGrant>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableGrantDef {
    pub table: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SchemaGrant {
    pub name: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    pub name: String,
    #[serde(default)]
    pub public: bool,
    /// Column definitions; when present the table is created and CARTOfied (cartodb_id,
    /// the_geom, the_geom_webmercator are added). Without it the table must come from seed_sql.
    #[serde(default)]
    pub columns: Option<String>,
    #[serde(default)]
    pub seed: Option<String>,
}

impl AccountsFile {
    pub fn parse(text: &str) -> Result<AccountsFile, String> {
        let file: AccountsFile =
            serde_json::from_str(text).map_err(|e| format!("accounts file: {e}"))?;
        file.validate()?;
        Ok(file)
    }

    /// The CARTO 3 section, or the one derived from the first user when there is none.
    pub fn carto3_or_derived(&self) -> Carto3Def {
        self.carto3.clone().unwrap_or_else(|| {
            let u = &self.users[0];
            Carto3Def::derived(&u.username, u.email.as_deref())
        })
    }

    pub fn builtin() -> AccountsFile {
        AccountsFile::parse(DEFAULT_ACCOUNTS_JSON).expect("built-in accounts are valid")
    }

    fn validate(&self) -> Result<(), String> {
        if self.users.is_empty() {
            return Err("accounts file: \"users\" is empty".into());
        }
        let mut seen = std::collections::HashSet::new();
        for u in &self.users {
            validate_username(&u.username)?;
            if !seen.insert(u.username.clone()) {
                return Err(format!(
                    "accounts file: user {:?} is defined twice",
                    u.username
                ));
            }
            let mut names = std::collections::HashSet::new();
            let mut tokens = std::collections::HashSet::new();
            let mut masters = 0;
            for k in &u.keys {
                if k.name.trim().is_empty() {
                    return Err(format!("user {}: a key has an empty name", u.username));
                }
                if !names.insert(k.name.clone()) {
                    return Err(format!(
                        "user {}: key name {:?} used twice",
                        u.username, k.name
                    ));
                }
                if let Some(t) = &k.token {
                    if t.is_empty() || t.contains(char::is_whitespace) {
                        return Err(format!(
                            "user {}: key {:?} has an empty token or one with spaces",
                            u.username, k.name
                        ));
                    }
                    if !tokens.insert(t.clone()) {
                        return Err(format!("user {}: a token is used twice", u.username));
                    }
                }
                match k.key_type {
                    KeyType::Master => masters += 1,
                    KeyType::Default => {
                        if k.token
                            .as_deref()
                            .is_some_and(|t| t != DEFAULT_PUBLIC_TOKEN)
                        {
                            return Err(format!(
                                "user {}: the default key's token is always {DEFAULT_PUBLIC_TOKEN}",
                                u.username
                            ));
                        }
                    }
                    KeyType::Regular => {
                        for g in &k.grants {
                            for p in &g.permissions {
                                if !TABLE_PERMISSIONS.contains(&p.as_str()) {
                                    return Err(format!(
                                        "user {}: key {:?}: permission {p:?} is not one of {}",
                                        u.username,
                                        k.name,
                                        TABLE_PERMISSIONS.join(", ")
                                    ));
                                }
                            }
                        }
                    }
                }
                if let Some(rl) = &k.rate_limit {
                    rl.validate()
                        .map_err(|e| format!("user {}: key {:?}: {e}", u.username, k.name))?;
                }
            }
            if masters > 1 {
                return Err(format!("user {}: more than one master key", u.username));
            }
            for t in &u.tables {
                if t.name.is_empty() {
                    return Err(format!("user {}: a table has an empty name", u.username));
                }
            }
        }
        if let Some(c) = &self.carto3 {
            let names: Vec<&str> = self.users.iter().map(|u| u.username.as_str()).collect();
            c.validate(&names)?;
        }
        Ok(())
    }
}

pub fn validate_username(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    let reserved = name.starts_with("pg_")
        || [
            "public",
            "postgres",
            "information_schema",
            "topology",
            "carto_emulator",
        ]
        .contains(&name);
    if ok && !reserved {
        Ok(())
    } else if reserved {
        Err(format!("invalid username {name:?}: it is reserved"))
    } else {
        Err(format!(
            "invalid username {name:?}: use 1-40 characters a-z, 0-9, '-' or '_', starting with a letter"
        ))
    }
}

// ---- the runtime registry ----

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TableGrant {
    pub schema: String,
    pub name: String,
    pub owner: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub name: String,
    pub key_type: KeyType,
    pub token: String,
    /// The PostgreSQL LOGIN role this key's requests run as.
    pub role: String,
    pub apis: Vec<String>,
    pub tables: Vec<TableGrant>,
    pub schemas: Vec<SchemaGrant>,
    pub services: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ApiKey {
    pub fn has_api(&self, api: &str) -> bool {
        self.key_type == KeyType::Master || self.apis.iter().any(|a| a == api)
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub username: String,
    pub id: String,
    pub email: String,
    pub schema: String,
    pub keys: Vec<ApiKey>,
}

impl User {
    pub fn master_role(&self) -> String {
        master_role(&self.username)
    }
    pub fn key_by_token(&self, token: &str) -> Option<&ApiKey> {
        self.keys.iter().find(|k| k.token == token)
    }
    pub fn key_by_name(&self, name: &str) -> Option<&ApiKey> {
        self.keys.iter().find(|k| k.name == name)
    }
    pub fn default_key(&self) -> &ApiKey {
        self.keys
            .iter()
            .find(|k| k.key_type == KeyType::Default)
            .expect("every user has a default key")
    }
    pub fn sort_keys(&mut self) {
        self.keys.sort_by_key(|k| (k.key_type.rank(), k.created_at));
    }
}

pub fn master_role(username: &str) -> String {
    format!("cartodb_user_{username}")
}

pub fn public_role(username: &str) -> String {
    format!("cartodb_publicuser_{username}")
}

/// Regular keys get a stable role name derived from user and key name (FNV-1a, 64 bit), so
/// error messages that mention it are the same on every run.
pub fn regular_role(username: &str, key_name: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in username.bytes().chain([0u8]).chain(key_name.bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("carto_role_{hash:016x}")
}

/// Role name prefixes the emulator owns; everything with them is dropped on reset.
pub const ROLE_PREFIXES: [&str; 3] = ["cartodb_user_", "cartodb_publicuser_", "carto_role_"];

/// The users and keys the server answers for, as defined at start and changed by the Auth API.
#[derive(Debug, Default)]
pub struct Registry {
    pub users: BTreeMap<String, User>,
}

impl Registry {
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }
    pub fn user_mut(&mut self, name: &str) -> Option<&mut User> {
        self.users.get_mut(name)
    }
    /// Every token of every key (to scrub them from anything logged).
    pub fn all_tokens(&self) -> Vec<String> {
        self.users
            .values()
            .flat_map(|u| u.keys.iter().map(|k| k.token.clone()))
            .collect()
    }
}

/// A random URL-safe token like the ones CARTO generates (22 characters).
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("OS random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A random version 4 UUID.
pub fn random_uuid() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("OS random source");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Quotes an SQL identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_accounts_parse_and_have_the_documented_keys() {
        let f = AccountsFile::builtin();
        let demo = &f.users[0];
        assert_eq!(demo.username, "demo");
        let tokens: Vec<_> = demo.keys.iter().filter_map(|k| k.token.clone()).collect();
        assert_eq!(
            tokens,
            ["demo_master_key", "default_public", "demo_regular_key"]
        );
        assert_eq!(demo.tables.len(), 3);
        assert!(demo.tables[0].public && !demo.tables[1].public);
    }

    #[test]
    fn invalid_definitions_are_rejected_with_a_reason() {
        let bad_perm = r#"{"users":[{"username":"a","keys":[{"name":"k","type":"regular",
            "grants":[{"table":"t","permissions":["drop"]}]}]}]}"#;
        assert!(AccountsFile::parse(bad_perm).unwrap_err().contains("drop"));
        let bad_user = r#"{"users":[{"username":"127"}]}"#;
        assert!(AccountsFile::parse(bad_user)
            .unwrap_err()
            .contains("invalid username"));
        let bad_default =
            r#"{"users":[{"username":"a","keys":[{"name":"d","type":"default","token":"x"}]}]}"#;
        assert!(AccountsFile::parse(bad_default)
            .unwrap_err()
            .contains("default_public"));
        let unknown_field = r#"{"users":[{"username":"a","bogus":1}]}"#;
        assert!(AccountsFile::parse(unknown_field).is_err());
    }

    #[test]
    fn regular_roles_are_stable_and_distinct() {
        assert_eq!(regular_role("demo", "k"), regular_role("demo", "k"));
        assert_ne!(regular_role("demo", "k"), regular_role("demo", "k2"));
        assert_ne!(regular_role("demo", "k"), regular_role("demok", ""));
        assert!(regular_role("a", "b").len() <= 63);
    }

    #[test]
    fn uuids_and_tokens_have_the_expected_shape() {
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(random_token().len(), 22);
        assert_ne!(random_token(), random_token());
    }
}
