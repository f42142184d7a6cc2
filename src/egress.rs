//! The one module that opens outbound connections, and only to what an operator configured: today the optional
//! local language model's OpenAI-compatible chat endpoint (`--llm-endpoint`, or `[analyst] llm_endpoint` in
//! `appliance.toml`), which must be on a loopback address. The address is checked when it is configured; the
//! client uses no proxy, follows no redirect and gives up after the caller's timeout. Nothing else in SafeHaven
//! opens a socket to anywhere.

use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::Duration;

/// A chat endpoint on this machine, e.g. `http://127.0.0.1:8080/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmEndpoint {
    base: hyper::Uri,
    host: String,
    port: u16,
    model: String,
}

/// Whether a host is this machine: a loopback address, or `localhost`.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl LlmEndpoint {
    /// The endpoint at `url` (its `/chat/completions` is called), if it is plain HTTP on a loopback address.
    pub fn loopback(url: &str, model: Option<&str>) -> Result<LlmEndpoint, String> {
        let shown = crate::text::clip(url, 80);
        let base: hyper::Uri = url.trim().parse().map_err(|e| {
            format!("--llm-endpoint `{shown}` is not a URL ({e}); write it like http://127.0.0.1:8080/v1")
        })?;
        if base.scheme_str() != Some("http") {
            return Err(format!(
                "--llm-endpoint `{shown}`: only http:// to a loopback address is allowed (the model runs on this machine)"
            ));
        }
        let host = base.host().unwrap_or_default().to_owned();
        if !is_loopback(&host) {
            return Err(format!(
                "--llm-endpoint `{shown}` is not on this machine: only 127.0.0.0/8, ::1 or localhost are allowed, so nothing leaves the appliance"
            ));
        }
        let port = base.port_u16().unwrap_or(80);
        Ok(LlmEndpoint { base, host, port, model: model.unwrap_or("local").to_owned() })
    }

    pub fn url(&self) -> String {
        self.base.to_string()
    }

    /// One chat completion: `system` and `user` messages in, the reply's text out, or why there is none. The whole
    /// exchange (connect, send, read) has `timeout`.
    pub async fn complete(&self, system: &str, user: &str, timeout: Duration) -> Result<String, String> {
        let body = json!({
            "model": self.model,
            "temperature": 0,
            "messages": [{ "role": "system", "content": system }, { "role": "user", "content": user }],
        });
        match tokio::time::timeout(timeout, self.post(body)).await {
            Ok(result) => result,
            Err(_) => Err(format!("the language model did not answer within {:.0} s", timeout.as_secs_f64())),
        }
    }

    async fn post(&self, body: Value) -> Result<String, String> {
        use http_body_util::BodyExt;
        let unreachable = || format!("the language model at {} could not be reached", self.base);
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let stream = tokio::net::TcpStream::connect((host, self.port)).await.map_err(|_| unreachable())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|_| unreachable())?;
        let driver = tokio::spawn(connection);
        let path = format!("{}/chat/completions", self.base.path().trim_end_matches('/'));
        let request = hyper::Request::post(path)
            .header(hyper::header::HOST, format!("{}:{}", self.host, self.port))
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body.to_string())))
            .map_err(|e| format!("the request to the language model could not be made: {e}"))?;
        let response = sender.send_request(request).await.map_err(|_| unreachable())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|_| "the language model's answer broke off".to_owned())?
            .to_bytes();
        driver.abort();
        if !status.is_success() {
            return Err(format!("the language model answered {status}"));
        }
        let reply: Value = serde_json::from_slice(&bytes)
            .map_err(|_| "the language model's answer is not an OpenAI-style chat completion".to_owned())?;
        reply["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "the language model's answer has no choices[0].message.content".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_this_machine_is_allowed() {
        for ok in
            ["http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:9000/v1", "http://127.1.2.3/v1"]
        {
            assert!(LlmEndpoint::loopback(ok, None).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://10.0.0.5:8080/v1", "not on this machine"),
            ("http://api.example.com/v1", "not on this machine"),
            ("https://127.0.0.1/v1", "only http://"),
            ("127.0.0.1:8080", "only http://"),
            ("not a url", "not a URL"),
        ] {
            let err = LlmEndpoint::loopback(bad, None).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
