//! The HTTP application: routes through `oneshot`, and the real binary on a real socket.

use crate::support::http::call_as;
use crate::support::{open_shared, token};
use axum::http::{Method, StatusCode};
use safehaven::privacy::roles::Role;
use std::io::{BufRead, BufReader, Read, Write};

/// Calls the application as an admin.
async fn call(method: Method, uri: &str) -> (StatusCode, String, String) {
    call_as(Some(token(Role::Admin)), method, uri).await
}

#[tokio::test]
async fn healthz_is_ok() {
    let (status, _, body) = call(Method::GET, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn info_matches_the_warehouse() {
    let (status, content_type, body) = call(Method::GET, "/api/v1/info").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/json"));
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    let expected = serde_json::to_value(open_shared().info().unwrap()).unwrap();
    assert_eq!(info, expected);
}

#[tokio::test]
async fn front_page_and_assets_are_served_from_the_binary() {
    let (status, content_type, body) = call(Method::GET, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(body.contains("id=\"login-form\"") && body.contains("<script type=\"module\" src=\"/assets/js/main.js\">"));
    for (path, kind) in [
        ("/assets/js/main.js", "text/javascript"),
        ("/assets/js/views/executive.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let (status, content_type, _) = call(Method::GET, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
    }
}

#[tokio::test]
async fn population_is_guarded() {
    let (status, _, body) = call(Method::GET, "/api/v1/population/regions").await;
    assert_eq!(status, StatusCode::OK);
    let guarded: serde_json::Value = serde_json::from_str(&body).unwrap();
    let k = guarded["k"].as_u64().unwrap();
    let cells = guarded["cells"].as_array().unwrap();
    assert!(cells.len() >= 45);
    for cell in cells {
        match cell["count"].as_u64() {
            Some(count) => assert!(count == 0 || count >= k, "{cell}"),
            None => assert_eq!(cell["suppressed"], true),
        }
    }
    // 2,000 customers across 51 regions: the small states must be suppressed, and never as a lone cell.
    let suppressed = cells.iter().filter(|c| c["suppressed"] == true).count();
    assert!(suppressed >= 2, "{suppressed} suppressed");
}

#[tokio::test]
async fn population_chart_is_svg() {
    let (status, content_type, body) = call(Method::GET, "/api/v1/charts/population-by-region.svg").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("image/svg+xml"));
    assert!(body.starts_with("<svg") && body.contains("<title"));
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    for (method, uri, status, code) in [
        (Method::GET, "/api/v1/nope", StatusCode::NOT_FOUND, "not_found"),
        (Method::GET, "/assets/../Cargo.toml", StatusCode::NOT_FOUND, "not_found"),
        (Method::GET, "/assets/missing.js", StatusCode::NOT_FOUND, "not_found"),
        (Method::POST, "/healthz", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        (Method::DELETE, "/api/v1/info", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
    ] {
        let (got, content_type, body) = call(method.clone(), uri).await;
        assert_eq!(got, status, "{method} {uri}");
        assert!(content_type.starts_with("application/json"), "{method} {uri}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], code, "{method} {uri}");
        assert!(error["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

/// The real binary, serving on a free port: read the URL it prints, then speak HTTP to it.
#[test]
fn serve_on_a_real_socket_prints_its_url_and_answers() {
    // Its own data dir: a serving process holds the service database, and the tests hold the shared one.
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 1, 2);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args(["serve", "--port", "0", "--data-dir", dir.path().to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL on stdout").to_owned();
    let authority = url.trim_start_matches("http://").trim_end_matches('/').to_owned();

    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#"{"status":"ok"}"#));
    assert!(response.to_ascii_lowercase().contains("x-content-type-options: nosniff"));
}
