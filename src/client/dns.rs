//! Host name resolution for a client's agent.
//!
//! ureq resolves the host of every request before it looks for a kept-alive connection in its
//! pool, and because the client always has an overall timeout, its default resolver runs each
//! lookup on a thread of its own. So every request, even one on a pooled connection to an IP
//! address, paid a thread creation (and, for a host name, a DNS lookup): on loopback that was
//! most of the time of a request (see benches/RESULTS.md).
//!
//! This resolver answers hosts that are IP addresses directly, as the standard library would
//! on that thread, and remembers the addresses of host names for 60 s, libcurl's default DNS
//! cache lifetime, so that only the first request to a host (and one a minute after) waits for
//! a lookup. A lookup itself still goes through ureq's default resolver, with its timeout.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long the addresses of a host name are reused (libcurl's CURLOPT_DNS_CACHE_TIMEOUT).
const TTL: Duration = Duration::from_secs(60);
/// A client talks to one account's host (and a few more after redirects).
const MAX_HOSTS: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    lookup: DefaultResolver,
    cache: Mutex<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    host_port: String,
    resolved_at: Instant,
    addrs: ResolvedSocketAddrs,
}

impl CachingResolver {
    /// The host and port of `uri`, the host without IPv6 brackets; `None` when the URI has no
    /// host or no port ureq would know (then the default resolver reports the error).
    fn host_port(uri: &Uri) -> Option<(&str, u16)> {
        let authority = uri.authority()?;
        let port = match (authority.port_u16(), uri.scheme_str()) {
            (Some(port), _) => port,
            (None, Some("https")) => 443,
            (None, Some("http")) => 80,
            _ => return None,
        };
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Some((host, port))
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some((host, port)) = Self::host_port(uri) else {
            return self.lookup.resolve(uri, config, timeout);
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            let mut addrs = self.empty();
            let wanted = config.ip_family();
            for addr in wanted.keep_wanted(std::iter::once(SocketAddr::new(ip, port))) {
                addrs.push(addr);
            }
            return if addrs.is_empty() {
                Err(ureq::Error::HostNotFound)
            } else {
                Ok(addrs)
            };
        }
        let host_port = format!("{}:{port}", host.to_ascii_lowercase());
        let now = Instant::now();
        {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = cache
                .iter()
                .find(|e| e.host_port == host_port && now.duration_since(e.resolved_at) < TTL)
            {
                return Ok(entry.addrs.clone());
            }
        }
        // Looked up without holding the lock: other hosts are not held up meanwhile.
        let addrs = self.lookup.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|e| e.host_port != host_port && now.duration_since(e.resolved_at) < TTL);
        if cache.len() >= MAX_HOSTS {
            cache.remove(0); // the oldest
        }
        cache.push(Entry {
            host_port,
            resolved_at: now,
            addrs: addrs.clone(),
        });
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UreqDuration;
    use ureq::Timeout;

    fn resolve(resolver: &CachingResolver, url: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = url.parse().unwrap();
        let timeout = NextTimeout {
            after: UreqDuration::from_secs(10),
            reason: Timeout::Resolve,
            ..NextTimeout::default()
        };
        resolver
            .resolve(&uri, &Config::default(), timeout)
            .map(|addrs| addrs.to_vec())
    }

    #[test]
    fn ip_addresses_are_answered_without_a_lookup() {
        let r = CachingResolver::default();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x").unwrap(),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/x").unwrap(),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "http://10.1.2.3/").unwrap(),
            ["10.1.2.3:80".parse::<SocketAddr>().unwrap()]
        );
        assert!(
            r.cache.lock().unwrap().is_empty(),
            "addresses need no cache"
        );
    }

    #[test]
    fn host_names_are_looked_up_once_and_kept() {
        let r = CachingResolver::default();
        let first = resolve(&r, "http://localhost:8080/a").unwrap();
        assert!(!first.is_empty() && first.iter().all(|a| a.port() == 8080));
        assert_eq!(resolve(&r, "http://LOCALHOST:8080/b").unwrap(), first);
        assert_eq!(r.cache.lock().unwrap().len(), 1);
        let other_port = resolve(&r, "http://localhost:9090/").unwrap();
        assert!(other_port.iter().all(|a| a.port() == 9090));
        assert_eq!(r.cache.lock().unwrap().len(), 2);
    }

    #[test]
    fn stale_entries_are_looked_up_again() {
        let r = CachingResolver::default();
        resolve(&r, "http://localhost:8080/").unwrap();
        let Some(long_ago) = Instant::now().checked_sub(TTL + Duration::from_secs(1)) else {
            return; // a clock this close to its origin cannot be set back
        };
        r.cache.lock().unwrap()[0].resolved_at = long_ago;
        resolve(&r, "http://localhost:8080/").unwrap();
        let cache = r.cache.lock().unwrap();
        assert_eq!(cache.len(), 1);
        assert!(cache[0].resolved_at > long_ago);
    }
}
