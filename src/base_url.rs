//! Base URL rules: the https requirement, normalisation, and the username ⇄ URL relation.
//!
//! CARTO accounts live at `https://{user}.carto.com` (cloud) or `https://host/user/{user}`
//! (organisations and on-premises; Rails also routes `/u/{user}`). CARTOframes strips trailing
//! slashes and refuses non-https URLs unless `allow_non_secure` is set; we do the same, and also
//! refuse what could leak or mislead (userinfo, query strings, fragments, other schemes).

use crate::error::{Error, ErrorKind, Result};
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
                "username {username:?} contains {c:?}, which cannot appear in a CARTO username"
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

/// Validates and normalises a base URL given by a user, file or environment variable.
///
/// The URL is echoed in error messages only after userinfo is removed, so a pasted
/// `https://user:key@host` never lands in a log.
pub(crate) fn parse(raw: &str, allow_non_secure: bool) -> Result<BaseUrl> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|e| {
        Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {:?} is not a valid URL ({e}); expected e.g. https://{{username}}.carto.com",
                without_userinfo(trimmed)
            ),
        )
    })?;
    let shown = without_userinfo(trimmed);
    match url.scheme() {
        "https" => {}
        "http" if allow_non_secure => {}
        "http" => {
            return Err(Error::new(
                ErrorKind::InsecureBaseUrl,
                format!(
                    "base_url {shown:?} is not https; use an https URL or set allow_non_secure"
                ),
            ))
        }
        other => {
            return Err(Error::new(
                ErrorKind::InvalidBaseUrl,
                format!("base_url {shown:?} has scheme {other:?}; only https (or http with allow_non_secure) is supported"),
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!(
                "base_url {shown:?} contains a user name or password; pass the API key separately"
            ),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!("base_url {shown:?} must not contain a query string or fragment"),
        ));
    }
    let Some(host) = url.host() else {
        return Err(Error::new(
            ErrorKind::InvalidBaseUrl,
            format!("base_url {shown:?} has no host"),
        ));
    };
    let username = username_from_path(&url).or_else(|| username_from_host(&host));
    Ok(BaseUrl {
        normalized: url.as_str().trim_end_matches('/').to_owned(),
        username,
    })
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

/// The URL with any `user:password@` part removed, for messages.
fn without_userinfo(raw: &str) -> String {
    match (raw.find("://"), raw.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let authority_end = raw[scheme_end + 3..]
                .find('/')
                .map_or(raw.len(), |i| i + scheme_end + 3);
            if at < authority_end {
                return format!("{}***@{}", &raw[..scheme_end + 3], &raw[at + 1..]);
            }
            raw.to_owned()
        }
        _ => raw.to_owned(),
    }
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
        assert!(err.message().contains("allow_non_secure"));
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
    fn userinfo_is_refused_without_echoing_the_secret() {
        let err = parse("https://alice:sup3rsecret@alice.carto.com", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidBaseUrl);
        assert!(!err.message().contains("sup3rsecret"), "{}", err.message());
        let err = parse("https://alice:sup3rsecret@bad host", false).unwrap_err();
        assert!(!err.message().contains("sup3rsecret"), "{}", err.message());
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
}
