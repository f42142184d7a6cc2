//! The audit log: append-only, hash-chained, fsynced JSON lines in the data dir.
//!
//! Each entry carries the previous entry's hash and its own hash over its content, so editing, deleting or
//! reordering an entry breaks the chain at that entry. A head file records the last sequence number and hash, so
//! cutting entries off the end is detected too. Entries record who, when, what and why, never the PII itself.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

pub const LOG_FILE: &str = "audit.log";
pub const HEAD_FILE: &str = "audit.head";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry says, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub reason: String,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub reason: String,
    pub prev: String,
    pub hash: String,
}

/// The hashed content of an entry: everything but its own hash, in a fixed order.
#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    time: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    reason: &'a str,
    prev: &'a str,
}

impl Entry {
    fn compute_hash(&self) -> String {
        let hashed = Hashed {
            seq: self.seq,
            time: &self.time,
            actor: &self.actor,
            action: &self.action,
            subject: &self.subject,
            reason: &self.reason,
            prev: &self.prev,
        };
        let bytes = serde_json::to_vec(&hashed).expect("plain strings serialise");
        hex::encode(Sha256::digest(bytes))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot write the audit log {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read the audit log {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "the last entry of the audit log {path} (line {line}) is unreadable, so nothing can be chained to it: run `safehaven audit verify` and restore the log from backup"
    )]
    Damaged { path: PathBuf, line: usize },
}

/// The first problem `verify` finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// 1-based line number in the log.
    pub line: usize,
    pub problem: String,
}

/// The audit log of one data dir.
#[derive(Debug, Clone)]
pub struct AuditLog {
    dir: PathBuf,
}

impl AuditLog {
    pub fn new(data_dir: &Path) -> Self {
        AuditLog { dir: data_dir.to_owned() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }

    fn head_path(&self) -> PathBuf {
        self.dir.join(HEAD_FILE)
    }

    /// Appends one event, chained to the last entry, and fsyncs it. Concurrent writers are serialised by an
    /// exclusive lock on the log file.
    pub fn append(&self, event: Event, time: String) -> Result<Entry, Error> {
        let path = self.path();
        let write_err = |source| Error::Write { path: path.clone(), source };
        fs::create_dir_all(&self.dir).map_err(write_err)?;
        let mut options = OpenOptions::new();
        options.create(true).append(true).read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(write_err)?;
        file.lock().map_err(write_err)?;
        let last = last_entry(&path)
            .map_err(|source| Error::Read { path: path.clone(), source })?
            .map_err(|line| Error::Damaged { path: path.clone(), line })?;
        let (seq, prev) = match last {
            Some(entry) => (entry.seq + 1, entry.hash),
            None => (1, GENESIS.to_owned()),
        };
        let mut entry = Entry {
            seq,
            time,
            actor: event.actor,
            action: event.action,
            subject: event.subject,
            reason: event.reason,
            prev,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        let mut line = serde_json::to_string(&entry).expect("entry serialises");
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        self.write_head(&entry).map_err(write_err)?;
        Ok(entry)
    }

    fn write_head(&self, entry: &Entry) -> std::io::Result<()> {
        super::write_private(&self.head_path(), format!("{} {}\n", entry.seq, entry.hash).as_bytes())
    }

    /// Every entry, in order (unverified).
    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        let path = self.path();
        let read_err = |source| Error::Read { path: path.clone(), source };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(read_err(e)),
        };
        let mut entries = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line.map_err(read_err)?;
            if let Ok(entry) = serde_json::from_str(&line) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Walks the chain. `Ok(Ok(n))`: n entries, all intact; `Ok(Err(broken))`: the first broken entry.
    pub fn verify(&self) -> Result<Result<u64, Broken>, Error> {
        let path = self.path();
        let read_err = |source| Error::Read { path: path.clone(), source };
        let lines: Vec<String> = match File::open(&path) {
            Ok(f) => BufReader::new(f).lines().collect::<Result<_, _>>().map_err(read_err)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(read_err(e)),
        };
        let head = fs::read_to_string(self.head_path()).ok();
        Ok(verify_lines(&lines, head.as_deref()))
    }
}

/// Checks each line against the chain, then the last entry against the head record.
pub fn verify_lines(lines: &[String], head: Option<&str>) -> Result<u64, Broken> {
    let mut prev = GENESIS.to_owned();
    let mut last: Option<Entry> = None;
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let broken = |problem: String| Broken { line: n, problem };
        let entry: Entry = serde_json::from_str(line).map_err(|e| broken(format!("not a valid entry ({e})")))?;
        let expected_seq = n as u64;
        if entry.seq != expected_seq {
            return Err(broken(format!(
                "sequence number {} where {expected_seq} was expected (entries removed or reordered)",
                entry.seq
            )));
        }
        if entry.prev != prev {
            return Err(broken(
                "does not chain to the entry before it (an entry was removed, reordered or edited)".into(),
            ));
        }
        if entry.compute_hash() != entry.hash {
            return Err(broken("its content does not match its hash (the entry was edited)".into()));
        }
        prev = entry.hash.clone();
        last = Some(entry);
    }
    if let Some(head) = head {
        let mut parts = head.split_whitespace();
        let seq: Option<u64> = parts.next().and_then(|s| s.parse().ok());
        let hash = parts.next();
        let matches = match &last {
            Some(entry) => seq == Some(entry.seq) && hash == Some(entry.hash.as_str()),
            None => false,
        };
        if !matches {
            return Err(Broken {
                line: lines.len() + 1,
                problem: format!(
                    "the log ends at entry {} but its head record names entry {} (entries were cut off the end)",
                    last.as_ref().map_or(0, |e| e.seq),
                    seq.map_or_else(|| "?".into(), |s| s.to_string())
                ),
            });
        }
    }
    Ok(last.map_or(0, |e| e.seq))
}

/// The last entry, or the number of the last line if it does not parse (a torn write or an edit).
fn last_entry(path: &Path) -> std::io::Result<Result<Option<Entry>, usize>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(None)),
        Err(e) => return Err(e),
    };
    let mut last = None;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if !line.trim().is_empty() {
            last = Some((n + 1, line));
        }
    }
    Ok(match last {
        None => Ok(None),
        Some((n, line)) => serde_json::from_str(&line).map(Some).map_err(|_| n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> Event {
        Event {
            actor: "alice".into(),
            action: "reveal".into(),
            subject: format!("SH-0000-000{n}"),
            reason: "case review".into(),
        }
    }

    fn log_with(n: u32) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        for i in 0..n {
            log.append(event(i), format!("2026-01-01T00:00:0{i}Z")).unwrap();
        }
        (dir, log)
    }

    fn lines(log: &AuditLog) -> Vec<String> {
        fs::read_to_string(log.path()).unwrap().lines().map(str::to_owned).collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let (_dir, log) = log_with(4);
        assert_eq!(log.verify().unwrap(), Ok(4));
        assert_eq!(log.entries().unwrap().len(), 4);
    }

    #[test]
    fn editing_an_entry_is_named() {
        let (_dir, log) = log_with(4);
        let mut l = lines(&log);
        l[1] = l[1].replace("case review", "nothing to see");
        assert_eq!(verify_lines(&l, None).unwrap_err().line, 2);
    }

    #[test]
    fn deleting_an_entry_is_named() {
        let (_dir, log) = log_with(4);
        let mut l = lines(&log);
        l.remove(2);
        assert_eq!(verify_lines(&l, None).unwrap_err().line, 3);
    }

    #[test]
    fn reordering_entries_is_named() {
        let (_dir, log) = log_with(4);
        let mut l = lines(&log);
        l.swap(1, 2);
        assert_eq!(verify_lines(&l, None).unwrap_err().line, 2);
    }

    #[test]
    fn a_torn_last_line_stops_appends() {
        let (_dir, log) = log_with(2);
        let mut text = fs::read_to_string(log.path()).unwrap();
        text.push_str("{\"seq\":3,\"ti");
        fs::write(log.path(), text).unwrap();
        assert!(matches!(log.append(event(9), "t".into()), Err(Error::Damaged { line: 3, .. })));
    }

    #[test]
    fn cutting_the_tail_is_detected_by_the_head() {
        let (_dir, log) = log_with(4);
        let mut l = lines(&log);
        l.pop();
        let head = fs::read_to_string(log.dir.join(HEAD_FILE)).unwrap();
        let broken = verify_lines(&l, Some(&head)).unwrap_err();
        assert!(broken.problem.contains("cut off"), "{broken:?}");
    }
}
