//! The data dir's drill store, `DATA_DIR/drills/`: one append-only, fsynced JSON-lines log per run
//! (`<RUN_ID>.jsonl`), the lock that keeps one drill per data dir, the lock a serving process holds (so the CLI
//! knows a server runs drills for this data dir), and the inbox through which `safehaven drill start|pause|
//! resume|stop` hand commands to that server without a network call.

use crate::chaos::drill::Line;
use crate::text::clip;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const DIR: &str = "drills";
const ACTIVE_LOCK: &str = "active.lock";
const SERVER_LOCK: &str = "server.lock";
const INBOX: &str = "inbox";
/// How long a command may wait in the inbox (longer than the CLI waits for a reply).
const STALE: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot use the drill store {path}: {source}: check the data dir's permissions")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("drill log {path} line {line} is unreadable ({detail}): the log was edited or damaged")]
    Damaged { path: PathBuf, line: usize, detail: String },
    #[error(
        "`{0}` is not a drill run ID (they look like DR-20261123-093000-1a2b3c): `safehaven drill list` shows the runs"
    )]
    BadRunId(String),
}

impl Error {
    /// Whether the user passed something wrong (exit code 2), rather than the store failing (1).
    pub fn is_input_error(&self) -> bool {
        matches!(self, Error::BadRunId(_))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_owned(), source }
}

fn dir(data_dir: &Path) -> Result<PathBuf> {
    let dir = data_dir.join(DIR);
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    Ok(dir)
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Checks a run ID before it names a file: `DR-YYYYMMDD-HHMMSS-xxxxxx`.
pub fn check_run_id(id: &str) -> Result<()> {
    let b = id.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 25
        && id.starts_with("DR-")
        && digits(3..11)
        && b[11] == b'-'
        && digits(12..18)
        && b[18] == b'-'
        && b[19..].iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
    if ok { Ok(()) } else { Err(Error::BadRunId(clip(id, 40))) }
}

/// A new run ID.
pub fn new_run_id() -> String {
    let mut nonce = [0u8; 3];
    getrandom::fill(&mut nonce).unwrap_or_default();
    format!("DR-{}-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"), hex::encode(nonce))
}

/// A run's log, open for appending.
pub struct DrillLog {
    path: PathBuf,
    file: File,
}

impl DrillLog {
    /// Creates a new run's log (never an existing one).
    pub fn create(data_dir: &Path, run_id: &str) -> Result<DrillLog> {
        check_run_id(run_id)?;
        let path = dir(data_dir)?.join(format!("{run_id}.jsonl"));
        let file = private_options().create_new(true).append(true).open(&path).map_err(io(&path))?;
        Ok(DrillLog { path, file })
    }

    /// Appends a line and syncs it to disk before returning.
    pub fn append(&mut self, line: &Line) -> Result<()> {
        let mut bytes =
            serde_json::to_vec(line).map_err(|e| Error::Io { path: self.path.clone(), source: e.into() })?;
        bytes.push(b'\n');
        let before = self.file.metadata().map_err(io(&self.path))?.len();
        let written = self.file.write_all(&bytes).and_then(|()| self.file.sync_data());
        if written.is_err() {
            // A partial line (disk full) would damage the log: cut it back to its last whole line.
            let _ = self.file.set_len(before);
        }
        written.map_err(io(&self.path))
    }
}

/// Removes a run's log that never started (its start could not be audited or written).
pub fn discard(data_dir: &Path, run_id: &str) {
    if check_run_id(run_id).is_ok() {
        let _ = fs::remove_file(data_dir.join(DIR).join(format!("{run_id}.jsonl")));
    }
}

/// A run's log; `None` when there is no such run. A last line cut off by a crash mid-write is left out.
pub fn read(data_dir: &Path, run_id: &str) -> Result<Option<Vec<Line>>> {
    check_run_id(run_id)?;
    let path = data_dir.join(DIR).join(format!("{run_id}.jsonl"));
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path)(e)),
    };
    let mut lines = Vec::new();
    let mut reader = BufReader::new(file);
    let mut text = String::new();
    let mut number = 0;
    loop {
        text.clear();
        if reader.read_line(&mut text).map_err(io(&path))? == 0 {
            break;
        }
        number += 1;
        if !text.ends_with('\n') {
            break; // torn last line
        }
        let line: Line = serde_json::from_str(&text).map_err(|e| Error::Damaged {
            path: path.clone(),
            line: number,
            detail: e.to_string(),
        })?;
        lines.push(line);
    }
    Ok(Some(lines))
}

/// A run, as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillRunSummary {
    pub run_id: String,
    pub drill: String,
    pub started: String,
    /// running, paused, finished, stopped, interrupted.
    pub status: String,
    pub day: f64,
    pub events: u64,
    pub actions: u64,
}

/// Every run, newest first. `live` is the run a process is running now, if any (its log has no end yet).
pub fn list(data_dir: &Path, live: Option<&str>) -> Result<Vec<DrillRunSummary>> {
    let dir = data_dir.join(DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut runs = Vec::new();
    for entry in entries {
        let name = entry.map_err(io(&dir))?.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".jsonl") else { continue };
        if check_run_id(id).is_err() {
            continue;
        }
        let log = match read(data_dir, id) {
            Ok(Some(log)) => log,
            Ok(None) => continue,
            // One damaged log does not hide the others: it is listed as such.
            Err(Error::Damaged { line, .. }) => {
                runs.push(DrillRunSummary {
                    run_id: id.to_owned(),
                    drill: format!("(log damaged at line {line})"),
                    started: String::new(),
                    status: "damaged".into(),
                    day: 0.0,
                    events: 0,
                    actions: 0,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let Some(state) = crate::chaos::drill::RunState::fold(&log, live == Some(id)) else { continue };
        runs.push(DrillRunSummary {
            run_id: id.to_owned(),
            drill: state.drill.name.clone(),
            started: state.started_wall.clone(),
            status: state.status.name().to_owned(),
            day: state.day,
            events: state.events.len() as u64,
            actions: state.actions.len() as u64,
        });
    }
    runs.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| b.run_id.cmp(&a.run_id)));
    Ok(runs)
}

/// An exclusive lock on a file in the drill store, released when dropped or when the process ends (so a
/// killed process never leaves a stale lock). The file holds a short note for whoever finds it taken.
pub struct Lock {
    file: File,
}

fn try_lock(data_dir: &Path, name: &str, note: &str) -> Result<std::result::Result<Lock, String>> {
    let path = dir(data_dir)?.join(name);
    let mut file =
        private_options().read(true).write(true).create(true).truncate(false).open(&path).map_err(io(&path))?;
    match lock_patiently(&file) {
        Ok(()) => {
            file.set_len(0).map_err(io(&path))?;
            file.rewind().map_err(io(&path))?;
            file.write_all(note.as_bytes()).map_err(io(&path))?;
            file.sync_data().map_err(io(&path))?;
            Ok(Ok(Lock { file }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut held = String::new();
            let _ = file.read_to_string(&mut held);
            Ok(Err(held.trim().to_owned()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

impl Lock {
    /// Replaces the note (e.g. the run ID of the drill holding the lock).
    pub fn note(&mut self, note: &str) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(note.as_bytes())
    }
}

/// The one-drill-per-data-dir lock; `Err(run ID)` when another process's drill holds it.
pub fn lock_active(data_dir: &Path, run_id: &str) -> Result<std::result::Result<Lock, String>> {
    try_lock(data_dir, ACTIVE_LOCK, run_id)
}

/// Taken by a serving process for its lifetime, noting its URL; `Err(url)` when another process serves.
pub fn lock_server(data_dir: &Path, url: &str) -> Result<std::result::Result<Lock, String>> {
    try_lock(data_dir, SERVER_LOCK, url)
}

/// The URL of the process serving this data dir, if one is.
pub fn running_server(data_dir: &Path) -> Result<Option<String>> {
    held(&data_dir.join(DIR).join(SERVER_LOCK))
}

/// Tries a lock a few times over 50 ms: another process may hold it only for a moment, to look at it.
fn lock_patiently(file: &File) -> std::result::Result<(), std::fs::TryLockError> {
    let mut tries = 0;
    loop {
        match file.try_lock() {
            Err(std::fs::TryLockError::WouldBlock) if tries < 5 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// The note of a lock file another process holds; `None` when it is free (or was never made).
fn held(path: &Path) -> Result<Option<String>> {
    if !path.exists() {
        return Ok(None);
    }
    let file = private_options().read(true).write(true).open(path).map_err(io(path))?;
    match lock_patiently(&file) {
        Ok(()) => Ok(None),
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut note = String::new();
            let _ = (&file).read_to_string(&mut note);
            Ok(Some(note.trim().to_owned()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(path)(e)),
    }
}

/// A command for the serving process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum Command {
    /// Start a drill: its definition, already parsed and checked by the sender.
    Start {
        drill: crate::chaos::drill::Drill,
    },
    Pause,
    Resume,
    Stop,
    /// Export the hand-off outbox's events after `since` (up to `until`) as Salesforce files into `out`.
    HandoffExport {
        out: PathBuf,
        since: i64,
        until: Option<i64>,
        actor: String,
    },
    /// Apply a CRM outcomes file: its name (for messages) and text.
    HandoffOutcomes {
        file: String,
        text: String,
        actor: String,
    },
}

/// The server's answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    pub ok: bool,
    pub run_id: Option<String>,
    pub message: String,
}

/// Posts a command for the serving process; returns the path its reply will have.
pub fn post(data_dir: &Path, command: &Command) -> Result<PathBuf> {
    let inbox = dir(data_dir)?.join(INBOX);
    fs::create_dir_all(&inbox).map_err(io(&inbox))?;
    let mut nonce = [0u8; 6];
    getrandom::fill(&mut nonce).unwrap_or_default();
    let id = hex::encode(nonce);
    let bytes = serde_json::to_vec(command).map_err(|e| Error::Io { path: inbox.clone(), source: e.into() })?;
    // Written whole, then renamed into place: the server never reads half a command.
    crate::privacy::write_private(&inbox.join(format!("{id}.cmd")), &bytes).map_err(io(&inbox))?;
    Ok(inbox.join(format!("{id}.reply")))
}

/// Waits up to `timeout` for the reply at `reply_path`; `None` if none came.
pub fn wait(reply_path: &Path, timeout: Duration) -> Result<Option<Reply>> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Ok(text) = fs::read(reply_path) {
            let _ = fs::remove_file(reply_path);
            return Ok(serde_json::from_slice(&text).ok());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok(None)
}

/// Posts a command and waits up to `timeout` for the server's reply; `None` if none came (the command is then
/// withdrawn, so a later server does not act on it).
pub fn send(data_dir: &Path, command: &Command, timeout: Duration) -> Result<Option<Reply>> {
    let reply_path = post(data_dir, command)?;
    let reply = wait(&reply_path, timeout)?;
    if reply.is_none() {
        let _ = fs::remove_file(reply_path.with_extension("cmd"));
    }
    Ok(reply)
}

/// The run ID of the drill a process is running on this data dir now, if any.
pub fn active_run(data_dir: &Path) -> Result<Option<String>> {
    held(&data_dir.join(DIR).join(ACTIVE_LOCK))
}

/// Takes the commands waiting in the inbox, oldest first; each comes with the path its reply goes to.
pub fn take(data_dir: &Path) -> Result<Vec<(PathBuf, std::result::Result<Command, String>)>> {
    let inbox = data_dir.join(DIR).join(INBOX);
    let entries = match fs::read_dir(&inbox) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&inbox)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(&inbox))?;
        let path = entry.path();
        let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|m| m.elapsed().ok()).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "reply") && age > STALE {
            let _ = fs::remove_file(&path); // nobody waits for it any more
        }
        if path.extension().is_some_and(|e| e == "cmd") {
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            found.push((modified, path));
        }
    }
    found.sort();
    let mut commands = Vec::new();
    for (modified, path) in found {
        let Ok(bytes) = fs::read(&path) else { continue };
        let _ = fs::remove_file(&path);
        // A command nobody took for longer than a sender waits is stale: refused, never acted on late.
        let age = modified.and_then(|m| m.elapsed().ok()).unwrap_or_default();
        if age > STALE {
            commands.push((
                path.with_extension("reply"),
                Err(format!("a command from {} s ago was dropped", age.as_secs())),
            ));
            continue;
        }
        let command = serde_json::from_slice(&bytes).map_err(|e| format!("unreadable command: {e}"));
        commands.push((path.with_extension("reply"), command));
    }
    Ok(commands)
}

/// Answers a command taken from the inbox.
pub fn reply(path: &Path, reply: &Reply) -> Result<()> {
    let bytes = serde_json::to_vec(reply).map_err(|e| Error::Io { path: path.to_owned(), source: e.into() })?;
    crate::privacy::write_private(path, &bytes).map_err(io(path))
}
