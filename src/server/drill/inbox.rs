//! The CLI's commands for the serving process (drills, and hand-off's export and outcomes, which need the
//! service database the server holds), taken from the data dir's inbox (never the network) and answered there.

use super::control::{control, start};
use crate::server::blocking;
use crate::server::{ApiError, AppState};
use crate::warehouse::drill_log as store;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Takes the CLI's commands from the data dir's inbox, every 200 ms, for the life of the server. A start waits
/// while the analytics load.
pub async fn watch_inbox(state: Arc<AppState>) {
    // Starts wait here while the analytics load, but never longer than the CLI waits for an answer.
    const PATIENCE: Duration = Duration::from_secs(50);
    let mut pending: Vec<(std::path::PathBuf, store::Command, Instant)> = Vec::new();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let data_dir = state.data_dir.clone();
        let taken = tokio::task::spawn_blocking(move || store::take(&data_dir)).await;
        if let Ok(Ok(taken)) = taken {
            for (reply_to, command) in taken {
                match command {
                    Ok(c) => pending.push((reply_to, c, Instant::now())),
                    Err(why) => answer(&reply_to, Err(ApiError::BadRequest(why))),
                }
            }
        }
        let mut waiting = Vec::new();
        for (reply_to, command, since) in pending.drain(..) {
            if let Some(reply) = crate::server::handoff::inbox_command(&state, &command).await {
                if let Err(e) = store::reply(&reply_to, &reply) {
                    tracing::warn!(error = %e, "cannot answer a hand-off command");
                }
                continue;
            }
            let loading = matches!(state.analytics.read().as_deref(), Ok(crate::server::Analytics::Loading));
            let result = match command {
                store::Command::Start { .. } if loading && since.elapsed() > PATIENCE => Err(ApiError::Unavailable(
                    "the analytics are still loading: start the drill once the server's log says `analytics ready`"
                        .into(),
                )),
                store::Command::Start { drill } if loading => {
                    waiting.push((reply_to, store::Command::Start { drill }, since));
                    continue;
                }
                store::Command::Start { drill } => start(&state, drill, "cli").await,
                store::Command::Pause => cli_control(&state, "pause").await,
                store::Command::Resume => cli_control(&state, "resume").await,
                store::Command::Stop => cli_control(&state, "stop").await,
                store::Command::HandoffExport { .. } | store::Command::HandoffOutcomes { .. } => continue,
            };
            if let Ok(snapshot) = &result {
                tracing::info!(run = %snapshot["state"]["runId"].as_str().unwrap_or("?"), "drill command from the CLI");
            }
            answer(&reply_to, result);
        }
        pending = waiting;
    }
}

async fn cli_control(state: &Arc<AppState>, kind: &'static str) -> Result<Value, ApiError> {
    let state = state.clone();
    blocking(move || control(&state, None, kind, &crate::config::operator(), "cli")).await
}

fn answer(reply_to: &std::path::Path, result: Result<Value, ApiError>) {
    let reply = match result {
        Ok(snapshot) => store::Reply {
            ok: true,
            run_id: snapshot["state"]["runId"].as_str().map(str::to_owned),
            message: format!(
                "drill {} is {}",
                snapshot["state"]["runId"].as_str().unwrap_or("?"),
                snapshot["state"]["status"].as_str().unwrap_or("?")
            ),
        },
        Err(e) => {
            if let Some(cause) = e.cause() {
                tracing::error!(%cause, "internal error answering a drill command");
            }
            store::Reply { ok: false, run_id: None, message: e.message() }
        }
    };
    if let Err(e) = store::reply(reply_to, &reply) {
        tracing::warn!(error = %e, "cannot answer a drill command");
    }
}
