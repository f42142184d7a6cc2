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

impl Server {
    /// `127.0.0.1:PORT`.
    pub fn authority(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// `kill -9`.
    pub fn kill(self) {
        drop(self);
    }

    /// A request over plain HTTP/1.1: the status and the JSON body (`Null` when there is none).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let content = if body.is_empty() { "" } else { "Content-Type: application/json\r\n" };
        let response = self.exchange(&format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n{content}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.authority(),
            body.len()
        ));
        let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let text = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        // Bodies may come chunked: the JSON is between the first `{` and the last `}`.
        let json = match (text.find('{'), text.rfind('}')) {
            (Some(a), Some(b)) if b > a => serde_json::from_str(&text[a..=b]).unwrap_or(serde_json::Value::Null),
            _ => serde_json::Value::Null,
        };
        (status, json)
    }

    /// `GET path` without a token: the whole response, head and body.
    pub fn text(&self, path: &str) -> String {
        self.exchange(&format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.authority()))
    }

    fn exchange(&self, request: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(self.authority()).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }
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
