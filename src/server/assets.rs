//! The dashboard's static files, embedded in the binary from `embedded/`.

use super::ApiError;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "embedded/"]
struct Assets;

pub async fn index() -> Result<Response, ApiError> {
    serve("index.html")
}

pub async fn asset(Path(path): Path<String>) -> Result<Response, ApiError> {
    serve(&path)
}

fn serve(path: &str) -> Result<Response, ApiError> {
    let file = Assets::get(path).ok_or_else(|| ApiError::NotFound(format!("no asset {path}")))?;
    let mime = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "no-cache")], file.data).into_response())
}
