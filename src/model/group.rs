//! Run groups (SPEC §1a): one schema over every document of a project snapshot, one ordinary
//! run per member document. A group's status, counters and usage are its members' sums.

use serde::{Deserialize, Serialize};

use super::{Run, RunCounters, RunStatus, UsageTotals};

/// A run group as stored: the project snapshot (member runs in project order) and what every
/// member shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunGroup {
    pub group_id: String,
    /// The project the member list was taken from (its later changes do not change the group).
    pub project_ref: String,
    pub schema_id: String,
    pub schema_ref: String,
    pub schema_uid: String,
    /// Member runs in project order; `conv_uids[i]` is the document of `run_ids[i]`.
    pub run_ids: Vec<String>,
    pub conv_uids: Vec<String>,
    pub created_at: String,
    pub created_by: String,
    /// Set by a group cancel, cleared by a group resume: a group worker watches this one
    /// record instead of every member.
    #[serde(default)]
    pub cancelled: bool,
}

/// What a group shows: its members' states summed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    pub group_id: String,
    pub project_ref: String,
    pub schema_ref: String,
    pub status: RunStatus,
    pub runs: usize,
    pub runs_complete: usize,
    pub runs_paused: usize,
    pub runs_cancelled: usize,
    pub counters: RunCounters,
    pub usage: UsageTotals,
    /// The first paused member's reason, if any member is paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_reason: Option<String>,
}

/// A cost in whole nano-dollars, as a group sums it (a cost past ±9.2e9 USD saturates).
pub fn nanos(cost_usd: f64) -> i64 {
    (cost_usd * 1e9).round() as i64
}

/// What a group's sums read of a member run (a `Run`, or a lazy head that has not decoded it).
pub trait MemberState {
    fn status(&self) -> RunStatus;
    fn counters(&self) -> &RunCounters;
    fn usage(&self) -> &UsageTotals;
    fn paused_reason(&self) -> Option<&str>;
}

impl MemberState for Run {
    fn status(&self) -> RunStatus {
        self.status
    }
    fn counters(&self) -> &RunCounters {
        &self.counters
    }
    fn usage(&self) -> &UsageTotals {
        &self.usage
    }
    fn paused_reason(&self) -> Option<&str> {
        self.paused_reason.as_deref()
    }
}

impl GroupSummary {
    /// Sum `members` (the group's runs). Status: `complete` when every member is; else
    /// `running` while any member runs, else `paused` if any is paused, else `cancelled`.
    pub fn of<'a, M: MemberState + 'a>(
        group: &RunGroup,
        members: impl IntoIterator<Item = &'a M>,
    ) -> GroupSummary {
        let members: Vec<&M> = members.into_iter().collect();
        let mut counters = RunCounters::default();
        let mut usage = UsageTotals::default();
        // Summed in whole nano-dollars, each member's cost rounded once: the same sum a
        // stored group tally keeps by differences (no floating-point drift).
        let mut cost_nanos = Some(0i64);
        let count = |s: RunStatus| members.iter().filter(|r| r.status() == s).count();
        for r in &members {
            let (c, u) = (r.counters(), r.usage());
            counters.add(c);
            usage.calls += u.calls;
            usage.cache_hit_calls += u.cache_hit_calls;
            usage.failed_calls += u.failed_calls;
            usage.tokens.add(&u.tokens);
            cost_nanos = cost_nanos
                .zip(u.cost_usd)
                .map(|(a, b)| a.wrapping_add(nanos(b)));
        }
        usage.cost_usd = cost_nanos.map(|n| n as f64 / 1e9);
        let states = [
            RunStatus::Running,
            RunStatus::Paused,
            RunStatus::Complete,
            RunStatus::Cancelled,
        ]
        .map(count);
        let mut s = GroupSummary::of_sums(group, states, counters, usage);
        s.paused_reason = members
            .iter()
            .find_map(|r| r.paused_reason().map(str::to_string));
        s
    }

    /// A summary from sums already taken: `states` counts the members running, paused,
    /// complete and cancelled (no paused reason). Status: `complete` when every member is;
    /// else `running` while any member runs, else `paused` if any is, else `cancelled`.
    pub fn of_sums(
        group: &RunGroup,
        states: [usize; 4],
        counters: RunCounters,
        usage: UsageTotals,
    ) -> GroupSummary {
        let [running, paused, complete, cancelled] = states;
        let runs = states.iter().sum();
        let status = if complete == runs {
            RunStatus::Complete
        } else if running > 0 {
            RunStatus::Running
        } else if paused > 0 {
            RunStatus::Paused
        } else {
            RunStatus::Cancelled
        };
        GroupSummary {
            group_id: group.group_id.clone(),
            project_ref: group.project_ref.clone(),
            schema_ref: group.schema_ref.clone(),
            status,
            runs,
            runs_complete: complete,
            runs_paused: paused,
            runs_cancelled: cancelled,
            counters,
            usage,
            paused_reason: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    fn member(id: &str, status: RunStatus, total: u32, calls: u64, cost: Option<f64>) -> Run {
        let mut r = Run::new(
            id,
            "c",
            ("s", "s", "u"),
            ModelConfig::fixed("demo", "m", 0.0, 9),
            "me",
        );
        r.status = status;
        r.counters.total = total;
        r.counters.ai_complete = total;
        r.usage.calls = calls;
        r.usage.cost_usd = cost;
        r
    }

    fn group() -> RunGroup {
        RunGroup {
            group_id: "grp_1".into(),
            project_ref: "p".into(),
            schema_id: "s".into(),
            schema_ref: "s".into(),
            schema_uid: "u".into(),
            run_ids: vec![],
            conv_uids: vec![],
            created_at: String::new(),
            created_by: String::new(),
            cancelled: false,
        }
    }

    #[test]
    fn a_group_sums_its_members_and_is_complete_only_when_every_member_is() {
        let done = member("a", RunStatus::Complete, 3, 1, Some(0.5));
        let running = member("b", RunStatus::Running, 4, 2, Some(0.25));
        let s = GroupSummary::of(&group(), &[done.clone(), running]);
        assert_eq!(s.status, RunStatus::Running);
        assert_eq!((s.counters.total, s.usage.calls), (7, 3));
        assert_eq!(s.usage.cost_usd, Some(0.75));
        assert_eq!(s.runs_complete, 1);
        let s = GroupSummary::of(&group(), &[done.clone(), done.clone()]);
        assert_eq!(s.status, RunStatus::Complete);
        let unpriced = member("c", RunStatus::Paused, 1, 1, None);
        let s = GroupSummary::of(&group(), &[done, unpriced]);
        assert_eq!(s.status, RunStatus::Paused);
        assert_eq!(
            s.usage.cost_usd, None,
            "one unknown cost makes the sum unknown"
        );
    }
}
