//! The info file: everything a test (in any language) needs to talk to a running emulator,
//! written atomically once the server is ready.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::pg::accounts::Registry;

pub struct InfoInput<'a> {
    pub root_url: &'a str,
    pub port: u16,
    pub scheme: &'a str,
    pub admin_token: &'a str,
    pub ca_cert: Option<&'a Path>,
    pub data_dir: &'a Path,
    pub request_log: Option<&'a Path>,
    pub pg_bin_dir: &'a Path,
    pub pg_major: u32,
    pub socket_dir: &'a Path,
    pub statement_timeout_ms: u64,
    /// The CARTO 3 section (with `--carto3`).
    pub carto3: Option<Value>,
}

pub fn document(input: &InfoInput<'_>, registry: &Registry) -> Value {
    let mut accounts = Map::new();
    for (name, user) in &registry.users {
        let keys: Vec<Value> = user
            .keys
            .iter()
            .map(|k| json!({"name": k.name, "type": k.key_type.as_str(), "token": k.token}))
            .collect();
        accounts.insert(
            name.clone(),
            json!({
                "base_url": format!("{}/user/{name}", input.root_url),
                "host_base_url": format!("{}://{name}.localhost:{}", input.scheme, input.port),
                "user_id": user.id,
                "schema": user.schema,
                "keys": keys,
            }),
        );
    }
    json!({
        "root_url": input.root_url,
        "admin_token": input.admin_token,
        "ca_cert": input.ca_cert.map(|p| p.display().to_string()),
        "data_dir": input.data_dir.display().to_string(),
        "request_log": input.request_log.map(|p| p.display().to_string()),
        "pid": std::process::id(),
        "statement_timeout_ms": input.statement_timeout_ms,
        "postgres": {
            "bin_dir": input.pg_bin_dir.display().to_string(),
            "major_version": input.pg_major,
            "socket_dir": input.socket_dir.display().to_string(),
        },
        "accounts": Value::Object(accounts),
        "carto3": input.carto3,
    })
}

/// Writes through a temporary file and a rename, so readers never see half a file.
pub fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("info"),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("info.json");
        write_atomically(&p, b"{}", 0o600).unwrap();
        write_atomically(&p, b"{\"a\":1}", 0o600).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "{\"a\":1}");
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
