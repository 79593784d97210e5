//! The fake's HTTP side: hyper 1 on a tokio listener, one task per connection.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use super::anthropic::anthropic;
use super::openai::{check_bearer, openai};
use super::reply::{reply, Reply};
use super::{lock, FakeLocal, Fault, RecordedRequest, ScriptedCall, Shared, FAKE_MODEL};

pub(super) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { handle(shared, req).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

fn not_found(method: &Method, path: &str) -> Reply {
    reply(
        StatusCode::NOT_FOUND,
        json!({"error": {"type": "not_found_error", "message": format!("no route {method} {path}")}}),
        &[],
    )
}

fn local(shared: &Shared) -> Option<FakeLocal> {
    lock(&shared.config).local.clone()
}

/// Decrements the fake's count of calls being answered when dropped.
struct Active<'a>(&'a Shared);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

enum Protocol {
    Anthropic,
    OpenAi,
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Reply, std::io::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let raw = req
        .into_body()
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    lock(&shared.requests).push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });

    if let Some(answer) =
        super::anthropic_batch::route(&shared, &method, &path, &headers, &body).await
    {
        return Ok(answer);
    }
    if let Some(answer) = super::openai_batch::route(&shared, &method, &path, &headers, &raw).await
    {
        return Ok(answer);
    }
    if let Some(answer) = super::google_batch::route(&shared, &method, &path, &headers, &raw).await
    {
        return Ok(answer);
    }
    let protocol = match (&method, path.as_str()) {
        (&Method::POST, "/v1/messages") => Protocol::Anthropic,
        (&Method::POST, "/v1/chat/completions")
        | (&Method::POST, "/chat/completions")
        | (&Method::POST, "/v1beta/openai/chat/completions") => Protocol::OpenAi,
        _ => return Ok(discovery_reply(&shared, &method, &path, &headers)),
    };

    let n = shared.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let active = shared.active.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_active.fetch_max(active, Ordering::SeqCst);
    // Counted out however the call ends (answered, failed, or dropped by a client that hung up).
    let _active = Active(&shared);
    let scripted = lock(&shared.script).pop_front().unwrap_or(ScriptedCall {
        latency: None,
        // A planted pack shift applies to every unscripted call (single calls ignore it).
        fault: if lock(&shared.config).shift_packs {
            Fault::Shift
        } else {
            Fault::None
        },
    });
    let latency = scripted
        .latency
        .unwrap_or_else(|| lock(&shared.config).default_latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if scripted.fault == Fault::ConnectionReset {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "scripted connection reset",
        ));
    }
    Ok(match protocol {
        Protocol::Anthropic => anthropic(&shared, &headers, &body, &scripted.fault, n),
        Protocol::OpenAi => openai(&shared, &headers, &body, &scripted.fault, n),
    })
}

/// The answer to a request that is no model call: the model list (`/v1/models`, behind the
/// bearer check) and the local servers' discovery endpoints (`/props`, `/api/show`), else 404.
fn discovery_reply(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &BTreeMap<String, String>,
) -> Reply {
    match (method, path) {
        (&Method::GET, "/v1/models") | (&Method::GET, "/models") => {
            match check_bearer(shared, headers) {
                Some(refused) => refused,
                None => {
                    let mut model = json!({"id": FAKE_MODEL, "object": "model", "created": 0, "owned_by": "blockwise-fake"});
                    if let Some(FakeLocal::Vllm { max_model_len }) = local(shared) {
                        model["max_model_len"] = json!(max_model_len);
                    }
                    reply(
                        StatusCode::OK,
                        json!({"object": "list", "data": [model]}),
                        &[],
                    )
                }
            }
        }
        (&Method::GET, "/props") => match local(shared) {
            Some(FakeLocal::LlamaCpp { n_ctx, slots }) => reply(
                StatusCode::OK,
                json!({
                    "default_generation_settings": {"n_ctx": n_ctx, "params": {}},
                    "total_slots": slots,
                    "model_path": "/models/fake-model.gguf",
                }),
                &[],
            ),
            _ => not_found(method, path),
        },
        (&Method::POST, "/api/show") => match local(shared) {
            Some(FakeLocal::Ollama {
                num_ctx,
                context_length,
            }) => reply(
                StatusCode::OK,
                json!({
                    "parameters": num_ctx.map(|n| format!("num_ctx {n}")).unwrap_or_default(),
                    "model_info": {"fake.context_length": context_length},
                }),
                &[],
            ),
            _ => not_found(method, path),
        },
        _ => not_found(method, path),
    }
}
