//! Group tallies (store format 8, issue 22): a run group's member runs summed, kept in the
//! write transaction that writes a member's head, so a list shows a group without reading its
//! members.
//!
//! A tally holds, per group: how many member heads it includes, members by state, the member
//! counters and usage summed, and every member's block total in project order (immutable: the
//! grid lays its rows out from them). Every sum is an integer, changed by exact differences
//! (old head out, new head in), so it never drifts: a cost is kept in nano-dollars, each member's
//! cost rounded once (the same rounding [`GroupTally::of_members`] uses, so a tally kept up to
//! date equals one summed afresh, bit for bit).
//!
//! When a difference cannot be taken (the old head does not decode, the tally itself does not),
//! the writer removes the group's tally: readers then sum the member heads (slower, still
//! right), `check` names the missing tally and the next writing open writes every tally again.

use crate::model::nanos;
use crate::model::{GroupSummary, MemberState, RunCounters, RunGroup, RunStatus};
use crate::model::{Run, UsageTotals};

use super::sealed;

/// The layout's first byte; a new layout gets a new number.
const LAYOUT: u8 = 1;

/// Bytes before the block totals: layout, included, four states, 7 counters, 7 usage sums,
/// cost, members without a cost, and the number of totals.
const FIXED: usize = 1 + 4 + 4 * 4 + 7 * 8 + 7 * 8 + 8 + 4 + 4;

/// A group's members summed (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupTally {
    /// Member heads the sums include (the group's size when in step).
    pub included: u32,
    /// Included members by state: running, paused, complete, cancelled.
    pub by_status: [u32; 4],
    /// total, pending, claimed, ai_complete, confirmed, failed, skipped.
    pub counters: [u64; 7],
    /// calls, cache-hit calls, failed calls, input, output, cache-write, cache-read tokens.
    pub usage: [u64; 7],
    /// The members' costs, each rounded to a nano-dollar, summed.
    pub cost_nanos: i64,
    /// Members whose model has no price (the group's cost is then unknown).
    pub cost_unknown: u32,
    /// Block total of every member run, in project order (`group.run_ids`).
    pub totals: Vec<u32>,
}

/// What one member adds to its group's tally.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Part {
    status: RunStatus,
    counters: RunCounters,
    usage: [u64; 7],
    cost: Option<f64>,
}

impl Part {
    pub(super) fn of_state(m: &impl MemberState) -> Part {
        Part::new(m.status(), m.counters(), m.usage())
    }

    pub(super) fn new(status: RunStatus, c: &RunCounters, u: &UsageTotals) -> Part {
        Part {
            status,
            counters: *c,
            usage: super::run_heads::usage_array(u),
            cost: u.cost_usd,
        }
    }
}

fn state_slot(s: RunStatus) -> usize {
    match s {
        RunStatus::Running => 0,
        RunStatus::Paused => 1,
        RunStatus::Complete => 2,
        RunStatus::Cancelled => 3,
    }
}

impl GroupTally {
    /// An empty tally of a group whose members have these block totals.
    pub fn new(totals: Vec<u32>) -> GroupTally {
        GroupTally {
            totals,
            ..GroupTally::default()
        }
    }

    /// `members` summed afresh (what a tally kept up to date must equal).
    pub fn of_members<'a, M: MemberState + 'a>(
        totals: Vec<u32>,
        members: impl IntoIterator<Item = &'a M>,
    ) -> GroupTally {
        let mut t = GroupTally::new(totals);
        for m in members {
            t.add(&Part::of_state(m));
        }
        t
    }

    /// Include a member (wrapping: a difference taken later out of order still ends exact).
    pub(super) fn add(&mut self, p: &Part) {
        self.step(p, true);
    }

    /// Take a member out.
    pub(super) fn remove(&mut self, p: &Part) {
        self.step(p, false);
    }

    fn step(&mut self, p: &Part, add: bool) {
        let op32 = |a: u32, b: u32| {
            if add {
                a.wrapping_add(b)
            } else {
                a.wrapping_sub(b)
            }
        };
        let op64 = |a: u64, b: u64| {
            if add {
                a.wrapping_add(b)
            } else {
                a.wrapping_sub(b)
            }
        };
        self.included = op32(self.included, 1);
        let s = &mut self.by_status[state_slot(p.status)];
        *s = op32(*s, 1);
        for (sum, n) in self
            .counters
            .iter_mut()
            .zip(super::run_heads::counters_array(&p.counters))
        {
            *sum = op64(*sum, u64::from(n));
        }
        for (sum, n) in self.usage.iter_mut().zip(p.usage) {
            *sum = op64(*sum, n);
        }
        match p.cost {
            Some(c) if add => self.cost_nanos = self.cost_nanos.wrapping_add(nanos(c)),
            Some(c) => self.cost_nanos = self.cost_nanos.wrapping_sub(nanos(c)),
            None => self.cost_unknown = op32(self.cost_unknown, 1),
        }
    }

    /// Whether the tally includes every member of `group` (else a reader sums the members).
    pub fn is_whole(&self, group: &RunGroup) -> bool {
        self.included as usize == group.run_ids.len() && self.totals.len() == group.run_ids.len()
    }

    /// The members' counters summed (a sum past `u32::MAX` shows as `u32::MAX`).
    pub fn counters(&self) -> RunCounters {
        super::run_heads::counters_from(self.counters.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// The members' usage summed; the cost is unknown when any member's is.
    pub fn usage(&self) -> UsageTotals {
        let cost = (self.cost_unknown == 0).then(|| self.cost_nanos as f64 / 1e9);
        super::run_heads::usage_from(self.usage, cost)
    }

    /// The group's summary from the sums (`GroupSummary::of_sums`: no paused reason, a
    /// member's text, which a tally does not keep).
    pub fn summary(&self, group: &RunGroup) -> GroupSummary {
        let states = self.by_status.map(|n| n as usize);
        GroupSummary::of_sums(group, states, self.counters(), self.usage())
    }

    /// The sealed bytes of this tally.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut w = Vec::with_capacity(FIXED + 4 * self.totals.len() + 4);
        w.push(LAYOUT);
        w.extend_from_slice(&self.included.to_le_bytes());
        for n in self.by_status {
            w.extend_from_slice(&n.to_le_bytes());
        }
        for n in self.counters.iter().chain(&self.usage) {
            w.extend_from_slice(&n.to_le_bytes());
        }
        w.extend_from_slice(&self.cost_nanos.to_le_bytes());
        w.extend_from_slice(&self.cost_unknown.to_le_bytes());
        w.extend_from_slice(&(self.totals.len() as u32).to_le_bytes());
        for n in &self.totals {
            w.extend_from_slice(&n.to_le_bytes());
        }
        sealed::seal_in_place(&mut w);
        w
    }

    /// A tally from its sealed bytes; `None` when damaged or not this layout.
    pub(super) fn decode(sealed_bytes: &[u8]) -> Option<GroupTally> {
        let p = payload(sealed_bytes)?;
        let mut at = 1;
        let mut take = |n: usize| {
            let s = &p[at..at + n];
            at += n;
            s
        };
        let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        let u64_of = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
        let included = u32_of(take(4));
        let by_status = [(); 4].map(|_| u32_of(take(4)));
        let counters = [(); 7].map(|_| u64_of(take(8)));
        let usage = [(); 7].map(|_| u64_of(take(8)));
        let cost_nanos = u64_of(take(8)) as i64;
        let cost_unknown = u32_of(take(4));
        let totals = p[FIXED..].chunks_exact(4).map(u32_of).collect();
        Some(GroupTally {
            included,
            by_status,
            counters,
            usage,
            cost_nanos,
            cost_unknown,
            totals,
        })
    }
}

/// A tally's payload when its checksum, layout byte and length (the fixed part, then as many
/// block totals as it says) are right.
fn payload(sealed_bytes: &[u8]) -> Option<&[u8]> {
    let p = sealed::verify(sealed_bytes)?;
    if p.len() < FIXED || p[0] != LAYOUT {
        return None;
    }
    let n = u32::from_le_bytes(p[FIXED - 4..FIXED].try_into().ok()?) as usize;
    (p.len() - FIXED == n.checked_mul(4)?).then_some(p)
}

/// How many member heads a stored tally includes, without decoding it (a writing open counts
/// them; `None` when the tally does not decode).
pub(super) fn included_in(sealed_bytes: &[u8]) -> Option<u32> {
    let p = payload(sealed_bytes)?;
    Some(u32::from_le_bytes(p[1..5].try_into().ok()?))
}

/// The block totals of a group's members (their runs' `counters.total`, fixed at creation).
pub(super) fn totals_of(members: &[Run]) -> Vec<u32> {
    members.iter().map(|r| r.counters.total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    fn member(status: RunStatus, total: u32, done: u32, cost: Option<f64>) -> Run {
        let mut r = Run::new(
            "run_x",
            "c",
            ("s", "s", "u"),
            ModelConfig::fixed("demo", "m", 0.0, 9),
            "me",
        );
        r.status = status;
        r.counters.total = total;
        r.counters.ai_complete = done;
        r.counters.pending = total - done;
        r.usage.calls = u64::from(done);
        r.usage.tokens.input_tokens = 1000;
        r.usage.cost_usd = cost;
        r
    }

    #[test]
    fn differences_applied_one_by_one_equal_the_sum_taken_afresh() {
        let a0 = member(RunStatus::Running, 10, 0, Some(0.0));
        let b0 = member(RunStatus::Running, 7, 0, Some(0.0));
        let mut kept = GroupTally::of_members(vec![10, 7], [&a0, &b0]);
        // Costs that do not add up exactly in binary floating point.
        let a1 = member(RunStatus::Running, 10, 4, Some(0.1));
        let b1 = member(RunStatus::Complete, 7, 7, Some(0.2));
        let a2 = member(RunStatus::Paused, 10, 6, Some(0.30000000000000004));
        for (old, new) in [(&a0, &a1), (&b0, &b1), (&a1, &a2)] {
            kept.remove(&Part::of_state(old));
            kept.add(&Part::of_state(new));
        }
        let fresh = GroupTally::of_members(vec![10, 7], [&a2, &b1]);
        assert_eq!(kept, fresh);
        assert_eq!(kept.counters().ai_complete, 13);
        assert_eq!(kept.by_status, [0, 1, 1, 0]);
        assert_eq!(kept.usage().cost_usd, Some(0.5));
    }

    #[test]
    fn a_member_without_a_price_makes_the_cost_unknown_until_it_leaves() {
        let priced = member(RunStatus::Complete, 3, 3, Some(1.5));
        let unpriced = member(RunStatus::Complete, 3, 3, None);
        let mut t = GroupTally::of_members(vec![3, 3], [&priced, &unpriced]);
        assert_eq!(t.usage().cost_usd, None);
        t.remove(&Part::of_state(&unpriced));
        assert_eq!(t.usage().cost_usd, Some(1.5));
    }

    #[test]
    fn the_summary_matches_the_one_summed_from_the_members() {
        let group = RunGroup {
            group_id: "grp_1".into(),
            project_ref: "p".into(),
            schema_id: "s".into(),
            schema_ref: "s".into(),
            schema_uid: "u".into(),
            run_ids: vec!["a".into(), "b".into(), "c".into()],
            conv_uids: vec!["x".into(), "y".into(), "z".into()],
            created_at: "t".into(),
            created_by: "me".into(),
            cancelled: false,
        };
        for states in [
            [
                RunStatus::Complete,
                RunStatus::Complete,
                RunStatus::Complete,
            ],
            [RunStatus::Complete, RunStatus::Running, RunStatus::Paused],
            [RunStatus::Cancelled, RunStatus::Paused, RunStatus::Complete],
            [
                RunStatus::Cancelled,
                RunStatus::Cancelled,
                RunStatus::Complete,
            ],
        ] {
            let members: Vec<Run> = states
                .iter()
                .map(|s| member(*s, 5, 2, Some(0.25)))
                .collect();
            let t = GroupTally::of_members(totals_of(&members), &members);
            let mut want = GroupSummary::of(&group, &members);
            want.paused_reason = None;
            assert_eq!(t.summary(&group), want, "{states:?}");
        }
    }

    #[test]
    fn encoding_round_trips_and_damage_is_refused() {
        let m = member(RunStatus::Running, 4, 1, Some(0.003));
        let t = GroupTally::of_members(vec![4, 9, 0], [&m]);
        let bytes = t.encode();
        assert_eq!(GroupTally::decode(&bytes), Some(t));
        let mut bad = bytes.clone();
        bad[3] ^= 1;
        assert_eq!(GroupTally::decode(&bad), None);
        assert_eq!(GroupTally::decode(&bytes[..bytes.len() - 1]), None);
    }
}
