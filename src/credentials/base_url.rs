//! Base URL rules: the https requirement, normalisation, and the username ⇄ URL relation.
//!
//! CARTO accounts live at `https://{user}.carto.com` (cloud) or `https://host/user/{user}`
//! (organisations and on-premises; Rails also routes `/u/{user}`). CARTOframes strips trailing
//! slashes and refuses non-https URLs unless `allow_non_secure` is set; we do the same, and also
//! refuse what could leak or mislead (userinfo, query strings, fragments, other schemes).

use crate::error::{Error, ErrorKind, Result};
use crate::text::{excerpt, redact};
use url::{Host, Url};

/// A validated base URL and the username it names, if it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    /// Scheme, lowercase host, port and path, without a trailing slash.
    pub normalized: String,
    /// `/user/{u}` or `/u/{u}` in the path, else the first DNS label of the host.
    pub username: Option<String>,
}

/// The cloud base URL CARTOframes builds from a username.
pub(crate) fn cloud_base_url(username: &str) -> String {
    format!("https://{username}.carto.com")
}

/// Characters that would change the meaning of a URL built from the username.
fn forbidden_username_char(c: char) -> bool {
    c.is_whitespace() || c.is_control() || "/?#@:%\\\"'<>".contains(c)
}

/// Checks that `username` can stand in a CARTO URL (`https://{u}.carto.com`, `/user/{u}`).
pub(crate) fn validate_username(username: &str) -> Result<()> {
    if let Some(c) = username.chars().find(|&c| forbidden_username_char(c)) {
        return Err(Error::new(
            ErrorKind::InvalidUsername,
            format!(
                "username {} contains {c:?}, which cannot appear in a CARTO username",
                excerpt::quoted(username)
            ),
        ));
    }
    if username.len() > 128 {
        return Err(Error::new(
            ErrorKind::InvalidUsername,
            "username is longer than 128 bytes",
        ));
    }
    Ok(())
}

/// What credentials files replace by the username in a stored base URL.
pub(crate) const USERNAME_PLACEHOLDER: &str = "{username}";

/// Longest base URL accepted, in bytes (CARTO's are far shorter; browsers stop near 2 KB).
const MAX_URL_BYTES: usize = 2048;
/// DNS limits: a label has at most 63 bytes, a name at most 253.
const MAX_LABEL_BYTES: usize = 63;
const MAX_HOST_BYTES: usize = 253;

/// Validates and normalises a base URL given by a user, file or environment variable.
///
/// Messages show a parsed URL rebuilt from its parts without userinfo, and an unparsable one
/// only through [`crate::text::redact::message`] and cut to a bounded excerpt, so neither a pasted
/// `https://user:password@host` nor a 10 MB argument lands in a log.
pub(crate) fn parse(raw: &str, allow_non_secure: bool) -> Result<BaseUrl> {
    let trimmed = raw.trim().trim_end_matches('/');
    let unparsed = || excerpt::quoted(&redact::message(trimmed));
    if trimmed.len() > MAX_URL_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {} is longer than {MAX_URL_BYTES} bytes",
                unparsed()
            ),
        ));
    }
    let url = Url::parse(trimmed).map_err(|e| {
        Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {} is not a valid URL ({e}); expected e.g. https://{{username}}.carto.com",
                unparsed()
            ),
        )
    })?;
    // Without userinfo, query and fragment, and redacted again: a password typed after a slash
    // (`https://alice/x:PASSWORD@host`) is parsed as part of the path.
    let shown = excerpt::quoted(&redact::message(&redact::url(&url)));
    match url.scheme() {
        "https" => {}
        "http" if allow_non_secure => {}
        "http" => {
            return Err(Error::new(
                ErrorKind::InsecureBaseUrl,
                // What a user can set, wherever the URL came from: the option of the call that
                // built the credentials, or the variable that resolution and file loading read.
                format!(
                    "base_url {shown} is not https, so the API key would travel in clear text; use an https URL, or for a test server pass the allow_non_secure option (true) or set CARTO_ALLOW_NON_SECURE=1"
                ),
            ));
        }
        other => {
            return Err(Error::new(
                ErrorKind::InvalidBaseUrl,
                // Only the scheme: the rest of a URL of another scheme is not parsed as an
                // authority, so a password in it would be shown.
                format!(
                    "base_url has scheme {}; only https (or http with allow_non_secure) is supported",
                    excerpt::quoted(other)
                ),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {shown} contains a user name or password; pass the API key separately"
            ),
        ));
    }
    if url.path().contains('@') {
        // No CARTO URL has one; a user name and password written after a slash end up there.
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {shown} has an '@' in its path, as if it held a user name and password; pass the API key separately"
            ),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!("base_url {shown} must not contain a query string or fragment"),
        ));
    }
    let Some(host) = url.host() else {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!("base_url {shown} has no host"),
        ));
    };
    if let Host::Domain(domain) = &host {
        check_host_length(domain, &shown)?;
    }
    let normalized = url.as_str().trim_end_matches('/').to_owned();
    if normalized.len() > MAX_URL_BYTES {
        // Percent-encoding can make a short URL long; a saved URL must load back.
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {shown} is longer than {MAX_URL_BYTES} bytes once percent-encoded ({} bytes)",
                normalized.len()
            ),
        ));
    }
    if normalized.contains(USERNAME_PLACEHOLDER) {
        // Credentials files expand it when they are loaded: the URL would not come back.
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!("base_url {shown} contains {USERNAME_PLACEHOLDER:?}, which credentials files replace by the username; write the username itself"),
        ));
    }
    let username = username_from_path(&url).or_else(|| username_from_host(&host));
    if let Some(user) = &username {
        // The username is saved next to the URL; the file loader checks it with this rule, so
        // a URL whose username it would refuse must be refused now, not after it was saved.
        validate_username(user).map_err(|e| {
            Error::new(
                ErrorKind::InvalidBaseUrl,
                format!("base_url {shown} names a username that cannot be saved: {e}"),
            )
        })?;
    }
    Ok(BaseUrl {
        normalized,
        username,
    })
}

fn check_host_length(domain: &str, shown: &str) -> Result<()> {
    let longest_label = domain.split('.').map(str::len).max().unwrap_or(0);
    if domain.len() > MAX_HOST_BYTES || longest_label > MAX_LABEL_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {shown} has a host name of {} bytes (label of {longest_label}); DNS allows at most {MAX_HOST_BYTES} ({MAX_LABEL_BYTES} per label)",
                domain.len()
            ),
        ));
    }
    Ok(())
}

/// `/user/{u}/...` or `/u/{u}/...`.
fn username_from_path(url: &Url) -> Option<String> {
    let mut segments = url.path_segments()?;
    match segments.next() {
        Some("user") | Some("u") => segments.next().filter(|s| !s.is_empty()).map(str::to_owned),
        _ => None,
    }
}

/// `{u}.carto.com`, `www.{u}.carto.com`, `{u}.localhost`; nothing for IPs or single labels.
fn username_from_host(host: &Host<&str>) -> Option<String> {
    let Host::Domain(domain) = host else {
        return None;
    };
    let domain = domain.strip_prefix("www.").unwrap_or(domain);
    let (first, rest) = domain.split_once('.')?;
    (!first.is_empty() && !rest.is_empty()).then(|| first.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_of(url: &str) -> Option<String> {
        parse(url, true).unwrap().username
    }

    #[test]
    fn usernames_from_carto_python_test_urls() {
        assert_eq!(
            user_of("https://user1.carto.com/a/b/c").as_deref(),
            Some("user1")
        );
        assert_eq!(
            user_of("https://www.user2.carto.com").as_deref(),
            Some("user2")
        );
        assert_eq!(
            user_of("http://www.user3.carto.com/a/b/c").as_deref(),
            Some("user3")
        );
        assert_eq!(
            user_of("https://carto.com/user/user1/a/b/c").as_deref(),
            Some("user1")
        );
        assert_eq!(
            user_of("https://www.carto.com/user/user2").as_deref(),
            Some("user2")
        );
        assert_eq!(
            user_of("http://www.carto.com/user/user3/a/b/c").as_deref(),
            Some("user3")
        );
        assert_eq!(user_of("https://wrongurl"), None);
    }

    #[test]
    fn usernames_from_on_premises_and_local_urls() {
        assert_eq!(
            user_of("http://127.0.0.1:8080/user/alice/").as_deref(),
            Some("alice")
        );
        assert_eq!(
            user_of("https://org.carto.com/u/bob/").as_deref(),
            Some("bob")
        );
        assert_eq!(
            user_of("https://alice.localhost:9000/").as_deref(),
            Some("alice")
        );
        assert_eq!(user_of("http://localhost:8080/"), None);
        assert_eq!(user_of("http://[::1]:8080/"), None);
    }

    #[test]
    fn trailing_slashes_are_removed_and_host_is_lowercased() {
        let url = parse("https://Fake_User.CARTO.com///", false).unwrap();
        assert_eq!(url.normalized, "https://fake_user.carto.com");
        let url = parse("  https://turtleland.com/user/fake_user/ ", false).unwrap();
        assert_eq!(url.normalized, "https://turtleland.com/user/fake_user");
    }

    #[test]
    fn http_needs_allow_non_secure() {
        let err = parse("http://fake_user.carto.com", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InsecureBaseUrl);
        // It names what a user sets, not a field: the option and the environment variable.
        let message = err.message();
        assert!(message.contains("allow_non_secure option"), "{message}");
        assert!(message.contains("CARTO_ALLOW_NON_SECURE=1"), "{message}");
        assert!(parse("http://fake_user.carto.com", true).is_ok());
    }

    #[test]
    fn other_schemes_userinfo_queries_and_garbage_are_refused() {
        for bad in [
            "ftp://x.carto.com",
            "https://x.carto.com/?api_key=1",
            "https://x.carto.com/#frag",
            "not a url",
            "",
        ] {
            let err = parse(bad, true).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidBaseUrl, "{bad}");
        }
    }

    #[test]
    fn fuzzer_findings_are_refused() {
        // Found by the base_url target: a password after slashes lands in the path.
        for url in [
            "http://TO.com///:Pw9MARKERpw@/user",
            "https://alice/x:Pw9MARKERpw@host",
        ] {
            let err = parse(url, true).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidBaseUrl, "{url}");
            assert!(!err.message().contains("Pw9MARKERpw"), "{err}");
            let err = parse(url, false).unwrap_err();
            assert!(!err.message().contains("Pw9MARKERpw"), "{err}");
        }
        // Found by the config_file target: 2,000 bytes that percent-encode to 6,000 were
        // accepted, saved, and then refused when loaded.
        let err = parse(&format!("https://h.example.com/{}", "é".repeat(1000)), true).unwrap_err();
        assert!(err.message().contains("once percent-encoded"), "{err}");
        assert!(parse(&format!("https://h.example.com/{}", "é".repeat(300)), true).is_ok());
    }

    #[test]
    fn userinfo_is_refused_without_echoing_the_secret() {
        let err = parse("https://alice:sup3rsecret@alice.carto.com", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidBaseUrl);
        assert!(!err.message().contains("sup3rsecret"), "{}", err.message());
        let err = parse("https://alice:sup3rsecret@bad host", false).unwrap_err();
        assert!(!err.message().contains("sup3rsecret"), "{}", err.message());
    }

    #[test]
    fn no_spelling_of_a_password_in_userinfo_is_echoed() {
        for url in [
            "https://alice:p@ssw0rd@host/",
            "https://alice:pa/ssw0rd@host/",
            "https:alice:ssw0rd@host/",
            "https:/alice:ssw0rd@host/",
            "https:\\\\alice:ssw0rd@host/",
            "https://alice:ssw0rd@host:99999/",
            "http://alice:ssw0rd@host/",
            "ftp://alice:ssw0rd@host/",
            "h:\\\\r:ssw0rd@x@y/",
            "mailto:alice:ssw0rd@host",
            "https://alice:ssw0rd@host/?api_key=1",
            "https://alice:ssw0rd@[::1/",
        ] {
            let err = parse(url, false).unwrap_err();
            assert!(
                !err.message().contains("ssw0rd"),
                "{url}: {}",
                err.message()
            );
            assert!(!format!("{err:?}").contains("ssw0rd"), "{url}");
        }
    }

    #[test]
    fn huge_urls_and_hosts_are_refused_with_a_bounded_message() {
        let label = "a".repeat(10 * 1024 * 1024);
        for url in [
            format!("https://{label}.carto.com"),
            format!("https://{}.carto.com", "a".repeat(64)),
            format!("https://{}carto.com", "abcdefgh.".repeat(30)),
            format!("https://h.carto.com/{}", "p".repeat(5000)),
        ] {
            let err = parse(&url, false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidBaseUrl);
            assert!(err.message().len() < 600, "{}", err.message().len());
        }
        assert!(parse(&format!("https://{}.carto.com", "a".repeat(63)), false).is_ok());
    }

    #[test]
    fn usernames_that_would_break_urls_are_refused() {
        for bad in ["a b", "a/b", "a@b", "a:b", "a?b", "a#b"] {
            assert_eq!(
                validate_username(bad).unwrap_err().kind(),
                ErrorKind::InvalidUsername,
                "{bad}"
            );
        }
        validate_username("john-smith_2").unwrap();
    }

    #[test]
    fn urls_whose_username_the_loader_would_refuse_are_refused() {
        for bad in [
            "https://h.com/user/a b",
            "https://h.com/user/x%2Fy",
            "https://h.com/user/%00",
            "https://h.com/user/{username}",
            "https://h.com/u/a%40b",
            "https://alli{username}e.localhost:9000/",
            "https://{usernam\u{feff}e}.carto.com/",
        ] {
            let err = parse(bad, false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidBaseUrl, "{bad}");
            assert!(err.message().contains("username"), "{}", err.message());
        }
    }
}
