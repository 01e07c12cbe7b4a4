//! The in-process token cache and the rules of using a token.
//!
//! Every client of a process whose credentials share a [`CacheKey`] (and a store) shares one
//! [`Slot`]: the current token behind a read lock (attaching a fresh token is a read lock, a
//! clock read and a reference-count increment), and a refresh lock that at most one thread
//! holds while it reads the cross-process store and, if that holds nothing better, mints.
//!
//! For each request ([`Bearer::attach`]):
//! - fresh: the token is used;
//! - advisory window: the token is used; one thread (the one that gets the refresh lock, and
//!   whose process gets the store's lock without waiting) refreshes it; a failure there is
//!   not an error, and the next try waits a while (botocore: at most once a minute);
//! - mandatory window, expired, or no token: the request waits for a new token; a failure is
//!   the request's error. A token is never sent in its mandatory window.
//!
//! A 401 answered to a minted token ([`Bearer::refused`]) marks that token refused and lets
//! the request try once more with a new one; the same client re-mints after a 401 at most
//! once per advisory-retry interval, so a client the server never accepts cannot burn the
//! mint quota.

use super::key::{unix_now, CacheKey, StoredToken};
use super::mint::{self, Grant, Pause};
use super::store::{TokenStore, Update, Wait};
use super::windows::Freshness;
use super::windows::RefreshWindows;
use crate::credentials::kind::{Auth, AuthServer};
use crate::credentials::secret::Secret;
use crate::error::{Error, ErrorKind, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;
use ureq::http::HeaderValue;

/// A token ready to attach: its header value (marked sensitive) and expiry.
#[derive(Debug)]
pub(crate) struct Lease {
    pub header: HeaderValue,
    pub token: Secret,
    /// `None`: a static token that is not a JWT (its expiry is unknown).
    pub exp: Option<i64>,
    pub lifetime: u64,
}

impl Lease {
    fn of(stored: &StoredToken) -> Result<Arc<Lease>> {
        Ok(Arc::new(Lease {
            header: bearer_header(&stored.token)?,
            token: stored.token.clone(),
            exp: Some(stored.exp),
            lifetime: stored.lifetime,
        }))
    }
}

fn bearer_header(token: &Secret) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        Error::invalid_argument("the token holds characters that cannot travel in a header")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// One cache key's state in this process.
#[derive(Default)]
pub(crate) struct Slot {
    current: RwLock<Option<Arc<Lease>>>,
    refresh: Mutex<RefreshState>,
    /// Tokens this process obtained from the OAuth server for the key.
    minted: AtomicU64,
}

#[derive(Default)]
struct RefreshState {
    /// No advisory refresh before this time (after one failed).
    next_advisory: i64,
    /// A token the server refused with 401: never adopted again from the store.
    refused: Option<Secret>,
    /// When a 401 last made this process re-mint.
    last_forced: Option<i64>,
}

type Registry = HashMap<(String, CacheKey), Weak<Slot>>;
static SLOTS: Mutex<Option<Registry>> = Mutex::new(None);

/// The process's slot for `key` in the store described as `store`.
fn slot_for(store: &str, key: &CacheKey) -> Arc<Slot> {
    let mut guard = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    let map = guard.get_or_insert_with(HashMap::new);
    let id = (store.to_owned(), key.clone());
    if let Some(slot) = map.get(&id).and_then(Weak::upgrade) {
        return slot;
    }
    map.retain(|_, slot| slot.strong_count() > 0);
    let slot = Arc::new(Slot::default());
    map.insert(id, Arc::downgrade(&slot));
    slot
}

/// What mints new tokens for a key.
enum Minter {
    /// An M2M client: `client_credentials`.
    Client { client_id: String, secret: Secret },
    /// A user: only a new sign-in makes a token; the store may hold one from another process.
    SignIn,
}

/// How a client presents a CARTO 3 credential.
pub(crate) enum Bearer {
    /// A token used as given.
    Static(Arc<Lease>),
    /// Tokens from the cache, refreshed as needed.
    Managed(Box<Managed>),
}

/// Tokens of one cache key, as one client uses them.
pub(crate) struct Managed {
    key: CacheKey,
    server: AuthServer,
    slot: Arc<Slot>,
    store: Arc<dyn TokenStore>,
    minter: Minter,
    windows: RefreshWindows,
    agent: ureq::Agent,
    /// How long a mandatory refresh waits for another process's mint.
    lock_wait: Duration,
    /// carto-auth's token cache for this kind (`~/.carto-auth/token_m2m.json`,
    /// `token_oauth.json`): a token it minted for the same client and API base URL is
    /// adopted instead of minting another.
    foreign: Option<std::path::PathBuf>,
}

/// A user token is refused this close to its expiry at most (it cannot be refreshed, so the
/// window only has to cover the request's time in flight).
const USER_LAST_USE: u64 = 60;

impl Bearer {
    /// The bearer of CARTO 3 credentials (`None` for CARTO 2).
    pub(crate) fn for_credentials(
        credentials: &crate::Credentials,
        store: Arc<dyn TokenStore>,
        windows: RefreshWindows,
        agent: ureq::Agent,
    ) -> Result<Option<Bearer>> {
        let (server, minter, client_id, organization) = match credentials.auth() {
            Auth::ApiKey => return Ok(None),
            Auth::AccessToken(token) => {
                let claims = crate::credentials::jwt::Claims::of(token.expose());
                let exp = claims.as_ref().and_then(|c| c.exp);
                let lifetime = match (exp, claims.as_ref().and_then(|c| c.iat)) {
                    (Some(exp), Some(iat)) if exp > iat => (exp - iat) as u64,
                    _ => 0,
                };
                return Ok(Some(Bearer::Static(Arc::new(Lease {
                    header: bearer_header(token)?,
                    token: token.clone(),
                    exp,
                    lifetime,
                }))));
            }
            Auth::M2m {
                client_id,
                client_secret,
                server,
            } => (
                server,
                Minter::Client {
                    client_id: client_id.clone(),
                    secret: client_secret.clone(),
                },
                client_id,
                None,
            ),
            Auth::OAuthUser {
                client_id,
                organization,
                server,
            } => (server, Minter::SignIn, client_id, organization.clone()),
        };
        let key = CacheKey {
            kind: credentials.kind(),
            auth_url: server.url.clone(),
            client_id: client_id.clone(),
            audience: server.audience.clone(),
            organization,
            api_base_url: credentials.base_url().to_owned(),
        };
        let slot = slot_for(&store.describe(), &key);
        let carto_auth = crate::config::carto_auth_token_files(&crate::env::ProcessEnvironment);
        let foreign = match key.kind {
            crate::credentials::kind::CredentialKind::M2m => carto_auth.get(1).cloned(),
            _ => carto_auth.first().cloned(),
        };
        Ok(Some(Bearer::Managed(Box::new(Managed {
            key,
            server: server.clone(),
            slot,
            store,
            minter,
            windows,
            agent,
            lock_wait: mint::budget(mint::MINT_ATTEMPT_TIMEOUT) + Duration::from_secs(10),
            foreign,
        }))))
    }

    /// The token to send now (see the module documentation); may mint.
    pub(crate) fn attach(&self, pause: &dyn Pause) -> Result<Arc<Lease>> {
        match self {
            Bearer::Static(lease) => {
                if let Some(exp) = lease.exp {
                    let now = unix_now();
                    if now + 5 >= exp {
                        return Err(Error::new(
                            ErrorKind::TokenExpired,
                            format!(
                                "the access token {} (its exp claim); get a new token (CARTO Workspace > Developers > Credentials, or cartoauth token create)",
                                expiry_phrase(exp, now)
                            ),
                        ));
                    }
                }
                Ok(Arc::clone(lease))
            }
            Bearer::Managed(managed) => managed.attach(pause),
        }
    }

    /// Called after the server answered 401 to `lease`: whether the request may be sent once
    /// more with another token.
    pub(crate) fn refused(&self, lease: &Arc<Lease>) -> bool {
        match self {
            Bearer::Static(_) => false,
            Bearer::Managed(managed) => managed.refused(lease),
        }
    }

    /// The managed side, for status and token commands.
    pub(crate) fn managed(&self) -> Option<&Managed> {
        match self {
            Bearer::Managed(m) => Some(m),
            Bearer::Static(_) => None,
        }
    }
}

fn expiry_phrase(exp: i64, now: i64) -> String {
    if exp <= now {
        format!("expired {} s ago", now - exp)
    } else {
        format!("expires in {} s", exp - now)
    }
}

impl Managed {
    fn freshness(&self, lease: &Lease, now: i64) -> Freshness {
        let exp = lease.exp.unwrap_or(now);
        self.freshness_of(now, exp, lease.lifetime)
    }

    fn freshness_of(&self, now: i64, exp: i64, lifetime: u64) -> Freshness {
        let windows = match self.minter {
            Minter::Client { .. } => self.windows,
            Minter::SignIn => {
                let (advisory, mandatory) = self.windows.scaled(lifetime);
                RefreshWindows {
                    advisory: Duration::from_secs(advisory),
                    mandatory: Duration::from_secs(mandatory.min(USER_LAST_USE)),
                }
            }
        };
        windows.freshness(now, exp, lifetime)
    }

    fn attach(&self, pause: &dyn Pause) -> Result<Arc<Lease>> {
        let now = unix_now();
        let current = self
            .slot
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(lease) = current {
            match self.freshness(&lease, now) {
                Freshness::Fresh => return Ok(lease),
                Freshness::Advisory => {
                    self.try_advisory_refresh(now, pause);
                    return Ok(self.current().unwrap_or(lease));
                }
                Freshness::Mandatory => {}
            }
        }
        let mut state = self.lock_refresh(pause)?;
        if let Some(lease) = self.current() {
            if self.freshness(&lease, unix_now()) != Freshness::Mandatory {
                return Ok(lease);
            }
        }
        match self.refresh(&mut state, Wait::Up(self.lock_wait), pause)? {
            Some(lease) => Ok(lease),
            None => Err(Error::new(
                ErrorKind::LockTimeout,
                format!(
                    "another process held the token cache's lock ({}) for too long",
                    self.store.describe()
                ),
            )),
        }
    }

    fn current(&self) -> Option<Arc<Lease>> {
        self.slot
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits for the refresh lock, interruptibly (a waiting call can still be cancelled).
    fn lock_refresh(&self, pause: &dyn Pause) -> Result<std::sync::MutexGuard<'_, RefreshState>> {
        loop {
            match self.slot.refresh.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => {
                    pause.pause(Duration::from_millis(2))?
                }
            }
        }
    }

    fn try_advisory_refresh(&self, now: i64, pause: &dyn Pause) {
        let Ok(mut state) = self.slot.refresh.try_lock() else {
            return; // another thread of this process is refreshing
        };
        if now < state.next_advisory {
            return;
        }
        let before = self.current();
        match self.refresh(&mut state, Wait::Try, pause) {
            Ok(Some(lease)) if before.as_ref().is_some_and(|b| b.token == lease.token) => {
                // Nothing newer anywhere (a user token): look again later.
                state.next_advisory = now + self.retry_interval(&lease);
            }
            Ok(_) => {}
            Err(_) => {
                let lifetime = before.as_ref().map_or(0, |l| l.lifetime);
                state.next_advisory = now + self.windows.advisory_retry_after(lifetime) as i64;
            }
        }
    }

    fn retry_interval(&self, lease: &Lease) -> i64 {
        self.windows.advisory_retry_after(lease.lifetime) as i64
    }

    /// Under the refresh lock: adopts a better stored token or mints one, and makes it
    /// current. `Ok(None)` when `wait` is [`Wait::Try`] and another process holds the store.
    fn refresh(
        &self,
        state: &mut RefreshState,
        wait: Wait,
        pause: &dyn Pause,
    ) -> Result<Option<Arc<Lease>>> {
        let now = unix_now();
        let mut chosen: Option<StoredToken> = None;
        let refused = state.refused.clone();
        let ran = self.store.update(&self.key, wait, &mut |stored| {
            if let Some(stored) = stored {
                if refused.as_ref() != Some(&stored.token) {
                    let freshness = self.freshness_of(now, stored.exp, stored.lifetime);
                    // A minter adopts only a token that needs no refresh itself; a user takes
                    // any token that may still be sent.
                    let adopt = match self.minter {
                        Minter::Client { .. } => freshness == Freshness::Fresh,
                        Minter::SignIn => freshness != Freshness::Mandatory,
                    };
                    if adopt {
                        chosen = Some(stored);
                        return Ok(Update::Keep);
                    }
                }
            }
            if let Some(token) = self.foreign_token(now, refused.as_ref()) {
                chosen = Some(token.clone());
                return Ok(Update::Store(token));
            }
            let token = self.mint(pause, refused.is_some())?;
            chosen = Some(token.clone());
            Ok(Update::Store(token))
        })?;
        if !ran {
            return Ok(None);
        }
        let stored = chosen.expect("the update chose a token");
        let lease = Lease::of(&stored)?;
        *self
            .slot
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&lease));
        state.refused = None;
        Ok(Some(lease))
    }

    /// carto-auth's cached token, when it is for this client and API base URL and needs no
    /// refresh (its expiry from the JWT, never from carto-auth's skewed `expiration`).
    fn foreign_token(&self, now: i64, refused: Option<&Secret>) -> Option<StoredToken> {
        let path = self.foreign.as_ref().filter(|p| p.exists())?;
        let (credentials, _) = crate::config::load_carto_auth_token(path, true).ok()?;
        if credentials.base_url() != self.key.api_base_url {
            return None;
        }
        let token = credentials.access_token()?.clone();
        if refused == Some(&token) {
            return None;
        }
        let claims = crate::credentials::jwt::Claims::of(token.expose())?;
        if claims.names_client(&self.key.client_id) != Some(true) {
            return None;
        }
        let exp = claims.exp?;
        let lifetime = match claims.iat {
            Some(iat) if exp > iat => (exp - iat) as u64,
            _ => 86_400,
        };
        (self.freshness_of(now, exp, lifetime) == Freshness::Fresh).then_some(StoredToken {
            token,
            exp,
            lifetime,
        })
    }

    fn mint(&self, pause: &dyn Pause, after_refusal: bool) -> Result<StoredToken> {
        match &self.minter {
            Minter::Client { client_id, secret } => {
                let grant = Grant::ClientCredentials {
                    client_id,
                    client_secret: secret,
                };
                let token = mint::mint(&self.agent, &self.server, &grant, pause)?;
                self.slot.minted.fetch_add(1, Ordering::Relaxed);
                Ok(token)
            }
            Minter::SignIn => Err(Error::new(
                ErrorKind::SignInRequired,
                if after_refusal {
                    "the server refused the CARTO 3 sign-in token (401: expired or revoked); sign in again (cartoauth login)".to_owned()
                } else {
                    format!(
                        "no valid CARTO 3 sign-in for client {} at {} in the token cache ({}); sign in first (cartoauth login, or carto_signin_begin)",
                        self.key.client_id,
                        self.key.api_base_url,
                        self.store.describe()
                    )
                },
            )),
        }
    }

    fn refused(&self, lease: &Arc<Lease>) -> bool {
        let Ok(mut state) = self.slot.refresh.lock() else {
            return false;
        };
        let now = unix_now();
        let is_current = self
            .current()
            .is_some_and(|current| Arc::ptr_eq(&current, lease));
        if let Minter::Client { .. } = self.minter {
            let interval = self.retry_interval(lease).max(1);
            if state.last_forced.is_some_and(|at| now - at < interval) && is_current {
                return false;
            }
            state.last_forced = Some(now);
        }
        state.refused = Some(lease.token.clone());
        if is_current {
            *self
                .slot
                .current
                .write()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
        true
    }

    /// Tokens this process minted for the key.
    pub(crate) fn minted(&self) -> u64 {
        self.slot.minted.load(Ordering::Relaxed)
    }

    /// The cache key.
    pub(crate) fn key(&self) -> &CacheKey {
        &self.key
    }

    /// The store's description.
    pub(crate) fn store_description(&self) -> String {
        self.store.describe()
    }

    /// The token known now (in this process, else in the store), without minting.
    pub(crate) fn peek(&self) -> Result<Option<StoredToken>> {
        if let Some(lease) = self.current() {
            return Ok(Some(StoredToken {
                token: lease.token.clone(),
                exp: lease.exp.unwrap_or(0),
                lifetime: lease.lifetime,
            }));
        }
        self.store.load(&self.key)
    }

    /// Stores a token obtained by a sign-in, for this process and the others.
    pub(crate) fn put(&self, token: StoredToken) -> Result<()> {
        let mut state = self
            .slot
            .refresh
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut pending = Some(token.clone());
        self.store
            .update(&self.key, Wait::Up(self.lock_wait), &mut |_| {
                Ok(pending.take().map_or(Update::Keep, Update::Store))
            })?;
        *self
            .slot
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Lease::of(&token)?);
        state.refused = None;
        Ok(())
    }

    /// Forgets the key's token here and in the store (sign-out). Whether the store had one.
    pub(crate) fn forget(&self) -> Result<bool> {
        let _state = self
            .slot
            .refresh
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *self
            .slot
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        self.store.remove(&self.key)
    }
}
