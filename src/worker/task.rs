//! One pack's life: call, parse, write, and split-and-retry down to single blocks (SPEC §3).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::answer::{apply_local_fields, parse_batched, parse_single, ParsedAnswer};
use super::backoff::{delay, Gate};
use super::prepare::RunPlan;
use super::transitions::CallEffect;
use super::writer::{Halt, WriterMsg};
use crate::model::{CallOutcome, CallRecord, ErrorClass, Usage};
use crate::provider::pricing::PriceTable;
use crate::provider::{BlockInput, CallAnswer, CallRequest, Provider, ProviderError};

/// A claimed block, ready to send.
#[derive(Debug, Clone)]
pub struct Item {
    pub index: u32,
    pub block_type: String,
    pub content: String,
    pub tokens: u32,
}

/// What every task of a run shares.
pub struct Shared<P> {
    pub provider: Arc<P>,
    pub plan: RunPlan,
    pub gate: Gate,
    pub halt: Mutex<Option<Halt>>,
    pub writer: std::sync::mpsc::Sender<WriterMsg>,
    pub prices: PriceTable,
    /// The provider's base URL is the vendor's own, so built-in prices apply.
    pub vendor_prices: bool,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub max_transient_retries: u32,
}

impl<P> Shared<P> {
    pub fn halted(&self) -> bool {
        self.halt.lock().map(|h| h.is_some()).unwrap_or(true)
    }

    fn halt(&self, h: Halt) {
        let mut g = self.halt.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none() {
            *g = Some(h.clone());
            let _ = self.writer.send(WriterMsg::Halt(h));
        }
    }

    /// Send an outcome to the writer and wait until it is committed.
    async fn write(&self, outcome: CallEffect) {
        let (tx, rx) = oneshot::channel();
        if self
            .writer
            .send(WriterMsg::Call(Box::new(outcome), Some(tx)))
            .is_ok()
        {
            let _ = rx.await;
        }
    }
}

fn record(run_id: &str, pack: &[Item]) -> CallRecord {
    CallRecord {
        seq: 0,
        run_id: run_id.to_string(),
        pack_size: pack.len() as u32,
        first_block: pack.first().map(|i| i.index).unwrap_or(0),
        last_block: pack.last().map(|i| i.index).unwrap_or(0),
        usage: Usage::default(),
        latency_ms: 0,
        stop_reason: None,
        // Overwritten on every path; a record that escaped that would not claim success.
        outcome: CallOutcome::Failed,
        detail: None,
        mapped: 0,
        written: 0,
        missing: 0,
        unexpected: 0,
        duplicate: 0,
        at: crate::clock::now_rfc3339(),
    }
}

fn error_class(e: &ProviderError) -> ErrorClass {
    match e {
        ProviderError::Transient { .. } => ErrorClass::Transient,
        ProviderError::RateLimited { .. } => ErrorClass::RateLimited,
        ProviderError::OutOfCredit { .. } => ErrorClass::OutOfCredit,
        ProviderError::BadKey { .. } => ErrorClass::BadKey,
        ProviderError::ContextOverflow { .. } => ErrorClass::ContextOverflow,
        ProviderError::BadRequest { .. } => ErrorClass::BadRequest,
        ProviderError::Malformed { .. } => ErrorClass::Malformed,
    }
}

fn halves(pack: Vec<Item>) -> (Vec<Item>, Vec<Item>) {
    let mut a = pack;
    let b = a.split_off(a.len() / 2);
    (a, b)
}

impl<P: Provider> Shared<P> {
    fn request(&self, pack: &[Item]) -> CallRequest {
        let plan = &self.plan;
        let mc = &plan.run.model_config;
        let batched = pack.len() > 1;
        let max_tokens = if batched {
            mc.max_tokens
                .saturating_mul(pack.len() as u32)
                .min(plan.policy.max_output_tokens)
                .max(1)
        } else {
            mc.max_tokens
        };
        CallRequest {
            model: mc.model.clone(),
            temperature: mc.temperature,
            max_tokens,
            system_prompt: plan.system_prompt.clone(),
            block_prompt: plan.block_prompt.clone(),
            properties: Value::Object(plan.properties.clone()),
            required: plan.required.clone(),
            blocks: pack
                .iter()
                .map(|i| BlockInput {
                    block_index: i.index,
                    block_type: i.block_type.clone(),
                    content: i.content.clone(),
                })
                .collect(),
            batched,
            prompt_caching: plan.policy.prompt_caching,
        }
    }

    /// Call with backoff for transient trouble (never using a block's attempts). Every failed
    /// try is recorded as a call. `Err` is a non-transient error, or transient trouble that
    /// outlasted `max_transient_retries`.
    async fn call_with_retry(&self, pack: &[Item]) -> Result<CallAnswer, ProviderError> {
        let request = self.request(pack);
        let mut attempt = 0u32;
        loop {
            self.gate.wait().await;
            let started = Instant::now();
            let result = self.provider.call(&request).await;
            let err = match result {
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            let wait = match &err {
                ProviderError::RateLimited { retry_after, .. } => {
                    let d = retry_after
                        .unwrap_or_else(|| delay(attempt + 1, self.backoff_base, self.backoff_max));
                    self.gate.close_until(Instant::now() + d);
                    Some(Duration::ZERO)
                }
                ProviderError::Transient { .. } => {
                    Some(delay(attempt + 1, self.backoff_base, self.backoff_max))
                }
                _ => None,
            };
            let Some(wait) = wait else { return Err(err) };
            attempt += 1;
            let mut rec = record(&self.plan.run.run_id, pack);
            rec.latency_ms = started.elapsed().as_millis() as u64;
            rec.outcome = CallOutcome::Error(error_class(&err));
            rec.detail = Some(format!("{err} (try {attempt}, retrying)"));
            self.write(CallEffect {
                record: rec,
                results: Vec::new(),
                failures: Vec::new(),
                cost_usd: Some(0.0),
            })
            .await;
            if attempt >= self.max_transient_retries {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
            if self.halted() {
                return Err(err);
            }
        }
    }

    /// Process one pack to the end: results staged, bad answers split, failures counted.
    pub async fn process(&self, pack: Vec<Item>) {
        let mut queue = VecDeque::from([pack]);
        while let Some(pack) = queue.pop_front() {
            if self.halted() {
                // Claims are released by the pause; nothing to send.
                return;
            }
            let mut rec = record(&self.plan.run.run_id, &pack);
            let started = Instant::now();
            let result = self.call_with_retry(&pack).await;
            rec.latency_ms = started.elapsed().as_millis() as u64;
            let mut outcome = CallEffect {
                record: rec,
                results: Vec::new(),
                failures: Vec::new(),
                cost_usd: Some(0.0),
            };
            match result {
                Ok(answer) => self.on_answer(answer, pack, &mut outcome, &mut queue),
                Err(e) => {
                    outcome.record.outcome = CallOutcome::Error(error_class(&e));
                    outcome.record.detail = Some(e.to_string());
                    match e {
                        ProviderError::OutOfCredit { .. } => self.halt(Halt {
                            reason: format!(
                                "{e} — add credit, then `blockwise run resume {}`",
                                self.plan.run.run_id
                            ),
                            bad_key: false,
                        }),
                        ProviderError::BadKey { .. } => {
                            let p = &self.plan.run.model_config.provider;
                            self.halt(Halt {
                                reason: format!(
                                    "{e} — set a valid key with `blockwise keys set {p} --stdin`, \
                                     then `blockwise run resume {}`",
                                    self.plan.run.run_id
                                ),
                                bad_key: true,
                            })
                        }
                        ProviderError::Transient { .. } | ProviderError::RateLimited { .. } => self
                            .halt(Halt {
                                reason: format!(
                                    "provider still failing after {} tries ({e}) — \
                                     `blockwise run resume {}` when it is back",
                                    self.max_transient_retries, self.plan.run.run_id
                                ),
                                bad_key: false,
                            }),
                        ProviderError::ContextOverflow { .. }
                        | ProviderError::BadRequest { .. }
                        | ProviderError::Malformed { .. } => {
                            if pack.len() > 1 {
                                outcome.record.outcome = CallOutcome::Split;
                                let (a, b) = halves(pack);
                                queue.push_front(b);
                                queue.push_front(a);
                            } else {
                                outcome.failures =
                                    pack.iter().map(|i| (i.index, e.to_string())).collect();
                            }
                        }
                    }
                    // Credit / key / outage: the pause releases the claims; nothing to count.
                    if self.halted() {
                        self.write(outcome).await;
                        return;
                    }
                }
            }
            self.write(outcome).await;
        }
    }

    fn on_answer(
        &self,
        answer: CallAnswer,
        pack: Vec<Item>,
        outcome: &mut CallEffect,
        queue: &mut VecDeque<Vec<Item>>,
    ) {
        let rec = &mut outcome.record;
        rec.usage = answer.usage;
        rec.stop_reason = answer.stop_reason.clone();
        outcome.cost_usd = self.prices.estimate_at(
            &self.plan.run.model_config.model,
            &answer.usage,
            self.vendor_prices,
        );
        let indices: Vec<u32> = pack.iter().map(|i| i.index).collect();
        let parsed: ParsedAnswer = if pack.len() > 1 {
            parse_batched(
                answer.output.as_ref(),
                answer.parse_issue.as_deref(),
                &indices,
            )
        } else {
            parse_single(
                answer.output.as_ref(),
                answer.parse_issue.as_deref(),
                indices[0],
            )
        };
        rec.mapped = parsed.mapped.len() as u32;
        rec.missing = parsed.missing.len() as u32;
        rec.unexpected = parsed.unexpected;
        rec.duplicate = parsed.duplicate;
        let nothing = parsed.mapped.is_empty();
        let whole_pack_bad = answer.truncated || (parsed.parse_issue.is_some() && nothing);
        if whole_pack_bad {
            let why = if answer.truncated {
                "answer cut at the output limit (stop reason max_tokens)".to_string()
            } else {
                parsed.parse_issue.clone().unwrap_or_default()
            };
            rec.detail = Some(why.clone());
            if pack.len() > 1 {
                rec.outcome = CallOutcome::Split;
                let (a, b) = halves(pack);
                queue.push_front(b);
                queue.push_front(a);
            } else {
                rec.outcome = CallOutcome::Failed;
                outcome.failures = vec![(pack[0].index, why)];
            }
            return;
        }
        let mut missing = Vec::new();
        for item in pack {
            match parsed.mapped.get(&item.index) {
                Some(value) => {
                    let mut value = value.clone();
                    apply_local_fields(&self.plan.properties, &item.content, &mut value);
                    outcome.results.push((item.index, Value::Object(value)));
                }
                None => missing.push(item),
            }
        }
        rec.outcome = if missing.is_empty() {
            CallOutcome::Ok
        } else {
            CallOutcome::Partial
        };
        if parsed.unexpected + parsed.duplicate > 0 {
            rec.detail = Some(format!(
                "ignored {} unexpected and {} duplicate results",
                parsed.unexpected, parsed.duplicate
            ));
        }
        match missing.len() {
            0 => {}
            1 => queue.push_front(missing),
            _ => {
                let (a, b) = halves(missing);
                queue.push_front(b);
                queue.push_front(a);
            }
        }
    }
}
