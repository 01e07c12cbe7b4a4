//! The Batch SQL API's jobs and their store: CARTO's job states and allowed transitions, and
//! a job's JSON. The handlers and the per-user workers are in `batch.rs`; CARTO 3's SQL jobs
//! (`api/carto3/jobs.rs`) are single-query jobs of the same store and workers.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use tokio_postgres::{CancelToken, NoTls};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Running,
    Done,
    Failed,
    Cancelled,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Skipped => "skipped",
        }
    }

    /// CARTO's allowed transitions (job-status.js).
    pub fn can_become(self, next: Status) -> bool {
        match self {
            Status::Pending => {
                matches!(next, Status::Running | Status::Cancelled | Status::Skipped)
            }
            Status::Running => matches!(
                next,
                Status::Done | Status::Failed | Status::Cancelled | Status::Pending
            ),
            _ => false,
        }
    }
}

/// A query's or a job's fallback hooks: SQL CARTO runs after success or failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Hooks {
    pub(crate) onsuccess: Option<String>,
    pub(crate) onerror: Option<String>,
}

impl Hooks {
    pub(crate) fn of(o: &Map<String, Value>) -> Hooks {
        let text = |k: &str| o.get(k).and_then(Value::as_str).map(String::from);
        Hooks {
            onsuccess: text("onsuccess"),
            onerror: text("onerror"),
        }
    }

    fn write(&self, o: &mut Map<String, Value>) {
        if let Some(s) = &self.onsuccess {
            o.insert("onsuccess".into(), json!(s));
        }
        if let Some(s) = &self.onerror {
            o.insert("onerror".into(), json!(s));
        }
    }

    /// CARTO's template variables in hook SQL.
    pub(crate) fn sql(template: &str, job_id: &str, error: &str) -> String {
        template
            .replace("<%= job_id %>", job_id)
            .replace("<%= error_message %>", &error.replace('\'', "''"))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct QueryItem {
    pub(crate) query: String,
    pub(crate) status: Status,
    pub(crate) failed_reason: Option<String>,
    pub(crate) hooks: Hooks,
}

#[derive(Clone)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) user: String,
    pub(crate) role: String,
    /// A job created with a single string keeps `query` a string in its JSON.
    pub(crate) single: bool,
    pub(crate) queries: Vec<QueryItem>,
    pub(crate) status: Status,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) failed_reason: Option<String>,
    pub(crate) cancel: Option<CancelToken>,
    /// CARTO's "fallback" jobs (`{"query": {"query": [..], "onsuccess": .., "onerror": ..}}`).
    pub(crate) fallback: Option<Hooks>,
    /// CARTO 3 jobs: the account and connection they belong to (`None` for the Batch API's).
    pub(crate) carto3: Option<Carto3Job>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Carto3Job {
    pub(crate) account: String,
    pub(crate) connection: String,
}

pub(crate) fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Job {
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("job_id".into(), json!(self.id));
        m.insert("user".into(), json!(self.user));
        let query = if self.single {
            json!(self.queries[0].query)
        } else if let Some(hooks) = &self.fallback {
            let mut o = Map::new();
            let items = self
                .queries
                .iter()
                .map(|q| {
                    let mut i = Map::new();
                    i.insert("query".into(), json!(q.query));
                    q.hooks.write(&mut i);
                    i.insert("status".into(), json!(q.status.as_str()));
                    if let Some(r) = &q.failed_reason {
                        i.insert("failed_reason".into(), json!(r));
                    }
                    Value::Object(i)
                })
                .collect();
            o.insert("query".into(), Value::Array(items));
            hooks.write(&mut o);
            Value::Object(o)
        } else {
            Value::Array(
                self.queries
                    .iter()
                    .map(|q| {
                        let mut o = Map::new();
                        o.insert("query".into(), json!(q.query));
                        o.insert("status".into(), json!(q.status.as_str()));
                        if let Some(r) = &q.failed_reason {
                            o.insert("failed_reason".into(), json!(r));
                        }
                        Value::Object(o)
                    })
                    .collect(),
            )
        };
        m.insert("query".into(), query);
        m.insert("status".into(), json!(self.status.as_str()));
        m.insert("created_at".into(), json!(self.created_at));
        m.insert("updated_at".into(), json!(self.updated_at));
        if let Some(r) = &self.failed_reason {
            m.insert("failed_reason".into(), json!(r));
        }
        Value::Object(m)
    }

    pub(crate) fn set_status(&mut self, s: Status) {
        self.status = s;
        self.updated_at = now();
    }
}

#[derive(Default)]
pub struct Jobs {
    pub(crate) jobs: Mutex<HashMap<String, Job>>,
    pub(crate) queues: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
}

impl Jobs {
    /// Cancels everything still running (at shutdown).
    pub fn cancel_all(&self) {
        for job in self.jobs.lock().unwrap().values_mut() {
            if let Some(t) = job.cancel.take() {
                tokio::spawn(async move {
                    let _ = t.cancel_query(NoTls).await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_carto() {
        assert!(Status::Pending.can_become(Status::Cancelled));
        assert!(Status::Running.can_become(Status::Cancelled));
        assert!(!Status::Done.can_become(Status::Cancelled));
        assert!(!Status::Failed.can_become(Status::Cancelled));
        assert!(!Status::Cancelled.can_become(Status::Cancelled));
    }

    #[test]
    fn job_json_has_cartos_keys_in_order() {
        let j = Job {
            id: "i".into(),
            user: "demo".into(),
            role: "r".into(),
            single: true,
            queries: vec![QueryItem {
                query: "select 1".into(),
                status: Status::Pending,
                failed_reason: None,
                hooks: Hooks::default(),
            }],
            status: Status::Pending,
            created_at: "c".into(),
            updated_at: "u".into(),
            failed_reason: None,
            cancel: None,
            fallback: None,
            carto3: None,
        };
        let keys: Vec<String> = j.to_json().as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "job_id",
                "user",
                "query",
                "status",
                "created_at",
                "updated_at"
            ]
        );
    }
}
