//! The one module that opens outbound connections, and only to what an operator configured: the optional local
//! language model's OpenAI-compatible chat endpoint (`--llm-endpoint`, or `[analyst] llm_endpoint` in
//! `appliance.toml`), which must be on a loopback address; and hand-off webhooks (`[[handoff.webhook]]`), which may
//! reach loopback and the networks the operator lists in `[handoff] allowed_networks`, nothing else. Addresses are
//! checked when configured and again after every DNS resolution, and the connection goes to the address checked;
//! the client is plain HTTP/1, uses no proxy, follows no redirect and gives up after the caller's timeout. Nothing
//! else in SafeHaven opens a socket to anywhere.

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

/// The networks a webhook may reach: loopback always, and the CIDRs the operator lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedNetworks(Vec<ipnet::IpNet>);

impl AllowedNetworks {
    /// `[handoff] allowed_networks`, e.g. `["10.20.0.0/16", "192.168.1.7/32"]`.
    pub fn parse(cidrs: &[String]) -> Result<AllowedNetworks, String> {
        let nets = cidrs
            .iter()
            .map(|c| {
                c.trim().parse::<ipnet::IpNet>().map_err(|_| {
                    format!(
                        "[handoff] allowed_networks: `{}` is not a network; write it like 10.20.0.0/16",
                        crate::text::clip(c, 60)
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AllowedNetworks(nets))
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        ip.is_loopback() || self.0.iter().any(|net| net.contains(&ip))
    }

    fn describe(&self) -> String {
        let listed: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        if listed.is_empty() {
            "loopback only (list more in [handoff] allowed_networks)".to_owned()
        } else {
            format!("loopback and {}", listed.join(", "))
        }
    }
}

/// A webhook receiver an operator configured: plain HTTP to an allowed network.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    url: hyper::Uri,
    host: String,
    port: u16,
    allowed: AllowedNetworks,
}

/// What a receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
}

impl WebhookTarget {
    /// The receiver at `url`, if it is plain HTTP and its host is (or resolves, now, only to) allowed addresses.
    pub fn new(name: &str, url: &str, allowed: &AllowedNetworks) -> Result<WebhookTarget, String> {
        let shown = crate::text::clip(url, 80);
        let uri: hyper::Uri = url.trim().parse().map_err(|e| {
            format!("webhook `{name}`: url `{shown}` is not a URL ({e}); write it like http://127.0.0.1:9000/hooks")
        })?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "webhook `{name}`: url `{shown}`: only http:// is supported (a relay on this machine or the LAN forwards it)"
            ));
        }
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        if host.is_empty() {
            return Err(format!("webhook `{name}`: url `{shown}` has no host"));
        }
        let port = uri.port_u16().unwrap_or(80);
        let target = WebhookTarget { url: uri, host, port, allowed: allowed.clone() };
        let addresses: Vec<std::net::SocketAddr> =
            std::net::ToSocketAddrs::to_socket_addrs(&(target.host.as_str(), port))
                .map_err(|e| format!("webhook `{name}`: the host of `{shown}` does not resolve: {e}"))?
                .collect();
        target.check(&addresses).map_err(|why| format!("webhook `{name}`: {why}"))?;
        Ok(target)
    }

    pub fn url(&self) -> String {
        self.url.to_string()
    }

    /// Every address must be allowed (a name that also resolves elsewhere is refused, whichever would be used).
    fn check(&self, addresses: &[std::net::SocketAddr]) -> Result<std::net::SocketAddr, String> {
        let first = addresses.first().ok_or_else(|| format!("`{}` resolves to no address", self.host))?;
        if let Some(outside) = addresses.iter().find(|a| !self.allowed.allows(a.ip())) {
            return Err(format!(
                "`{}` resolves to {}, outside the allowed networks ({})",
                self.host,
                outside.ip(),
                self.allowed.describe()
            ));
        }
        Ok(*first)
    }

    /// POSTs `body` with `headers`; the receiver's status and `Retry-After`, or why there is none. The whole
    /// exchange (resolve, connect, send, read at most 64 KiB of answer) has `timeout`.
    pub async fn post(&self, headers: &[(&str, String)], body: String, timeout: Duration) -> Result<Answer, String> {
        match tokio::time::timeout(timeout, self.exchange(headers, body)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {} s", timeout.as_secs_f64())),
        }
    }

    async fn exchange(&self, headers: &[(&str, String)], body: String) -> Result<Answer, String> {
        use http_body_util::BodyExt;
        let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("`{}` does not resolve: {e}", self.host))?
            .collect();
        // Checked after resolution, and the connection goes to the address checked.
        let address = self.check(&addresses)?;
        let stream =
            tokio::net::TcpStream::connect(address).await.map_err(|e| format!("cannot connect to {address}: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {address} failed: {e}"))?;
        let driver = tokio::spawn(connection);
        let path = self.url.path_and_query().map_or("/", |p| p.as_str());
        let mut request = hyper::Request::post(path)
            .header(hyper::header::HOST, format!("{}:{}", self.url.host().unwrap_or_default(), self.port))
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, concat!("safehaven/", env!("CARGO_PKG_VERSION")));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
            .map_err(|e| format!("the request could not be made: {e}"))?;
        let response = sender.send_request(request).await.map_err(|e| format!("the request failed: {e}"))?;
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get(hyper::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        // The answer's body is not needed; read a little so the connection ends cleanly.
        let _ = http_body_util::Limited::new(response.into_body(), 64 * 1024).collect().await;
        driver.abort();
        Ok(Answer { status, retry_after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_reach_loopback_and_the_listed_networks_only() {
        let none = AllowedNetworks::default();
        let lan = AllowedNetworks::parse(&["10.20.0.0/16".into()]).unwrap();
        assert!(WebhookTarget::new("relay", "http://127.0.0.1:9000/hooks", &none).is_ok());
        assert!(WebhookTarget::new("relay", "http://localhost:9000/hooks", &none).is_ok());
        assert!(WebhookTarget::new("relay", "http://[::1]:9000/hooks", &none).is_ok());
        let err = WebhookTarget::new("relay", "http://10.20.3.4:9000/hooks", &none).unwrap_err();
        assert!(err.contains("outside the allowed networks (loopback only"), "{err}");
        assert!(WebhookTarget::new("relay", "http://10.20.3.4:9000/hooks", &lan).is_ok());
        let err = WebhookTarget::new("relay", "http://10.21.0.1/hooks", &lan).unwrap_err();
        assert!(err.contains("loopback and 10.20.0.0/16"), "{err}");
        assert!(WebhookTarget::new("relay", "https://127.0.0.1/hooks", &none).unwrap_err().contains("only http://"));
        assert!(AllowedNetworks::parse(&["10.0.0.0/33".into()]).unwrap_err().contains("not a network"));
        assert!(lan.allows("::ffff:10.20.0.1".parse().unwrap()), "IPv4-mapped addresses are the IPv4 address");
        assert!(!lan.allows("192.168.0.1".parse().unwrap()));
    }

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
