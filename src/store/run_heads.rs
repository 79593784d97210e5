//! Run heads (store format 6, issue 22): a light copy of every run record for lists.
//!
//! A run record carries its creation snapshot (every effective policy value and where each
//! model setting came from: about 4 kB of JSON), which a list never shows. Decoding 1,000 of
//! them made the TUI's launch on a 1,000-document run group 14x slower than on one run. A head
//! is the same run without that snapshot, the server note and the pack guard, in a small binary
//! layout (no JSON), sealed like every record (`sealed.rs`).
//!
//! Heads are written in the same write transaction as their run record, by every writer of
//! `RUNS` (create, `with_run`, `with_runs`, delete, migrations 6 and 8), all through
//! `head_tables.rs` (which also keeps the solo heads and group tallies of format 8), so
//! another process's change is seen in both at once. A reader that finds the tables out of step (a head missing, damaged or
//! under another run's name, or the two tables of different lengths) reads the full records
//! instead, so a list is not wrong, only slower; `blockwise check` names such a head. (A stale
//! head of a deleted run next to a missing head of a live one would pass the length test; no
//! writer leaves one, and `check` names both.)

use redb::{ReadableTable, ReadableTableMetadata};

use super::tables::{RUNS, RUN_HEADS};
use super::{sealed, Store, StoreError};
use crate::model::{ModelConfig, Run, RunCounters, RunStatus, Usage, UsageTotals};

/// The most `list_heads` reserves up front for its payload buffer (it grows past it as needed).
const RESERVE_CAP: usize = 64 << 20;

/// The layout's first byte; a new layout gets a new number.
const LAYOUT: u8 = 1;

/// `run` as a head: its layout byte, then the fields in order, sealed.
pub(super) fn encode(run: &Run) -> Vec<u8> {
    let mut w = Vec::with_capacity(256);
    w.push(LAYOUT);
    for s in [
        &run.run_id,
        &run.conv_uid,
        &run.schema_id,
        &run.schema_ref,
        &run.schema_uid,
        &run.model_config.provider,
        &run.model_config.model,
        &run.created_at,
        &run.created_by,
    ] {
        put_str(&mut w, s);
    }
    for s in [
        &run.paused_reason,
        &run.model_config.base_url,
        &run.started_at,
        &run.finished_at,
        &run.group_id,
    ] {
        put_opt_str(&mut w, s.as_deref());
    }
    w.push(status_code(run.status));
    w.extend_from_slice(&run.model_config.temperature.to_le_bytes());
    w.extend_from_slice(&run.model_config.max_tokens.to_le_bytes());
    for n in counters_array(&run.counters) {
        w.extend_from_slice(&n.to_le_bytes());
    }
    for n in usage_array(&run.usage)
        .into_iter()
        .chain([run.active_millis])
    {
        w.extend_from_slice(&n.to_le_bytes());
    }
    put_opt(&mut w, run.usage.cost_usd.map(f64::to_le_bytes));
    put_opt(&mut w, run.sample.map(u32::to_le_bytes));
    sealed::seal_in_place(&mut w);
    w
}

/// A head's fields borrowed from its payload (no allocation, strings not yet checked to be
/// UTF-8): what [`decode`] and a lazy [`super::Head`] read.
pub(super) struct Parsed<'a> {
    /// run_id, conv_uid, schema_id, schema_ref, schema_uid, provider, model, created_at,
    /// created_by.
    pub s: [&'a [u8]; 9],
    /// paused_reason, base_url, started_at, finished_at, group_id.
    pub o: [Option<&'a [u8]>; 5],
    pub status: RunStatus,
    pub temperature: f64,
    pub max_tokens: u32,
    pub counters: RunCounters,
    pub usage: UsageTotals,
    pub active_millis: u64,
    pub sample: Option<u32>,
}

/// Parse a head's payload (checksum already verified), or `None` when it is not this layout.
pub(super) fn parse(payload: &[u8]) -> Option<Parsed<'_>> {
    let mut r = Reader(payload);
    if r.byte()? != LAYOUT {
        return None;
    }
    let mut s: [&[u8]; 9] = [&[]; 9];
    for slot in &mut s {
        *slot = r.str()?;
    }
    let mut o = [None; 5];
    for slot in &mut o {
        *slot = r.opt_str()?;
    }
    let status = status_of(r.byte()?)?;
    let temperature = f64::from_le_bytes(r.array()?);
    let max_tokens = u32::from_le_bytes(r.array()?);
    let mut c = [0u32; 7];
    for n in &mut c {
        *n = u32::from_le_bytes(r.array()?);
    }
    let mut u = [0u64; 8];
    for n in &mut u {
        *n = u64::from_le_bytes(r.array()?);
    }
    let cost_usd = r.opt::<8>()?.map(f64::from_le_bytes);
    let sample = r.opt::<4>()?.map(u32::from_le_bytes);
    if !r.0.is_empty() {
        return None;
    }
    Some(Parsed {
        s,
        o,
        status,
        temperature,
        max_tokens,
        counters: counters_from(c),
        usage: usage_from([u[0], u[1], u[2], u[3], u[4], u[5], u[6]], cost_usd),
        active_millis: u[7],
        sample,
    })
}

/// Counters from their order in a head (and a tally): total, pending, claimed, ai_complete,
/// confirmed, failed, skipped.
pub(super) fn counters_from(c: [u32; 7]) -> RunCounters {
    RunCounters {
        total: c[0],
        pending: c[1],
        claimed: c[2],
        ai_complete: c[3],
        confirmed: c[4],
        failed: c[5],
        skipped: c[6],
    }
}

/// Counters in their order in a head (and a tally): see [`counters_from`].
pub(super) fn counters_array(c: &RunCounters) -> [u32; 7] {
    [
        c.total,
        c.pending,
        c.claimed,
        c.ai_complete,
        c.confirmed,
        c.failed,
        c.skipped,
    ]
}

/// Usage in its order in a head (and a tally): see [`usage_from`].
pub(super) fn usage_array(u: &UsageTotals) -> [u64; 7] {
    let t = &u.tokens;
    [
        u.calls,
        u.cache_hit_calls,
        u.failed_calls,
        t.input_tokens,
        t.output_tokens,
        t.cache_write_tokens,
        t.cache_read_tokens,
    ]
}

/// Usage from its order in a head (and a tally): calls, cache-hit calls, failed calls, input,
/// output, cache-write and cache-read tokens.
pub(super) fn usage_from(u: [u64; 7], cost_usd: Option<f64>) -> UsageTotals {
    UsageTotals {
        calls: u[0],
        cache_hit_calls: u[1],
        failed_calls: u[2],
        tokens: Usage {
            input_tokens: u[3],
            output_tokens: u[4],
            cache_write_tokens: u[5],
            cache_read_tokens: u[6],
        },
        cost_usd,
    }
}

/// A head's run (no policy snapshot, no model-setting sources, no server note, no pack guard),
/// or `None` when the bytes are not a head of this layout.
pub(super) fn decode(sealed_bytes: &[u8]) -> Option<Run> {
    parse(sealed::verify(sealed_bytes)?)?.to_run(|b| String::from_utf8(b.to_vec()).ok())
}

impl Parsed<'_> {
    /// The run, its strings copied out by `own` (`None` from it: no run).
    pub fn to_run(&self, own: impl Fn(&[u8]) -> Option<String>) -> Option<Run> {
        let mut s = [(); 9].map(|_| String::new());
        for (slot, b) in s.iter_mut().zip(self.s) {
            *slot = own(b)?;
        }
        let mut o = [(); 5].map(|_| None);
        for (slot, b) in o.iter_mut().zip(self.o) {
            *slot = match b {
                Some(b) => Some(own(b)?),
                None => None,
            };
        }
        let [run_id, conv_uid, schema_id, schema_ref, schema_uid, provider, model, created_at, created_by] =
            s;
        let [paused_reason, base_url, started_at, finished_at, group_id] = o;
        // Built in place: `ModelConfig::fixed` would copy the two strings just decoded.
        let model_config = ModelConfig {
            provider,
            model,
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            base_url,
            sources: Default::default(),
            policy: Default::default(),
        };
        Some(Run {
            run_id,
            conv_uid,
            schema_id,
            schema_ref,
            schema_uid,
            status: self.status,
            paused_reason,
            model_config,
            counters: self.counters,
            usage: self.usage,
            created_at,
            created_by,
            started_at,
            finished_at,
            active_millis: self.active_millis,
            sample: self.sample,
            server: None,
            group_id,
            pack_guard: None,
        })
    }
}

/// `run` with only what its head keeps: what [`decode`] of [`encode`] gives back.
pub fn head_of(run: &Run) -> Run {
    let mut head = run.clone();
    head.model_config.policy.clear();
    head.model_config.sources.clear();
    head.server = None;
    head.pack_guard = None;
    head
}

fn status_code(s: RunStatus) -> u8 {
    match s {
        RunStatus::Running => 0,
        RunStatus::Paused => 1,
        RunStatus::Complete => 2,
        RunStatus::Cancelled => 3,
    }
}

fn status_of(code: u8) -> Option<RunStatus> {
    Some(match code {
        0 => RunStatus::Running,
        1 => RunStatus::Paused,
        2 => RunStatus::Complete,
        3 => RunStatus::Cancelled,
        _ => return None,
    })
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    w.extend_from_slice(&(s.len() as u32).to_le_bytes());
    w.extend_from_slice(s.as_bytes());
}

fn put_opt_str(w: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            w.push(1);
            put_str(w, s);
        }
        None => w.push(0),
    }
}

fn put_opt<const N: usize>(w: &mut Vec<u8>, v: Option<[u8; N]>) {
    match v {
        Some(b) => {
            w.push(1);
            w.extend_from_slice(&b);
        }
        None => w.push(0),
    }
}

/// Reads a head's fields off the front of its payload; `None` when it runs short.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn str(&mut self) -> Option<&'a [u8]> {
        let n = u32::from_le_bytes(self.array()?) as usize;
        self.take(n)
    }

    fn opt_str(&mut self) -> Option<Option<&'a [u8]>> {
        match self.byte()? {
            0 => Some(None),
            1 => Some(Some(self.str()?)),
            _ => None,
        }
    }

    fn opt<const N: usize>(&mut self) -> Option<Option<[u8; N]>> {
        match self.byte()? {
            0 => Some(None),
            1 => Some(Some(self.array()?)),
            _ => None,
        }
    }
}

impl Store {
    /// Every run as its head (see the module doc: no policy snapshot, model-setting sources,
    /// server note or pack guard; `get_run` reads a run whole), oldest first like
    /// [`Store::list_runs`]. What the TUI's lists read.
    pub fn list_run_heads(&self) -> Result<Vec<Run>, StoreError> {
        let _reading = super::guard::reading("the run heads table");
        let tx = self.read()?;
        let heads = match tx.open_table(RUN_HEADS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => {
                return Ok(self.list_runs()?.iter().map(head_of).collect())
            }
            Err(e) => return Err(e.into()),
        };
        let runs = tx.open_table(RUNS)?;
        if heads.len()? != runs.len()? {
            return Ok(self.list_runs()?.iter().map(head_of).collect());
        }
        let mut out = Vec::with_capacity(heads.len()? as usize);
        for entry in heads.iter()? {
            let (k, v) = entry?;
            match decode(v.value()) {
                Some(run) if run.run_id == k.value() => out.push(run),
                // Damaged or misplaced: the run records say what is true.
                _ => {
                    return self
                        .list_runs()
                        .map(|all| all.iter().map(head_of).collect())
                }
            }
        }
        out.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.run_id.cmp(&b.run_id))
        });
        Ok(out)
    }

    /// [`Store::list_run_heads`] as lazy heads (see [`super::Head`]): a run is decoded whole
    /// only when something past its id, state, creation time or schema is read.
    pub fn list_heads(&self) -> Result<Vec<super::Head>, StoreError> {
        let _reading = super::guard::reading("the run heads table");
        let whole = || -> Result<Vec<super::Head>, StoreError> {
            Ok(self
                .list_runs()?
                .iter()
                .map(|r| head_of(r).into())
                .collect())
        };
        let tx = self.read()?;
        let heads = match tx.open_table(RUN_HEADS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return whole(),
            Err(e) => return Err(e.into()),
        };
        let runs = tx.open_table(RUNS)?;
        if heads.len()? != runs.len()? {
            return whole();
        }
        match lazy_heads(&heads)? {
            Some(out) => Ok(out),
            None => whole(),
        }
    }

    /// The heads of these runs, in this order (one read transaction); a missing run is an
    /// error naming it. A missing or damaged head is read from the full record.
    pub fn get_run_heads(&self, run_ids: &[String]) -> Result<Vec<Run>, StoreError> {
        let _reading = super::guard::reading("the run heads table");
        let tx = self.read()?;
        let heads = match tx.open_table(RUN_HEADS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => {
                return Ok(self.get_runs(run_ids)?.iter().map(head_of).collect())
            }
            Err(e) => return Err(e.into()),
        };
        let runs = tx.open_table(RUNS)?;
        let mut out = Vec::with_capacity(run_ids.len());
        for id in run_ids {
            let head = heads.get(id.as_str())?.and_then(|raw| decode(raw.value()));
            match head {
                Some(run) if &run.run_id == id => out.push(run),
                _ => out.push(head_of(&full(&runs, id)?)),
            }
        }
        Ok(out)
    }
}

/// Run `run_id`'s full record inside a read transaction; missing is [`StoreError::NotFound`].
fn full(runs: &redb::ReadOnlyTable<&str, &[u8]>, run_id: &str) -> Result<Run, StoreError> {
    let raw = runs.get(run_id)?.ok_or_else(|| StoreError::NotFound {
        kind: "run",
        prefix: run_id.to_string(),
    })?;
    sealed::open_json(raw.value(), || format!("run {run_id}"))
}

/// `blockwise check`: every readable run has a head that says what its record says, and every
/// head belongs to a run. A head out of step is listed (lists then read the full record).
pub(super) fn check_heads(
    tx: &redb::ReadTransaction,
    runs: &[Run],
    report: &mut super::CheckReport,
) -> Result<(), StoreError> {
    let _reading = super::guard::reading("the run heads table");
    let heads = match tx.open_table(RUN_HEADS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            report.damage.push(super::Damage {
                subject: "the run heads table".into(),
                problem: "it is missing (lists read the full run records; a writing open \
                          writes it again)"
                    .into(),
            });
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let mut damage = |subject: String, problem: &str| {
        report.damage.push(super::Damage {
            subject,
            problem: problem.to_string(),
        })
    };
    for run in runs {
        let subject = format!("the head of run {}", run.run_id);
        match heads.get(run.run_id.as_str())? {
            None => damage(
                subject,
                "it is missing (lists read the full run record instead)",
            ),
            Some(raw) => match decode(raw.value()) {
                None => damage(
                    subject,
                    "its checksum or layout is wrong: it does not decode",
                ),
                Some(head) if head != head_of(run) => {
                    damage(subject, "it does not say what the run record says")
                }
                Some(_) => {}
            },
        }
    }
    let all_runs = tx.open_table(RUNS)?;
    for entry in heads.iter()? {
        let (k, _) = entry?;
        if all_runs.get(k.value())?.is_none() {
            damage(
                format!("the head of run {}", k.value()),
                "its run does not exist",
            );
        }
    }
    Ok(())
}

/// Every head of `heads` as lazy heads over one shared payload buffer, oldest first; `None`
/// when one is damaged or under another run's name (the caller reads the full records).
pub(super) fn lazy_heads(
    heads: &redb::ReadOnlyTable<&str, &[u8]>,
) -> Result<Option<Vec<super::Head>>, StoreError> {
    // Every payload into one buffer, each key beside its span, then the heads over it.
    let n = heads.len()? as usize;
    let (mut buf, mut spans, mut keys) = (Vec::new(), Vec::with_capacity(n), String::new());
    for entry in heads.iter()? {
        let (k, v) = entry?;
        // Damaged: the run records say what is true.
        let Some(payload) = sealed::verify(v.value()) else {
            return Ok(None);
        };
        if buf.is_empty() {
            // Heads are about the same size: room for all at once, not doubling (capped: a
            // damaged first head's length must not reserve gigabytes).
            buf.reserve(n.saturating_mul(payload.len() + 64).min(RESERVE_CAP));
            keys.reserve(n.saturating_mul(k.value().len() + 8).min(RESERVE_CAP));
        }
        // Spans are 32-bit: a list past 4 GiB of heads reads the full records instead.
        let (Ok(at), Ok(len)) = (u32::try_from(buf.len()), u32::try_from(payload.len())) else {
            return Ok(None);
        };
        if at.checked_add(len).is_none() {
            return Ok(None);
        }
        spans.push(((at, len), keys.len()));
        buf.extend_from_slice(payload);
        keys.push_str(k.value());
    }
    let shared = std::sync::Arc::new(buf);
    let mut out = Vec::with_capacity(n);
    for (i, &(span, key_at)) in spans.iter().enumerate() {
        let key_end = spans.get(i + 1).map_or(keys.len(), |s| s.1);
        match super::Head::in_shared(&shared, span) {
            Some(head) if head.is(&keys[key_at..key_end]) => out.push(head),
            // Damaged or misplaced: the run records say what is true.
            _ => return Ok(None),
        }
    }
    out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Ok(Some(out))
}
