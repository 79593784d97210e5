//! A lazy run head (issue 22): a run's head kept as its bytes, with what a list sums and sorts
//! by read out at once, and the whole `Run` decoded the first time anything else is asked.
//!
//! A head decoded as a `Run` costs ten allocations (its strings). The TUI's launch on a
//! 1,000-document run group lists 1,000 member heads but shows none of them until the group
//! unfolds; their group row needs only their state. A `Head` costs its byte copy: it derefs to
//! the `Run` (decoding it once), so every reader sees the same run as before.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use super::run_heads::{parse, Parsed};
use crate::model::{MemberState, Run, RunCounters, RunStatus, UsageTotals};

/// A run head: its verified payload and the fields lists need, or a run already decoded.
#[derive(Clone)]
pub struct Head {
    /// The payloads of every head listed with this one (one buffer: a list of 1,000 heads is
    /// one allocation, not 1,000); `None` when built from a run.
    bytes: Option<Arc<Vec<u8>>>,
    /// This head's payload in `bytes` (checksum verified, layout parsed once): start, length.
    span: (u32, u32),
    /// Byte ranges in `bytes`: run_id, created_at, schema_id, paused_reason and group_id (if
    /// any).
    at: [(u32, u32); 5],
    has_reason: bool,
    has_group: bool,
    // Named apart from `Run`'s fields, which a `Head` derefs to.
    state: (RunStatus, RunCounters, UsageTotals),
    /// Boxed: a `Head` stays small to move and sort.
    run: OnceLock<Box<Run>>,
}

impl Head {
    /// From a head's verified payload; `None` when it does not parse or the strings a list
    /// reads (id, creation time, schema, pause reason, group) are not UTF-8.
    #[cfg(test)]
    pub(super) fn from_payload(payload: &[u8]) -> Option<Head> {
        let len = payload.len() as u32;
        Head::in_shared(&Arc::new(payload.to_vec()), (0, len))
    }

    /// The head whose verified payload is `span` (start, length) of `shared`; `None` as for
    /// [`Head::from_payload`].
    pub(super) fn in_shared(shared: &Arc<Vec<u8>>, span: (u32, u32)) -> Option<Head> {
        let (start, len) = (span.0 as usize, span.1 as usize);
        let payload = shared.get(start..start + len)?;
        let p = parse(payload)?;
        let base = shared.as_ptr() as usize;
        // Where `b` (a slice of `payload`) lies in `shared`; an empty one reads as (0, 0).
        let range = |b: &[u8]| match (b.as_ptr() as usize).checked_sub(base) {
            Some(at) if !b.is_empty() && at + b.len() <= shared.len() => {
                (at as u32, b.len() as u32)
            }
            _ => (0, 0),
        };
        let Parsed { s, o, .. } = &p;
        let listed = [
            s[0],
            s[7],
            s[2],
            o[0].unwrap_or_default(),
            o[4].unwrap_or_default(),
        ];
        let utf8 = |b: &[u8]| b.is_ascii() || std::str::from_utf8(b).is_ok();
        if !listed.iter().all(|b| utf8(b)) {
            return None;
        }
        Some(Head {
            bytes: Some(shared.clone()),
            span,
            at: listed.map(range),
            has_reason: o[0].is_some(),
            has_group: o[4].is_some(),
            state: (p.status, p.counters, p.usage),
            run: OnceLock::new(),
        })
    }

    fn buf(&self) -> &[u8] {
        self.bytes.as_deref().map_or(&[], Vec::as_slice)
    }

    fn raw(&self, k: usize) -> &[u8] {
        let (at, n) = self.at[k];
        &self.buf()[at as usize..(at + n) as usize]
    }

    fn slice(&self, k: usize) -> &str {
        let raw = self.raw(k);
        // SAFETY: `in_shared` checked that these five ranges are UTF-8, and the shared buffer
        // is never written after the heads over it are made (it sits behind an `Arc`, not
        // `&mut`). A list sorts and groups by these strings: checking them again on every read
        // cost a 1,000-document group's launch 0.3M instructions.
        unsafe { std::str::from_utf8_unchecked(raw) }
    }

    /// The run whole (decoded now if it was not yet). Its other strings were written from
    /// `String`s and passed the checksum; one that is not UTF-8 anyway is shown with U+FFFD
    /// (`blockwise check` names such a head).
    pub fn run(&self) -> &Run {
        self.run.get_or_init(|| {
            let lossy = |b: &[u8]| Some(String::from_utf8_lossy(b).into_owned());
            // `in_shared` parsed these same bytes, and `lossy` never refuses.
            let (start, len) = (self.span.0 as usize, self.span.1 as usize);
            let p = parse(&self.buf()[start..start + len]).expect("a head's bytes parse");
            Box::new(p.to_run(lossy).expect("lossy strings"))
        })
    }

    /// Whether this is run `run_id` (no decoding).
    pub fn is(&self, run_id: &str) -> bool {
        match self.run.get() {
            Some(r) => r.run_id == run_id,
            None => self.raw(0) == run_id.as_bytes(),
        }
    }

    /// (created_at, run_id) as bytes: the lists' order (byte order is `str` order).
    pub fn order_key(&self) -> (&[u8], &[u8]) {
        match self.run.get() {
            Some(r) => (r.created_at.as_bytes(), r.run_id.as_bytes()),
            None => (self.raw(1), self.raw(0)),
        }
    }

    pub fn run_id(&self) -> &str {
        match self.run.get() {
            Some(r) => &r.run_id,
            None => self.slice(0),
        }
    }

    pub fn created_at(&self) -> &str {
        match self.run.get() {
            Some(r) => &r.created_at,
            None => self.slice(1),
        }
    }

    pub fn schema_id(&self) -> &str {
        match self.run.get() {
            Some(r) => &r.schema_id,
            None => self.slice(2),
        }
    }

    /// The run group this run belongs to, if any (no decoding).
    pub fn group_id(&self) -> Option<&str> {
        match self.run.get() {
            Some(r) => r.group_id.as_deref(),
            None => self.has_group.then(|| self.slice(4)),
        }
    }
}

impl MemberState for Head {
    fn status(&self) -> RunStatus {
        self.run.get().map_or(self.state.0, |r| r.status)
    }
    fn counters(&self) -> &RunCounters {
        self.run.get().map_or(&self.state.1, |r| &r.counters)
    }
    fn usage(&self) -> &UsageTotals {
        self.run.get().map_or(&self.state.2, |r| &r.usage)
    }
    fn paused_reason(&self) -> Option<&str> {
        match self.run.get() {
            Some(r) => r.paused_reason.as_deref(),
            None => self.has_reason.then(|| self.slice(3)),
        }
    }
}

impl From<Run> for Head {
    fn from(run: Run) -> Head {
        Head {
            bytes: None,
            span: (0, 0),
            at: [(0, 0); 5],
            has_reason: false,
            has_group: false,
            state: (run.status, run.counters, run.usage),
            run: OnceLock::from(Box::new(run)),
        }
    }
}

impl Deref for Head {
    type Target = Run;
    fn deref(&self) -> &Run {
        self.run()
    }
}

impl DerefMut for Head {
    fn deref_mut(&mut self) -> &mut Run {
        self.run();
        // Just filled by `run()`.
        self.run.get_mut().expect("decoded")
    }
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.run().fmt(f)
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        self.run() == other.run()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    fn run() -> Run {
        let mut r = Run::new(
            "run_a",
            "conv_a",
            ("sch_a", "s@1", "uid"),
            ModelConfig::fixed("demo", "m", 0.0, 9),
            "me",
        );
        r.status = RunStatus::Paused;
        r.paused_reason = Some("quota".into());
        r.counters.total = 7;
        r.usage.calls = 3;
        r.group_id = Some("grp_a".into());
        r
    }

    #[test]
    fn a_lazy_head_says_what_its_run_says_before_and_after_decoding() {
        let r = run();
        let sealed = super::super::run_heads::encode(&r);
        let payload = super::super::sealed::verify(&sealed).unwrap();
        let h = Head::from_payload(payload).unwrap();
        assert_eq!(h.run_id(), "run_a");
        assert_eq!(h.created_at(), r.created_at);
        assert_eq!(h.schema_id(), "sch_a");
        assert_eq!(h.paused_reason(), Some("quota"));
        assert_eq!(h.group_id(), Some("grp_a"));
        assert_eq!(MemberState::status(&h), RunStatus::Paused);
        assert_eq!(MemberState::counters(&h).total, 7);
        assert_eq!(MemberState::usage(&h).calls, 3);
        assert!(h.run.get().is_none(), "nothing above decodes the run");
        assert_eq!(*h.run(), super::super::run_heads::head_of(&r));
        let mut m = h.clone();
        m.counters.total = 9;
        m.paused_reason = None;
        assert_eq!(MemberState::counters(&m).total, 9);
        assert_eq!(m.paused_reason(), None);
        assert_eq!(Head::from(r.clone()).run_id(), "run_a");
    }
}
