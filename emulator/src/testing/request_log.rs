//! The request log tests read: what each request did, never which key it carried. Query
//! strings have `api_key`/`map_key` values replaced by `REDACTED`, and any known token that
//! still appears anywhere in a logged string is scrubbed too.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

pub use carto_emulator::log_entry::Entry;

/// Entries kept in memory (the oldest are dropped past this).
const MAX_ENTRIES: usize = 10_000;

pub struct RequestLog {
    entries: Mutex<(u64, Vec<Entry>)>,
    file: Option<Mutex<File>>,
    /// Also print each completed entry to stderr (`--verbose`).
    echo: bool,
}

/// Replaces every occurrence of a known token (of reasonable length), and anything shaped
/// like a JWT (CARTO 3's tokens, e.g. in `DELETE /v3/tokens/{token}`), with REDACTED.
pub fn scrub(text: &str, tokens: &[String]) -> String {
    let mut out = redact_jwts(text);
    for t in tokens {
        if t.len() >= 6 && out.contains(t.as_str()) {
            out = out.replace(t.as_str(), "REDACTED");
        }
    }
    out
}

/// `eyJ…` followed by two more dot-separated base64url parts (the signature may be empty).
fn redact_jwts(text: &str) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("eyJ") {
        let (before, candidate) = rest.split_at(pos);
        out.push_str(before);
        let part = |s: &str| s.find(|c: char| !is_b64(c)).unwrap_or(s.len());
        let a = part(candidate);
        let jwt_len = candidate[a..].strip_prefix('.').and_then(|after_a| {
            let b = part(after_a);
            let after_b = after_a[b..].strip_prefix('.')?;
            (b > 0).then(|| a + 1 + b + 1 + part(after_b))
        });
        match jwt_len {
            Some(n) => {
                out.push_str("REDACTED");
                rest = &candidate[n..];
            }
            None => {
                out.push_str("eyJ");
                rest = &candidate[3..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl RequestLog {
    pub fn new(file: Option<&Path>, echo: bool) -> Result<RequestLog, String> {
        let file = match file {
            Some(p) => Some(Mutex::new(
                File::options()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("cannot open request log {}: {e}", p.display()))?,
            )),
            None => None,
        };
        Ok(RequestLog {
            entries: Mutex::new((0, Vec::new())),
            file,
            echo,
        })
    }

    /// Records a request when its response headers are known; returns its id.
    pub fn start(&self, mut entry: Entry) -> u64 {
        let mut guard = self.entries.lock().unwrap();
        guard.0 += 1;
        entry.id = guard.0;
        let id = entry.id;
        guard.1.push(entry);
        if guard.1.len() > MAX_ENTRIES {
            let excess = guard.1.len() - MAX_ENTRIES;
            guard.1.drain(..excess);
        }
        id
    }

    /// Records the final byte counts when the response body ended (or was aborted).
    pub fn complete(&self, id: u64, request_bytes: u64, response_bytes: u64) {
        let done = {
            let mut guard = self.entries.lock().unwrap();
            let Some(e) = guard.1.iter_mut().rev().find(|e| e.id == id) else {
                return;
            };
            e.request_bytes = request_bytes;
            e.response_bytes = response_bytes;
            e.complete = true;
            e.clone()
        };
        if self.file.is_none() && !self.echo {
            return;
        }
        let Ok(line) = serde_json::to_string(&done) else {
            return;
        };
        if let Some(f) = &self.file {
            let _ = writeln!(f.lock().unwrap(), "{line}");
        }
        if self.echo {
            eprintln!("{line}");
        }
    }

    pub fn snapshot(&self) -> Vec<Entry> {
        self.entries.lock().unwrap().1.clone()
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap().1.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            id: 0,
            ts: "t".into(),
            method: "GET".into(),
            path: "/p".into(),
            query: String::new(),
            user: None,
            key_transport: "none".into(),
            key_name: None,
            key_type: None,
            status: 200,
            request_bytes: 0,
            response_bytes: 0,
            complete: false,
            user_agent: None,
            fault: None,
            client_id: None,
            token_expired: false,
        }
    }

    #[test]
    fn entries_are_completed_in_place_and_written_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let log = RequestLog::new(Some(&path), false).unwrap();
        let a = log.start(entry());
        let b = log.start(entry());
        log.complete(a, 3, 10);
        let snap = log.snapshot();
        assert_eq!(snap.len(), 2);
        assert!(snap[0].complete && snap[0].response_bytes == 10);
        assert!(!snap[1].complete);
        assert_eq!(snap[1].id, b);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.contains("\"key_transport\":\"none\""));
        log.clear();
        assert!(log.snapshot().is_empty());
    }

    #[test]
    fn scrub_removes_anything_shaped_like_a_jwt() {
        assert_eq!(
            scrub(
                "/v3/tokens/eyJhbGciOiJIUzI1NiJ9.eyJhIjoiYWMifQ.c2ln?x=eyJ.a",
                &[]
            ),
            "/v3/tokens/REDACTED?x=eyJ.a"
        );
        assert_eq!(scrub("a eyJx.y. b eyJonly", &[]), "a REDACTED b eyJonly");
    }

    #[test]
    fn scrub_removes_known_tokens() {
        let tokens = vec!["secret_token_1".to_string(), "abc".to_string()];
        assert_eq!(
            scrub("/x/secret_token_1/y?abc", &tokens),
            "/x/REDACTED/y?abc"
        );
    }
}
