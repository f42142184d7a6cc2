//! The real binary: commands run as a user runs them, and a server on a free loopback port.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Runs the `safehaven` binary with `args`.
pub fn safehaven(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args(args)
        .env_remove("SAFEHAVEN_LOG")
        .env_remove("RUST_LOG")
        .env_remove("SAFEHAVEN_RECIPIENT")
        .output()
        .expect("binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// The real binary serving a data dir on a free loopback port; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `safehaven serve` on `data_dir` and waits for the URL it prints.
pub fn serve(data_dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args(["serve", "--port", "0", "--data-dir", data_dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base =
        line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").trim_end_matches('/').to_owned();
    Server { child, base }
}
