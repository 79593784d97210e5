//! The fake provider: a real HTTP server on 127.0.0.1 that speaks the Anthropic Messages API
//! and the OpenAI chat-completions API closely enough that the real clients cannot tell.
//!
//! Answers are deterministic ([`answer_for`]), cache tokens are simulated (the first call with
//! a cacheable system prompt writes the cache, later identical ones read it), and each call can
//! be scripted with a latency and a fault. It counts calls and records every request. Tests,
//! benchmarks and the offline `demo` provider all use it; it runs on its own thread with its
//! own runtime, so it works from sync code and from any async runtime.

mod answer;
mod anthropic;
mod anthropic_batch;
mod assist;
mod batch_script;
mod google_batch;
mod openai;
mod openai_batch;
mod reply;
mod server;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

pub use answer::answer_for;
pub use batch_script::{FakeBatchConfig, FakeBatchScript, FakeOutcome};

/// Model name the fake reports in `GET /v1/models`.
pub const FAKE_MODEL: &str = "fake-model";

/// How the fake behaves when a call is not scripted.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Latency of every unscripted call.
    pub default_latency: Duration,
    /// When set, any other key gets 401. When unset, any non-empty key is accepted.
    pub expected_key: Option<String>,
    /// Accept requests with no key at all, as a local server started without one does.
    pub keyless: bool,
    /// `false` answers `response_format: json_schema` with a 400, like servers that lack it.
    pub json_schema_supported: bool,
    /// `false` answers a request with `tools` with a 400, like servers without tool calling.
    pub tools_supported: bool,
    /// Which self-hosted server the fake also imitates for discovery (none: a hosted API).
    pub local: Option<FakeLocal>,
    /// System prompts shorter than this (≈ chars/4 tokens) are not cached. 0 caches any size.
    pub min_cacheable_tokens: u64,
    /// The batch APIs' processing delay and cancel behaviour.
    pub batch: FakeBatchConfig,
    /// Every unscripted batched call answers with a pack shift ([`Fault::Shift`]).
    pub shift_packs: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            default_latency: Duration::ZERO,
            expected_key: None,
            keyless: false,
            json_schema_supported: true,
            tools_supported: true,
            local: None,
            min_cacheable_tokens: 0,
            batch: FakeBatchConfig::default(),
            shift_packs: false,
        }
    }
}

impl FakeConfig {
    /// The offline demo provider: a little latency so progress is visible.
    pub fn demo() -> FakeConfig {
        FakeConfig {
            default_latency: Duration::from_millis(120),
            ..FakeConfig::default()
        }
    }
}

/// A self-hosted server's own description of itself, answered on its discovery endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeLocal {
    /// llama.cpp: `GET /props` with the context of one slot and the number of slots.
    LlamaCpp { n_ctx: u32, slots: u32 },
    /// vLLM: `max_model_len` on each model of `GET /v1/models`.
    Vllm { max_model_len: u32 },
    /// Ollama: `POST /api/show` with `num_ctx` (when set) and the model's context length.
    Ollama {
        num_ctx: Option<u32>,
        context_length: u32,
    },
}

/// One scripted failure (or misbehaviour) for one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// A normal answer.
    None,
    /// 429 with `retry-after: <seconds>`.
    RateLimited { retry_after_secs: u64 },
    /// 429 with `retry-after: <HTTP date now + seconds>`.
    RateLimitedDate { retry_after_secs: u64 },
    /// Anthropic 529 `overloaded_error`; OpenAI 503.
    Overloaded,
    /// 500.
    ServerError,
    /// 402.
    PaymentRequired,
    /// Anthropic 400 "credit balance is too low"; OpenAI 429 `insufficient_quota`.
    LowCredit,
    /// 401 (OpenAI's message echoes the key it got, so redaction is tested).
    Unauthorized,
    /// 403.
    Forbidden,
    /// Another 400 about the request.
    BadRequest,
    /// Prompt too long for the context window (400).
    ContextOverflow,
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// 200 with text only: no tool call / no JSON content.
    NoToolOutput,
    /// The last result of a batch is left out.
    MissingUid,
    /// The first result of a batch appears twice.
    DuplicateUid,
    /// An extra result with a block_index that was not asked for.
    UnexpectedUid,
    /// Cut by the output limit: half the results, stop reason `max_tokens` / `length`.
    Truncated,
    /// The connection is closed without an answer.
    ConnectionReset,
    /// A well-formed answer whose first result has `field` set to `value` (which may break the
    /// field's schema: a value the worker must not stage).
    InvalidValue { field: String, value: Value },
    /// A pack shift: each result of a batch carries the answer for the next block of the
    /// pack (the last one the first's), as a small model that loses its place does.
    Shift,
    /// A schema assistant answer with colliding field names and an unknown type.
    InvalidProposal,
}

/// The behaviour of one call: optional latency (else the default) and a fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedCall {
    pub latency: Option<Duration>,
    pub fault: Fault,
}

impl From<Fault> for ScriptedCall {
    fn from(fault: Fault) -> Self {
        ScriptedCall {
            latency: None,
            fault,
        }
    }
}

/// A queue of per-call behaviours, consumed one per model call (POST); calls beyond the end
/// behave normally.
#[derive(Debug, Clone, Default)]
pub struct FakeScript {
    pub calls: VecDeque<ScriptedCall>,
}

impl FakeScript {
    pub fn new() -> FakeScript {
        FakeScript::default()
    }
    /// Next call fails (or misbehaves) with `fault`.
    pub fn then(mut self, fault: Fault) -> FakeScript {
        self.calls.push_back(fault.into());
        self
    }
    /// Next call waits `latency`, then behaves as `fault` says.
    pub fn then_after(mut self, latency: Duration, fault: Fault) -> FakeScript {
        self.calls.push_back(ScriptedCall {
            latency: Some(latency),
            fault,
        });
        self
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Lower-case header names.
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`Null` when empty or not JSON).
    pub body: Value,
}

struct Shared {
    config: Mutex<FakeConfig>,
    script: Mutex<VecDeque<ScriptedCall>>,
    calls: AtomicU64,
    /// Model calls being answered right now, and the most there ever were at once.
    active: AtomicU64,
    max_active: AtomicU64,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Cache keys of system prompts seen with caching on.
    cache: Mutex<HashSet<String>>,
    batches: Mutex<anthropic_batch::Batches>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not poison the fake for the others.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake server. Dropping it stops the server.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl FakeServer {
    /// Bind 127.0.0.1 on a free port and serve on a dedicated thread.
    pub fn start(config: FakeConfig) -> std::io::Result<FakeServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            script: Mutex::new(VecDeque::new()),
            calls: AtomicU64::new(0),
            active: AtomicU64::new(0),
            max_active: AtomicU64::new(0),
            requests: Mutex::new(Vec::new()),
            cache: Mutex::new(HashSet::new()),
            batches: Mutex::new(Default::default()),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("blockwise-fake")
            .enable_all()
            .build()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let state = shared.clone();
        std::thread::Builder::new()
            .name("blockwise-fake-accept".into())
            .spawn(move || runtime.block_on(server::serve(listener, state, rx)))?;
        Ok(FakeServer {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Root for an Anthropic client (`ANTHROPIC_BASE_URL` convention: no `/v1`).
    pub fn anthropic_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Root for an OpenAI-compatible client (`OPENAI_BASE_URL` convention: with `/v1`).
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Root for a Google client: Gemini's OpenAI-compatible base (`…/v1beta/openai/`); the
    /// native batch API is under `…/v1beta/`.
    pub fn google_base_url(&self) -> String {
        format!("http://{}/v1beta/openai/", self.addr)
    }

    /// Append behaviours to the script.
    pub fn script(&self, script: FakeScript) {
        lock(&self.shared.script).extend(script.calls);
    }

    /// Append one behaviour.
    pub fn push(&self, call: impl Into<ScriptedCall>) {
        lock(&self.shared.script).push_back(call.into());
    }

    /// Behaviours not yet consumed.
    pub fn pending_script(&self) -> usize {
        lock(&self.shared.script).len()
    }

    pub fn set_default_latency(&self, latency: Duration) {
        lock(&self.shared.config).default_latency = latency;
    }

    pub fn set_expected_key(&self, key: Option<String>) {
        lock(&self.shared.config).expected_key = key;
    }

    /// Plant a pack shift in every unscripted batched call from now on.
    pub fn set_shift_packs(&self, on: bool) {
        lock(&self.shared.config).shift_packs = on;
    }

    pub fn set_json_schema_supported(&self, supported: bool) {
        lock(&self.shared.config).json_schema_supported = supported;
    }

    pub fn set_tools_supported(&self, supported: bool) {
        lock(&self.shared.config).tools_supported = supported;
    }

    /// Imitate a self-hosted server's discovery endpoint (or none).
    pub fn set_local(&self, local: Option<FakeLocal>) {
        lock(&self.shared.config).local = local;
    }

    /// Model calls received (POSTs to the messages / chat-completions endpoints).
    pub fn call_count(&self) -> u64 {
        self.shared.calls.load(Ordering::SeqCst)
    }

    /// The most model calls the fake was answering at the same moment.
    pub fn max_concurrent_calls(&self) -> u64 {
        self.shared.max_active.load(Ordering::SeqCst)
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.shared.requests).last().cloned()
    }

    /// Script the next batch created (scripts are used one per batch, in creation order).
    pub fn script_batch(&self, script: FakeBatchScript) {
        lock(&self.shared.batches).scripts.push_back(script);
    }

    pub fn set_batch_config(&self, batch: FakeBatchConfig) {
        lock(&self.shared.config).batch = batch;
    }

    /// Batches created so far (accepted create requests).
    pub fn batches_created(&self) -> u64 {
        lock(&self.shared.batches).created
    }

    /// Cancel requests received.
    pub fn batch_cancels(&self) -> u64 {
        lock(&self.shared.batches).cancels
    }

    /// Requests of every batch created, in order.
    pub fn batch_requests(&self) -> u64 {
        let b = lock(&self.shared.batches);
        let anthropic: u64 = b.held.iter().map(anthropic_batch::request_count).sum();
        anthropic
            + b.openai
                .iter()
                .map(openai_batch::request_count)
                .sum::<u64>()
            + b.google
                .iter()
                .map(google_batch::request_count)
                .sum::<u64>()
    }

    /// Forget cached prompts (the next cacheable call writes the cache again).
    pub fn clear_cache(&self) {
        lock(&self.shared.cache).clear();
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
