//! Data Observatory credentials (`api/v4/do/token`): a Google Cloud access token and the
//! BigQuery/GCS places CARTO's Data Observatory data lives in, as CARTOframes'
//! `get_gcloud_credentials()` and `is_instant_licensing_active()` read them.
//!
//! The master key, or a key granted the `do` API, may ask; other keys get 403.

use super::request::Request;
use super::Client;
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;
use std::fmt;
use zeroize::Zeroizing;

/// The answer of `api/v4/do/token`. `Debug` never shows the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct DoCredentials {
    access_token: Zeroizing<String>,
    /// The public BigQuery project of DO data.
    pub bq_public_project: Option<String>,
    /// The project queries run (and are billed) in.
    pub gcp_execution_project: Option<String>,
    /// The account's BigQuery project.
    pub bq_project: Option<String>,
    /// The account's BigQuery dataset.
    pub bq_dataset: Option<String>,
    /// The account's Google Cloud Storage bucket.
    pub gcs_bucket: Option<String>,
    /// Whether instant licensing of DO datasets is active.
    pub instant_licensing: bool,
}

impl fmt::Debug for DoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoCredentials")
            .field("access_token", &"<hidden>")
            .field("bq_public_project", &self.bq_public_project)
            .field("gcp_execution_project", &self.gcp_execution_project)
            .field("bq_project", &self.bq_project)
            .field("bq_dataset", &self.bq_dataset)
            .field("gcs_bucket", &self.gcs_bucket)
            .field("instant_licensing", &self.instant_licensing)
            .finish()
    }
}

impl DoCredentials {
    /// The Google Cloud access token. A secret: show it to no one.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// `(bq_project, access_token)`, like CARTOframes' `get_gcloud_credentials()`.
    pub fn gcloud_credentials(&self) -> (Option<&str>, &str) {
        (self.bq_project.as_deref(), self.access_token())
    }

    fn from_json(doc: &Value) -> Result<DoCredentials> {
        let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
        let access_token = text("access_token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "the DO token API answered without an \"access_token\"",
                )
            })?;
        Ok(DoCredentials {
            access_token: Zeroizing::new(access_token),
            bq_public_project: text("bq_public_project"),
            gcp_execution_project: text("gcp_execution_project"),
            bq_project: text("bq_project"),
            bq_dataset: text("bq_dataset"),
            gcs_bucket: text("gcs_bucket"),
            instant_licensing: doc
                .get("instant_licensing")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

impl Client {
    /// Asks `api/v4/do/token` for the account's Data Observatory credentials.
    pub fn do_credentials(&self) -> Result<DoCredentials> {
        let doc = self
            .send(Request::get("api/v4/do/token"))?
            .error_for_status()?
            .json()?;
        let credentials = DoCredentials::from_json(&doc)?;
        // A later error body that echoes the token must not show it.
        self.learn_secret(credentials.access_token());
        Ok(credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_read_and_the_token_never_shown() {
        let doc = json!({"access_token": "ya29.secret-token", "bq_project": "p",
            "bq_dataset": "d", "gcs_bucket": "b", "instant_licensing": true});
        let c = DoCredentials::from_json(&doc).unwrap();
        assert_eq!(c.gcloud_credentials(), (Some("p"), "ya29.secret-token"));
        assert!(c.instant_licensing);
        assert_eq!(c.bq_public_project, None);
        assert!(!format!("{c:?}").contains("secret"));
        let e = DoCredentials::from_json(&json!({"bq_project": "p"})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }
}
