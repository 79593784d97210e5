//! The schema assistant's calls (issue 26): a suggestion or a refinement asked of a provider
//! through a forced tool / strict JSON schema, checked, retried once with the errors when the
//! answer is invalid, then refused; every call is recorded with its tokens and cost. The demo
//! provider answers offline and deterministically, and says so.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::Workspace;
use crate::model::{AssistCall, ProviderKind, Usage};
use crate::provider::{
    builtin_prices_apply, default_model, http, PriceTable, Provider, ProviderError, ToolAnswer,
    ToolCall,
};
use crate::schema::assist_wire::{self, answer_schema, from_wire, wire_problems};
use crate::schema::{suggest, suggest_refine};
use crate::worker::AnyProvider;

/// Output budget of one assistant call (tokens).
pub const ASSIST_MAX_TOKENS: u32 = 4096;
/// How many answers a request may take: the first, and one retry carrying its errors.
pub const ASSIST_ATTEMPTS: u32 = 2;
/// Transient failures (429, 529/503, 5xx, timeouts) waited out per request.
pub const ASSIST_TRANSIENT_RETRIES: u32 = 2;
/// The longest wait between them (a longer `retry-after` is cut to this).
pub const ASSIST_MAX_WAIT: Duration = Duration::from_secs(10);

const SYSTEM: &str = "You design extraction schemas for Blockwise, which applies one schema to \
    every block (paragraph, heading, list item, table, ...) of a long document, one block at a \
    time. Given what the user wants and sample blocks, propose the fields with the propose_schema \
    tool. Rules: at most 30 fields; names lower_snake_case, unique, at most 64 characters; types \
    string, integer, number, boolean, or array (a list of strings); an enum only when the values \
    are a closed set (never an empty list); nullable when a block may have no value; grounded \
    when the value quotes the block's text; a system prompt and a per-block prompt that say what \
    to extract. When refining, keep every field the instruction does not mention unchanged.";

/// What the assistant is asked.
#[derive(Debug, Clone)]
pub enum AssistTask {
    /// `request` is the intent, samples and contract ([`Workspace::suggest_request`]).
    Suggest {
        request: Value,
        conv_uid: Option<String>,
    },
    Refine {
        draft: Value,
        instruction: String,
    },
}

impl AssistTask {
    fn name(&self) -> &'static str {
        match self {
            AssistTask::Suggest { .. } => "suggest",
            AssistTask::Refine { .. } => "refine",
        }
    }

    fn prompt(&self) -> String {
        let text = match self {
            AssistTask::Suggest { request, .. } => request["intent"].as_str().unwrap_or(""),
            AssistTask::Refine { instruction, .. } => instruction,
        };
        text.chars().take(200).collect()
    }

    fn payload(&self) -> Value {
        match self {
            AssistTask::Suggest { request, .. } => {
                let mut p = request.clone();
                p["task"] = json!("suggest");
                p
            }
            AssistTask::Refine { draft, instruction } => {
                json!({"task": "refine", "draft": draft, "instruction": instruction})
            }
        }
    }
}

/// A checked proposal and the calls it took.
#[derive(Debug, Clone)]
pub struct AssistOutcome {
    pub schema: Value,
    pub provider: String,
    pub model: String,
    /// `Some("DEMO")` for the offline demo provider's deterministic answer.
    pub label: Option<&'static str>,
    pub calls: Vec<AssistCall>,
    /// Bytes of the user message sent (the samples and the contract).
    pub request_bytes: usize,
}

/// Why no proposal came back; the calls made are recorded all the same.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AssistError {
    pub message: String,
    pub calls: Vec<AssistCall>,
}

fn refused(message: impl Into<String>) -> AssistError {
    AssistError {
        message: message.into(),
        calls: Vec::new(),
    }
}

/// The cost of one call before it is sent: tokens in (≈ characters / 4) and at most
/// [`ASSIST_MAX_TOKENS`] out.
#[derive(Debug, Clone, PartialEq)]
pub struct AssistEstimate {
    pub model: String,
    pub input_tokens: u64,
    pub max_output_tokens: u64,
    /// Dollars at most (`None`: the model's price is unknown).
    pub cost: Option<f64>,
}

/// Longest sample block text a request carries (characters).
const SAMPLE_CHARS: usize = 1_500;

/// The contract a suggested schema must meet (SPEC §2), sent with every request.
const CONTRACT: &str = "Answer with the propose_schema fields: at most 30, named in \
    lower_snake_case, each with a type (string, integer, number, boolean, array of strings), \
    an enum only when the values are a closed set, a short description, nullable when a block \
    may have no value, grounded when the value quotes the block; plus a title, a description, \
    system instructions and a per-block prompt.";

impl Workspace {
    /// A suggestion request: the intent, up to `n` sample blocks of `conv_uid` (a mix of
    /// types, spread through the document; none without a document) and the contract. Reads
    /// every block's type once, streaming, then only the sampled blocks.
    pub fn suggest_request(
        &self,
        conv_uid: Option<&str>,
        intent: &str,
        n: usize,
    ) -> Result<Value, super::Error> {
        let mut types: Vec<&'static str> = Vec::new();
        let mut samples: Vec<Value> = Vec::new();
        if let Some(conv_uid) = conv_uid {
            self.for_each_block(conv_uid, |b| {
                types.push(b.block_type.as_str());
                Ok(())
            })?;
            let positions = suggest::sample_positions(&types, n);
            let indices: Vec<u32> = positions.iter().map(|&p| p as u32).collect();
            samples = self
                .blocks_at(conv_uid, &indices)?
                .into_iter()
                .map(|b| {
                    let text: String = b.block_content.chars().take(SAMPLE_CHARS).collect();
                    json!({"block_index": b.block_index, "block_type": b.block_type.as_str(),
                           "text": text})
                })
                .collect();
        }
        Ok(
            json!({"intent": intent, "total_blocks": types.len(), "samples": samples,
                  "contract": CONTRACT}),
        )
    }

    /// What one call of `task` to `provider` would cost at most.
    pub fn assist_estimate(
        &self,
        task: &AssistTask,
        provider: &str,
        model: Option<&str>,
    ) -> AssistEstimate {
        let model = self.assist_model(provider, model);
        let chars = SYSTEM.len()
            + assist_wire::user_message(&task.payload()).len()
            + answer_schema().to_string().len();
        let usage = Usage {
            input_tokens: chars.div_ceil(4) as u64,
            output_tokens: u64::from(ASSIST_MAX_TOKENS),
            ..Usage::default()
        };
        // A custom server is priced only by the user's prices.json (as its run calls are).
        let vendor = ProviderKind::parse(provider) != Some(ProviderKind::Custom);
        let cost = PriceTable::for_user().estimate_at(&model, &usage, vendor);
        AssistEstimate {
            model,
            input_tokens: usage.input_tokens,
            max_output_tokens: usage.output_tokens,
            cost: if ProviderKind::is_demo_name(provider) {
                Some(0.0)
            } else {
                cost
            },
        }
    }

    fn assist_model(&self, provider: &str, model: Option<&str>) -> String {
        if ProviderKind::is_demo_name(provider) {
            return "demo".into();
        }
        let key_model = crate::vault::key_for(&self.store, provider)
            .ok()
            .flatten()
            .and_then(|k| k.model);
        model
            .map(str::to_string)
            .or(key_model)
            .unwrap_or_else(|| default_model(provider).to_string())
    }

    /// Ask `provider` for a proposal, check it, retry once with the errors, record every call.
    /// `cancel` set to `true` aborts a call in flight (recorded as cancelled).
    pub async fn assist(
        &self,
        task: AssistTask,
        provider: &str,
        model: Option<&str>,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<AssistOutcome, AssistError> {
        if ProviderKind::parse(provider).is_none() {
            return Err(refused(format!(
                "unknown provider {provider:?}: use one of anthropic, openai, google, custom, demo"
            )));
        }
        if ProviderKind::is_demo_name(provider) {
            if model.is_some() {
                return Err(refused(
                    "--model is for a real provider; the demo provider has no models",
                ));
            }
            return self.assist_demo(task);
        }
        let key =
            crate::vault::key_for(&self.store, provider).map_err(|e| refused(e.to_string()))?;
        let (secret, base_url) = match key {
            Some(k) => (Some(k.secret), k.base_url),
            None => (None, None),
        };
        let client = crate::worker::connect(provider, secret, base_url)
            .map_err(|e| refused(e.to_string()))?;
        let model = self.assist_model(provider, model);
        let session = Call {
            ws: self,
            client: &client,
            provider,
            model: &model,
            task: &task,
            cancel,
        };
        session.run().await
    }

    fn assist_demo(&self, task: AssistTask) -> Result<AssistOutcome, AssistError> {
        let user = assist_wire::user_message(&task.payload());
        let result = match &task {
            AssistTask::Suggest { request, .. } => {
                let types: Vec<&str> = request["samples"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s["block_type"].as_str()).collect())
                    .unwrap_or_default();
                let intent = request["intent"].as_str().unwrap_or("");
                Ok(suggest::demo_suggestion(intent, &types))
            }
            AssistTask::Refine { draft, instruction } => {
                suggest_refine::demo_refine(draft, instruction)
            }
        };
        let problems = match &result {
            Ok(schema) => task_problems(&task, schema),
            Err(e) => vec![e.clone()],
        };
        let mut record = self.record_of(&task, "demo", "demo", 1, user.len());
        record.cost = Some(0.0);
        if !problems.is_empty() {
            record.outcome = "invalid".into();
            record.detail = Some(problems.join("; "));
        }
        let calls = self.record(record).into_iter().collect();
        match result {
            Ok(schema) if problems.is_empty() => Ok(AssistOutcome {
                schema,
                provider: "demo".into(),
                model: "demo".into(),
                label: Some("DEMO"),
                calls,
                request_bytes: user.len(),
            }),
            _ => Err(AssistError {
                message: problems.join("; "),
                calls,
            }),
        }
    }

    fn record_of(
        &self,
        task: &AssistTask,
        provider: &str,
        model: &str,
        attempt: u32,
        bytes: usize,
    ) -> AssistCall {
        AssistCall {
            seq: 0,
            at_ms: crate::clock::now_millis(),
            task: task.name().into(),
            provider: provider.into(),
            model: model.into(),
            attempt,
            prompt: task.prompt(),
            conv_uid: match task {
                AssistTask::Suggest { conv_uid, .. } => conv_uid.clone(),
                AssistTask::Refine { .. } => None,
            },
            usage: Usage::default(),
            cost: None,
            latency_ms: 0,
            request_bytes: bytes as u64,
            outcome: "ok".into(),
            detail: None,
        }
    }

    /// Append a record; a store that cannot take it (read-only, busy) is logged, not fatal:
    /// the answer was already paid for and is still shown.
    fn record(&self, call: AssistCall) -> Option<AssistCall> {
        match self.store.append_assist_call(&call) {
            Ok(seq) => Some(AssistCall { seq, ..call }),
            Err(e) => {
                tracing::warn!(error = %e, "schema assistant call not recorded");
                Some(call)
            }
        }
    }

    /// Every recorded schema assistant call, oldest first.
    pub fn assist_calls(&self) -> Result<Vec<AssistCall>, super::Error> {
        Ok(self.store.assist_calls()?)
    }
}

/// One request in progress: up to [`ASSIST_ATTEMPTS`] answers.
struct Call<'a> {
    ws: &'a Workspace,
    client: &'a AnyProvider,
    provider: &'a str,
    model: &'a str,
    task: &'a AssistTask,
    cancel: Option<Arc<AtomicBool>>,
}

impl Call<'_> {
    async fn run(&self) -> Result<AssistOutcome, AssistError> {
        let mut payload = self.task.payload();
        let mut calls = Vec::new();
        let mut first_bytes = 0;
        let (mut attempt, mut transient) = (1, 0);
        loop {
            let user = assist_wire::user_message(&payload);
            if attempt == 1 {
                first_bytes = user.len();
            }
            let mut record =
                self.ws
                    .record_of(self.task, self.provider, self.model, attempt, user.len());
            let answer = match self.send(user).await {
                Ok(a) => a,
                Err(failed) => {
                    record.outcome = failed.outcome.into();
                    record.detail = Some(failed.why.clone());
                    calls.extend(self.ws.record(record));
                    // Transient trouble (429, 529/503, 5xx, timeouts) is waited out, a few
                    // times, without using the answer's attempt (SPEC §3 Failures).
                    match failed.wait.filter(|_| transient < ASSIST_TRANSIENT_RETRIES) {
                        Some(wait) if !self.pause_or_cancel(wait).await => {
                            transient += 1;
                            continue;
                        }
                        _ => {
                            return Err(AssistError {
                                message: failed.why,
                                calls,
                            })
                        }
                    }
                }
            };
            self.price(&mut record, &answer);
            let checked = check_answer(self.task, &answer);
            if let Err(problems) = &checked {
                record.outcome = "invalid".into();
                record.detail = Some(problems.join("; "));
            }
            calls.extend(self.ws.record(record));
            match checked {
                Ok(schema) => {
                    return Ok(AssistOutcome {
                        schema,
                        provider: self.provider.into(),
                        model: self.model.into(),
                        label: None,
                        calls,
                        request_bytes: first_bytes,
                    })
                }
                Err(problems) if attempt < ASSIST_ATTEMPTS => {
                    attempt += 1;
                    payload["previous_answer"] = answer.output.unwrap_or(Value::Null);
                    payload["previous_answer_errors"] = json!(problems);
                }
                Err(problems) => {
                    let message = format!(
                        "the model's answer was invalid twice (retried once with the errors): {}",
                        problems.join("; ")
                    );
                    return Err(AssistError { message, calls });
                }
            }
        }
    }

    /// Wait `wait` (at most [`ASSIST_MAX_WAIT`]); `true` when cancelled meanwhile.
    async fn pause_or_cancel(&self, wait: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(wait.min(ASSIST_MAX_WAIT)) => false,
            () = watch_cancel(self.cancel.clone()) => true,
        }
    }

    /// The call, bounded by the request timeout and by `cancel`.
    async fn send(&self, user: String) -> Result<ToolAnswer, SendFailure> {
        let call = ToolCall {
            model: self.model.to_string(),
            temperature: 0.2,
            max_tokens: ASSIST_MAX_TOKENS,
            system: SYSTEM.into(),
            user,
            name: assist_wire::TOOL_NAME,
            description: assist_wire::TOOL_DESCRIPTION,
            schema: answer_schema(),
        };
        let request = async {
            match self.client {
                AnyProvider::Anthropic(c) | AnyProvider::Demo { client: c, .. } => {
                    c.call_tool(&call).await
                }
                AnyProvider::OpenAi(c) => c.call_tool(&call).await,
            }
        };
        let cancelled = watch_cancel(self.cancel.clone());
        tokio::select! {
            r = tokio::time::timeout(http::REQUEST_TIMEOUT, request) => match r {
                Ok(Ok(a)) => Ok(a),
                Ok(Err(e)) => Err(SendFailure::of(self.provider, &e, transient_wait(&e))),
                Err(_) => {
                    let e = http::timed_out(http::REQUEST_TIMEOUT);
                    Err(SendFailure::of(self.provider, &e, Some(Duration::from_secs(1))))
                }
            },
            () = cancelled => Err(SendFailure {
                outcome: "cancelled",
                why: "cancelled; nothing was saved".into(),
                wait: None,
            }),
        }
    }

    fn price(&self, record: &mut AssistCall, answer: &ToolAnswer) {
        record.usage = answer.usage;
        record.latency_ms = answer.latency.as_millis() as u64;
        let vendor = builtin_prices_apply(self.provider, self.client.base_url());
        record.cost = PriceTable::for_user().estimate_at(self.model, &answer.usage, vendor);
    }
}

/// Why a call got no answer, and how long to wait before asking again (transient only).
struct SendFailure {
    outcome: &'static str,
    why: String,
    wait: Option<Duration>,
}

impl SendFailure {
    fn of(provider: &str, e: &ProviderError, wait: Option<Duration>) -> SendFailure {
        SendFailure {
            outcome: "error",
            why: format!("the {provider} call failed: {e}"),
            wait,
        }
    }
}

/// The pause before asking again after `e`: `retry-after` when the provider said, else 1 s;
/// `None` for errors a retry cannot fix (key, credit, the request itself).
fn transient_wait(e: &ProviderError) -> Option<Duration> {
    match e {
        ProviderError::RateLimited { retry_after, .. } => {
            Some(retry_after.unwrap_or(Duration::from_secs(1)))
        }
        ProviderError::Transient { .. } => Some(Duration::from_secs(1)),
        _ => None,
    }
}

/// Resolves when `flag` turns true; never without one.
async fn watch_cancel(flag: Option<Arc<AtomicBool>>) {
    let Some(flag) = flag else {
        return std::future::pending().await;
    };
    while !flag.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The schema an answer describes, or every problem with it.
fn check_answer(task: &AssistTask, answer: &ToolAnswer) -> Result<Value, Vec<String>> {
    let Some(output) = &answer.output else {
        let why = answer
            .parse_issue
            .clone()
            .unwrap_or_else(|| "no structured output".into());
        return Err(vec![why]);
    };
    let problems = wire_problems(output);
    if !problems.is_empty() {
        return Err(problems);
    }
    let schema = from_wire(output, None);
    let problems = task_problems(task, &schema);
    if problems.is_empty() {
        Ok(schema)
    } else {
        Err(problems)
    }
}

/// [`suggest::problems`], saying "removes every field" for a refinement that leaves none.
fn task_problems(task: &AssistTask, schema: &Value) -> Vec<String> {
    let mut problems = suggest::problems(schema);
    if matches!(task, AssistTask::Refine { .. }) {
        for p in &mut problems {
            if p == suggest::NO_FIELDS {
                *p = "the refinement removes every field".into();
            }
        }
    }
    problems
}
