//! What the handlers share: the warehouse (read-only, pooled handles), the service database, the guard, users and
//! audit log, and the dashboard's analytics, loaded in the background when the server starts.

use super::drill::Drills;
use super::metrics::Metrics;
use super::{ApiError, blocking};
use crate::analytics::Portfolio;
use crate::model::Artifact;
use crate::privacy::KGuard;
use crate::privacy::audit::AuditLog;
use crate::privacy::masked::Masker;
use crate::privacy::roles::Users;
use crate::privacy::vault::Sealer;
use crate::warehouse::service::Service;
use crate::warehouse::{self, Info, Warehouse};
use std::sync::{Arc, Mutex};

/// Where the dashboard's analytics stand.
pub enum Analytics {
    Loading,
    Ready(Arc<Portfolio>),
    /// Why there are none (no model, or it does not fit the warehouse); the message says what to do.
    Unavailable(String),
}

/// What the handlers share.
pub struct AppState {
    /// The warehouse's observation date: the default `asOf` for synthetic survivors.
    pub(super) observation_date: Option<chrono::NaiveDate>,
    /// What identifies the warehouse's data (its generation and the file's size and modification time): part of
    /// every release's parameters, so noise is never reused on changed data, where the difference of two noisy
    /// answers would be exact.
    pub(super) data_version: String,
    pub(super) warehouse: Mutex<Warehouse>,
    pub(super) pool: Mutex<Vec<Warehouse>>,
    pub(super) service: Mutex<Service>,
    pub(super) info: tokio::sync::OnceCell<Info>,
    /// The synthetic survivors' assessments for the DV view, computed on first use.
    pub(super) dv_overview: tokio::sync::OnceCell<super::dv::Overview>,
    pub(super) guard: KGuard,
    pub(super) users: Users,
    pub(super) audit: AuditLog,
    pub(super) masker: Masker,
    pub(super) sealer: Option<Sealer>,
    pub(super) analytics: std::sync::RwLock<Analytics>,
    pub(super) metrics: Metrics,
    pub(super) warehouse_path: std::path::PathBuf,
    pub(super) data_dir: std::path::PathBuf,
    pub(super) drills: Drills,
    /// The differential-privacy policy, when the installation turns it on ([`AppState::with_dp`]).
    pub(super) dp: std::sync::OnceLock<crate::privacy::dp::Policy>,
    /// The local language model the analyst may have reword its answers ([`AppState::with_llm`]).
    pub(super) llm: std::sync::OnceLock<crate::egress::LlmEndpoint>,
    /// Aggregate releases audited today without differential privacy.
    pub(super) released: Mutex<super::release::Released>,
    /// Hand-off's rules, destinations and field map ([`AppState::with_handoff`]; the built-in rules otherwise).
    pub(super) handoff: std::sync::OnceLock<Arc<super::Handoff>>,
}

impl AppState {
    /// The state of a server on `data_dir`: its warehouse (read-only), service database, guard, users and audit log.
    pub fn new(
        warehouse: Warehouse,
        service: Service,
        guard: KGuard,
        data_dir: &std::path::Path,
        masker: Masker,
        sealer: Option<Sealer>,
        analytics: Analytics,
    ) -> Arc<Self> {
        let generation = warehouse.generation().ok();
        let observation_date = generation.as_ref().and_then(|g| g.observation_date.parse().ok());
        let warehouse_path = warehouse.path().to_owned();
        let file = std::fs::metadata(&warehouse_path).ok();
        let modified =
            file.as_ref().and_then(|m| m.modified().ok()).and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        let data_version = format!("{generation:?} {:?} {modified:?}", file.map(|m| m.len()));
        Arc::new(AppState {
            observation_date,
            data_version,
            warehouse: Mutex::new(warehouse),
            pool: Mutex::new(Vec::new()),
            service: Mutex::new(service),
            info: tokio::sync::OnceCell::new(),
            dv_overview: tokio::sync::OnceCell::new(),
            guard,
            users: Users::new(data_dir),
            audit: AuditLog::new(data_dir),
            masker,
            sealer,
            analytics: std::sync::RwLock::new(analytics),
            metrics: Metrics::default(),
            warehouse_path,
            data_dir: data_dir.to_owned(),
            drills: Drills::default(),
            dp: std::sync::OnceLock::new(),
            released: Mutex::default(),
            llm: std::sync::OnceLock::new(),
            handoff: std::sync::OnceLock::new(),
        })
    }

    /// Turns differential privacy on for this server's aggregate views.
    pub fn with_dp(self: Arc<Self>, policy: crate::privacy::dp::Policy) -> Arc<Self> {
        let _ = self.dp.set(policy);
        self
    }

    /// Routes signals by `handoff`'s rules and delivers them to its webhooks.
    /// A destination seen for the first time starts from the newest event: it is not sent the outbox's history
    /// (an export carries that), but everything from now on.
    pub fn with_handoff(self: Arc<Self>, handoff: super::Handoff) -> Arc<Self> {
        if let Ok(service) = self.service.lock() {
            for webhook in &handoff.webhooks {
                let registered = service.destination(&webhook.name).ok().flatten().is_some();
                if !registered && let Ok(cursor) = service.last_event_no() {
                    let destination = crate::warehouse::service::Destination {
                        name: webhook.name.clone(),
                        cursor,
                        disabled_at: None,
                        disabled_reason: None,
                    };
                    if let Err(e) = service.set_destination(&destination) {
                        tracing::warn!(error = %e, webhook = %webhook.name, "cannot register a webhook destination");
                    }
                }
            }
        }
        let _ = self.handoff.set(Arc::new(handoff));
        self
    }

    /// Hand-off as configured (the built-in rules, no webhooks, unless [`AppState::with_handoff`] said otherwise).
    pub(super) fn handoff(&self) -> Arc<super::Handoff> {
        self.handoff.get_or_init(|| Arc::new(super::Handoff::builtin())).clone()
    }

    /// Lets the analyst have its templated answers reworded by `endpoint` (checked against the figures).
    pub fn with_llm(self: Arc<Self>, endpoint: crate::egress::LlmEndpoint) -> Arc<Self> {
        let _ = self.llm.set(endpoint);
        self
    }

    /// Reads the service database on a blocking thread (one user of the connection at a time).
    pub(super) async fn with_service<T, F>(self: &Arc<Self>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Service) -> warehouse::Result<T> + Send + 'static,
    {
        self.on_service(false, move |service| work(service).map_err(ApiError::from)).await
    }

    /// Runs writes on the service database in one transaction: a request that fails part-way leaves nothing of
    /// itself behind. The work decides its own HTTP errors.
    pub(super) async fn with_service_result<T, F>(self: &Arc<Self>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
    {
        self.on_service(true, work).await
    }

    async fn on_service<T, F>(self: &Arc<Self>, transactional: bool, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        blocking(move || {
            let service = state.service.lock().map_err(|_| ApiError::internal("service lock poisoned"))?;
            if transactional { service.transaction(work) } else { work(&service) }
        })
        .await
    }

    /// Runs `work` on a blocking thread with a handle on the warehouse. Handles are pooled, so their prepared
    /// statements stay cached between requests.
    pub(super) async fn with_warehouse<T, F>(self: &Arc<Self>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Warehouse) -> warehouse::Result<T> + Send + 'static,
    {
        let pooled = self.pool.lock().map_err(|_| ApiError::internal("warehouse pool poisoned"))?.pop();
        let handle = match pooled {
            Some(handle) => handle,
            None => self.warehouse.lock().map_err(|_| ApiError::internal("warehouse lock poisoned"))?.handle()?,
        };
        let state = self.clone();
        blocking(move || {
            let result = work(&handle);
            if let Ok(mut pool) = state.pool.lock()
                && pool.len() < 8
            {
                pool.push(handle);
            }
            Ok(result?)
        })
        .await
    }

    /// The warehouse summary, computed once: the server opens the warehouse read-only, so it cannot change.
    pub(super) async fn info(self: &Arc<Self>) -> Result<Info, ApiError> {
        self.info.get_or_try_init(|| self.with_warehouse(|w| w.info())).await.cloned()
    }

    /// The portfolio, or 503 while it loads or when there is none.
    pub(super) fn portfolio(&self) -> Result<Arc<Portfolio>, ApiError> {
        let analytics = self.analytics.read().map_err(|_| ApiError::internal("analytics lock poisoned"))?;
        match &*analytics {
            Analytics::Ready(portfolio) => Ok(portfolio.clone()),
            Analytics::Loading => Err(ApiError::Unavailable(
                "the risk analytics are still loading (a few seconds after start; longer for millions of people): retry shortly"
                    .into(),
            )),
            Analytics::Unavailable(why) => Err(ApiError::Unavailable(why.clone())),
        }
    }

    /// Loads the portfolio on a blocking thread; views answer 503 until it is ready.
    pub fn load_analytics(self: &Arc<Self>, artifact: Artifact) {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let loaded = state
                .warehouse
                .lock()
                .map_err(|_| "warehouse lock poisoned".to_owned())
                .and_then(|w| w.handle().map_err(|e| e.to_string()))
                .and_then(|handle| handle.portfolio(artifact).map_err(|e| e.to_string()));
            let next = match loaded {
                Ok(portfolio) => {
                    tracing::info!(
                        people = portfolio.len(),
                        seconds = started.elapsed().as_secs_f64(),
                        "analytics ready"
                    );
                    Analytics::Ready(Arc::new(portfolio))
                }
                Err(why) => {
                    tracing::warn!(%why, "analytics unavailable");
                    Analytics::Unavailable(why)
                }
            };
            if let Ok(mut analytics) = state.analytics.write() {
                *analytics = next;
            }
        });
    }
}
