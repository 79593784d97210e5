//! Run groups (issue 22 items 3–5): created from a project in one transaction, worked by one
//! session with packs across documents against the fake provider over real HTTP, named the git
//! way, cancelled / resumed as a whole, and exported in project order. Real redb file.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use blockwise::model::{OverlayStatus, RunStatus};
use blockwise::policy;
use blockwise::provider::prompt;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use blockwise::workspace::{RunOrGroup, Workspace};
use serde_json::{json, Value};
use support::{answer_for, FakeServer};
use tokio::sync::watch;

const ADMIN: &str = "tester";

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    ws: Workspace,
    fake: FakeServer,
    docs: Vec<String>,
}

fn schema() -> Value {
    json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 9}
    }})
}

/// `sizes[i]` paragraphs in document i (every paragraph's text unique), all in project `p`.
fn setup(sizes: &[usize]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("store.redb")).unwrap());
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let ws = Workspace::new(store.clone());
    let limits = ws.ingest_limits().unwrap();
    let mut docs = Vec::new();
    for (d, n) in sizes.iter().enumerate() {
        let f = dir.path().join(format!("doc{d}.md"));
        let text: String = (0..*n)
            .map(|i| format!("Document {d} paragraph {i} says a plain thing.\n\n"))
            .collect();
        std::fs::write(&f, text).unwrap();
        docs.push(ws.ingest(&f, limits).unwrap().document.conv_uid);
    }
    schema::save(&store, SaveRequest::new(schema(), Some("s".into()), ADMIN)).unwrap();
    ws.create_project("p", None).unwrap();
    ws.add_to_project("p", &docs).unwrap();
    Env {
        _dir: dir,
        store,
        ws,
        fake: support::fake(),
        docs,
    }
}

fn demo() -> CreateRunOptions {
    CreateRunOptions {
        provider: Some("demo".into()),
        model: Some("claude-sonnet-4-5".into()),
        ..Default::default()
    }
}

impl Env {
    fn policy(&self, key: &str, value: Value) {
        policy::set_value(&self.store, ADMIN, key, value, Some("test")).unwrap();
    }

    async fn work(&self, group_id: &str, concurrency: u32) -> RunEnd {
        let p = worker::connect(
            "anthropic",
            Some("k".into()),
            Some(self.fake.anthropic_base_url()),
        )
        .unwrap();
        let (_stop, rx) = watch::channel(false);
        let opts = EngineOptions {
            concurrency: Some(concurrency),
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            ..EngineOptions::default()
        };
        worker::run_group_worker(self.store.clone(), Arc::new(p), group_id, opts, None, rx)
            .await
            .unwrap()
    }

    /// What the fake answered for each block text: its answer is a function of the key the
    /// block had in its call and of its content.
    fn answers_by_content(&self) -> HashMap<String, Value> {
        let mut out = HashMap::new();
        for r in self.fake.requests() {
            let content = &r.body["messages"][0]["content"];
            let text = content
                .as_str()
                .map(str::to_string)
                .or_else(|| content[0]["text"].as_str().map(str::to_string))
                .unwrap_or_default();
            for b in prompt::parse_blocks(&text) {
                let a = answer_for(
                    b.block_index,
                    &b.block_type,
                    &b.content,
                    &schema()["properties"],
                );
                out.insert(b.content.clone(), a);
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_packs_across_documents_and_maps_every_result_to_its_own_run_and_block() {
    // 23 blocks in 6 documents: per document that would be 6 calls at least; across, 3.
    let env = setup(&[1, 7, 2, 3, 9, 1]);
    env.policy("worker.batching.pack_size", json!(10));
    let group = env.ws.create_group("p", "s", &demo()).unwrap();
    assert!(group.group_id.starts_with("grp_"));
    assert_eq!(group.conv_uids, env.docs, "project order");
    let runs = env.ws.group_runs(&group).unwrap();
    assert_eq!(runs.len(), 6);
    for (r, conv) in runs.iter().zip(&env.docs) {
        assert_eq!(&r.conv_uid, conv);
        assert_eq!(r.group_id.as_deref(), Some(group.group_id.as_str()));
        assert_eq!(
            r.model_config, runs[0].model_config,
            "one shared config and snapshot"
        );
    }
    assert_eq!(env.work(&group.group_id, 1).await, RunEnd::Complete);
    assert_eq!(env.fake.call_count(), 3, "ceil(23 / 10) calls");
    let answers = env.answers_by_content();
    for (r, conv) in env.ws.group_runs(&group).unwrap().iter().zip(&env.docs) {
        assert_eq!(r.status, RunStatus::Complete);
        for b in env.store.blocks(conv).unwrap() {
            let ov = env
                .store
                .overlay(&r.run_id, b.block_index)
                .unwrap()
                .unwrap();
            assert_eq!(
                ov.status,
                OverlayStatus::AiComplete,
                "{} {}",
                r.run_id,
                b.block_index
            );
            assert_eq!(
                ov.staging.as_ref(),
                answers.get(&b.block_content),
                "{}",
                b.block_content
            );
        }
    }
    // One system prompt for every call: cached once, read by the calls after.
    let systems: Vec<String> = env
        .fake
        .requests()
        .iter()
        .map(|r| r.body["system"].to_string())
        .collect();
    assert!(systems.windows(2).all(|w| w[0] == w[1]));
    let s = env.ws.group_summary(&group).unwrap();
    assert_eq!(s.status, RunStatus::Complete);
    assert_eq!((s.counters.total, s.counters.ai_complete), (23, 23));
    assert_eq!(
        s.usage.calls, 3,
        "each call counted once, by the run of its first block"
    );
    assert_eq!(s.usage.cache_hit_calls, 2);
    assert_eq!(env.ws.group_calls(&group).unwrap().len(), 3);
}

/// A call whose pack spans documents shares its tokens and cost among their runs by block
/// count (issue 22), and the members' totals add up to exactly what the calls used; the call
/// itself is counted once, by the run of its first block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_across_documents_shares_its_usage_by_blocks_and_the_totals_are_exact() {
    // Packs of 10 in project order: [d0 1, d1 7, d2 2], [d3 3, d4 7], [d4 2, d5 1].
    let env = setup(&[1, 7, 2, 3, 9, 1]);
    env.policy("worker.batching.pack_size", json!(10));
    let group = env.ws.create_group("p", "s", &demo()).unwrap();
    assert_eq!(env.work(&group.group_id, 1).await, RunEnd::Complete);
    let runs = env.ws.group_runs(&group).unwrap();
    let calls = env.ws.group_calls(&group).unwrap();
    assert_eq!(calls.len(), 3);
    let call_of = |home: usize| {
        let c: Vec<_> = calls
            .iter()
            .filter(|c| c.run_id == runs[home].run_id)
            .collect();
        assert_eq!(c.len(), 1, "one call kept by member {home}");
        c[0].usage
    };
    let (c1, c2, c3) = (call_of(0), call_of(3), call_of(4));
    // Each member's (call, blocks of it in the pack, pack size).
    let parts: [&[(blockwise::model::Usage, u64, u64)]; 6] = [
        &[(c1, 1, 10)],
        &[(c1, 7, 10)],
        &[(c1, 2, 10)],
        &[(c2, 3, 10)],
        &[(c2, 7, 10), (c3, 2, 3)],
        &[(c3, 1, 3)],
    ];
    let kinds: [fn(&blockwise::model::Usage) -> u64; 4] = [
        |u| u.input_tokens,
        |u| u.output_tokens,
        |u| u.cache_write_tokens,
        |u| u.cache_read_tokens,
    ];
    for (m, run) in runs.iter().enumerate() {
        for kind in kinds {
            let got = kind(&run.usage.tokens) as f64;
            let want: f64 = parts[m]
                .iter()
                .map(|(u, b, n)| kind(u) as f64 * *b as f64 / *n as f64)
                .sum();
            assert!(
                (got - want).abs() <= parts[m].len() as f64,
                "member {m}: {got} tokens, its share is {want}"
            );
        }
        assert!(
            run.usage.tokens.input_tokens > 0,
            "member {m} shares a call"
        );
    }
    for kind in kinds {
        let members: u64 = runs.iter().map(|r| kind(&r.usage.tokens)).sum();
        let used: u64 = calls.iter().map(|c| kind(&c.usage)).sum();
        assert_eq!(members, used, "the members' shares add up to the calls");
    }
    let s = env.ws.group_summary(&group).unwrap();
    assert_eq!(s.usage.calls, 3, "each call counted once");
    assert_eq!(runs.iter().map(|r| r.usage.calls).sum::<u64>(), 3);
}

#[test]
fn unknown_and_empty_projects_are_refused_and_write_nothing() {
    let env = setup(&[2]);
    env.ws.create_project("empty", None).unwrap();
    let before = env.store.fingerprint().unwrap();
    let e = env
        .ws
        .create_group("nope", "s", &demo())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no project 'nope'"), "{e}");
    let e = env
        .ws
        .create_group("empty", "s", &demo())
        .unwrap_err()
        .to_string();
    assert!(e.contains("project 'empty' has no documents"), "{e}");
    let e = env
        .ws
        .estimate_group("empty", "s", &demo())
        .unwrap_err()
        .to_string();
    assert!(e.contains("has no documents"), "{e}");
    let e = env
        .ws
        .create_group("p", "no-such-schema", &demo())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no-such-schema"), "{e}");
    assert_eq!(env.store.fingerprint().unwrap(), before);
    assert!(env.ws.list_groups().unwrap().is_empty());
}

#[test]
fn a_project_that_changes_between_plan_and_write_leaves_no_half_group() {
    let env = setup(&[2, 3]);
    let plan = worker::plan_group(&env.store, "p", &env.docs, "s", &demo()).unwrap();
    env.ws
        .remove_from_project("p", &[env.docs[1].clone()])
        .unwrap();
    let before = env.store.fingerprint().unwrap();
    let e = env
        .store
        .create_group(&plan.group, &plan.members)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("changed while the run group was being made"),
        "{e}"
    );
    assert_eq!(env.store.fingerprint().unwrap(), before, "nothing written");
    assert!(env.store.list_runs().unwrap().is_empty());
}

#[test]
fn group_ids_resolve_by_prefix_and_cancel_resume_and_delete_guard_act_on_the_group() {
    let env = setup(&[2, 3]);
    let group = env.ws.create_group("p", "s", &demo()).unwrap();
    let RunOrGroup::Group(g) = env.ws.resolve_run_or_group(&group.group_id[..7]).unwrap() else {
        panic!("a grp_ prefix names a group")
    };
    assert_eq!(g.group_id, group.group_id);
    let RunOrGroup::Run(r) = env.ws.resolve_run_or_group(&group.run_ids[1][..9]).unwrap() else {
        panic!("a run prefix names a run")
    };
    assert_eq!(r, group.run_ids[1]);
    let s = env.ws.cancel_group(&group).unwrap();
    assert_eq!((s.status, s.runs_cancelled), (RunStatus::Cancelled, 2));
    let s = env.ws.resume_group(&group).unwrap();
    assert_eq!(s.status, RunStatus::Running);
    let e = env.ws.delete_project("p").unwrap_err().to_string();
    assert!(
        e.contains(&group.group_id),
        "the delete guard names the group: {e}"
    );
    // An estimate of the project packs across documents: 5 blocks, one call.
    let est = env.ws.estimate_group("p", "s", &demo()).unwrap();
    assert_eq!((est.blocks, est.calls), (5, 1));
}
