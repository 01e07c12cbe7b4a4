//! Connections to the private cluster, pooled per PostgreSQL role. Every API request runs on a
//! connection that logged in AS the key's role, so PostgreSQL itself enforces the grants.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::poll_fn;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{AsyncMessage, CancelToken, Client, NoTls};

use crate::pg::server::{DATABASE, SOCKET_PORT};

/// Idle connections kept per role; more are opened on demand and closed when returned.
const MAX_IDLE_PER_ROLE: usize = 8;
/// Connections in use at once; below the cluster's max_connections (200), leaving room for idle
/// ones, batch jobs and the superuser.
const MAX_OPEN: usize = 160;

/// A notice or warning PostgreSQL sent while a query ran (CARTO returns them as extra keys).
#[derive(Debug, Clone)]
pub struct Notice {
    pub severity: String,
    pub message: String,
}

pub struct Conn {
    pub client: Client,
    notices: mpsc::UnboundedReceiver<Notice>,
    role: String,
    /// A connection whose query was abandoned half way is not reused.
    pub discard: bool,
}

impl Conn {
    pub fn cancel_token(&self) -> CancelToken {
        self.client.cancel_token()
    }

    /// Notices received since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        let mut out = Vec::new();
        while let Ok(n) = self.notices.try_recv() {
            out.push(n);
        }
        out
    }
}

pub struct Pool {
    socket_dir: PathBuf,
    idle: Mutex<HashMap<String, Vec<Conn>>>,
    open: Arc<Semaphore>,
    statement_timeout_ms: AtomicU64,
}

/// A checked-out connection; goes back to the pool when dropped (unless marked to discard).
pub struct PooledConn {
    conn: Option<Conn>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for PooledConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if conn.discard || conn.client.is_closed() {
                return;
            }
            let mut idle = self.pool.idle.lock().unwrap();
            let list = idle.entry(conn.role.clone()).or_default();
            if list.len() < MAX_IDLE_PER_ROLE {
                list.push(conn);
            }
        }
    }
}

impl Pool {
    pub fn new(socket_dir: PathBuf, statement_timeout_ms: u64) -> Arc<Pool> {
        Arc::new(Pool {
            socket_dir,
            idle: Mutex::new(HashMap::new()),
            open: Arc::new(Semaphore::new(MAX_OPEN)),
            statement_timeout_ms: AtomicU64::new(statement_timeout_ms),
        })
    }

    pub fn statement_timeout_ms(&self) -> u64 {
        self.statement_timeout_ms.load(Ordering::Relaxed)
    }

    pub fn set_statement_timeout_ms(&self, ms: u64) {
        self.statement_timeout_ms.store(ms, Ordering::Relaxed);
    }

    fn config(&self, role: &str) -> tokio_postgres::Config {
        let mut cfg = tokio_postgres::Config::new();
        cfg.host_path(&self.socket_dir)
            .port(SOCKET_PORT)
            .user(role)
            .dbname(DATABASE)
            .application_name("carto-emulator");
        cfg
    }

    /// Opens a connection outside the pool (provisioning, batch jobs).
    pub async fn connect(&self, role: &str) -> Result<Conn, tokio_postgres::Error> {
        let (client, mut connection) = self.config(role).connect(NoTls).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(msg) = poll_fn(|cx| connection.poll_message(cx)).await {
                match msg {
                    Ok(AsyncMessage::Notice(n)) => {
                        let _ = tx.send(Notice {
                            severity: n.severity().to_string(),
                            message: n.message().to_string(),
                        });
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        Ok(Conn {
            client,
            notices: rx,
            role: role.to_string(),
            discard: false,
        })
    }

    /// Checks out a connection logged in as `role`, with session state reset and the current
    /// statement timeout applied.
    pub async fn get(self: &Arc<Self>, role: &str) -> Result<PooledConn, tokio_postgres::Error> {
        let permit = self
            .open
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        let reused = {
            let mut idle = self.idle.lock().unwrap();
            idle.get_mut(role).and_then(|l| l.pop())
        };
        // ROLLBACK ends whatever a previous client left open (its warning is drained below);
        // RESET ALL and DISCARD TEMP undo session settings and temporary tables, so requests
        // do not leak into each other (DISCARD ALL would also drop the driver's statements).
        let prelude = format!(
            "ROLLBACK; RESET ALL; DISCARD TEMP; SET statement_timeout = {}",
            self.statement_timeout_ms()
        );
        let mut conn = match reused {
            Some(c) if !c.client.is_closed() => c,
            _ => self.connect_making_room(role).await?,
        };
        if conn.client.batch_execute(&prelude).await.is_err() {
            // An idle connection can die (server restart, terminated backend): use a new one.
            conn = self.connect_making_room(role).await?;
            conn.client.batch_execute(&prelude).await?;
        }
        conn.take_notices();
        Ok(PooledConn {
            conn: Some(conn),
            pool: self.clone(),
            _permit: permit,
        })
    }

    /// Connects; when the cluster is full, closes every idle connection (of all roles) and
    /// tries once more.
    async fn connect_making_room(&self, role: &str) -> Result<Conn, tokio_postgres::Error> {
        match self.connect(role).await {
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::TOO_MANY_CONNECTIONS) => {
                self.purge_all();
                // Closing is asynchronous on the server side; give the backends a moment.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                self.connect(role).await
            }
            other => other,
        }
    }

    /// Forgets idle connections of a role that is about to be dropped.
    pub fn purge_role(&self, role: &str) {
        self.idle.lock().unwrap().remove(role);
    }

    pub fn purge_all(&self) {
        self.idle.lock().unwrap().clear();
    }
}
