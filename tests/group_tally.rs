//! Group tallies and solo heads (issue 22, store format 8): a run group's members summed in the
//! transaction that writes a member's head, so the Runs list shows a group without reading its
//! members. The tally follows every writer (create, worker, review, cancel, resume), equals the
//! members summed afresh, and when it cannot be trusted (damaged, a damaged member head under a
//! write, an old store) readers sum the members, `check` names it and a writing open writes it
//! again. Real redb file, real loopback fake provider.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use blockwise::model::{GroupSummary, RunGroup};
use blockwise::policy;
use blockwise::review::{Selection, Target};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::{tables, Store};
use blockwise::worker::{self, CreateRunOptions, EngineOptions};
use blockwise::workspace::Workspace;
use redb::{ReadableDatabase, ReadableTable};
use serde_json::json;
use tokio::sync::watch;

const ADMIN: &str = "tester";

fn demo() -> CreateRunOptions {
    CreateRunOptions {
        provider: Some("demo".into()),
        model: Some("claude-sonnet-4-5".into()),
        ..Default::default()
    }
}

/// A store with documents of `sizes[i]` paragraphs in project `p`, a group over them and one
/// run of no group (over document 0).
fn setup(dir: &Path, sizes: &[usize]) -> (PathBuf, RunGroup, String) {
    let path = dir.join("s.redb");
    let store = Arc::new(Store::open(&path).unwrap());
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let ws = Workspace::new(store.clone());
    let limits = ws.ingest_limits().unwrap();
    let mut docs = Vec::new();
    for (d, n) in sizes.iter().enumerate() {
        let f = dir.join(format!("doc{d}.md"));
        let text: String = (0..*n)
            .map(|i| format!("Document {d} paragraph {i} says a plain thing.\n\n"))
            .collect();
        std::fs::write(&f, text).unwrap();
        docs.push(ws.ingest(&f, limits).unwrap().document.conv_uid);
    }
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    ws.create_project("p", None).unwrap();
    ws.add_to_project("p", &docs).unwrap();
    let group = ws.create_group("p", "s", &demo()).unwrap();
    let solo = worker::create_run(&store, &docs[0], "s", &demo()).unwrap();
    (path, group, solo.run_id)
}

/// The overview lists the solo runs only, and the group's tally says what its members summed
/// afresh say; `check` is clean.
fn assert_in_step(store: &Arc<Store>, group: &RunGroup, solo: &str) {
    let ws = Workspace::new(store.clone());
    let o = ws.run_overview().unwrap();
    assert!(!o.members_listed, "the tallies are trusted");
    let ids: Vec<&str> = o.runs.iter().map(|h| h.run_id()).collect();
    assert_eq!(ids, [solo], "only the run of no group is listed");
    assert_eq!(o.groups.len(), 1);
    let tally = o.tallies[0].as_ref().expect("a tally");
    let members = ws.group_runs(group).unwrap();
    let mut want = GroupSummary::of(group, &members);
    want.paused_reason = None;
    assert_eq!(tally.summary(group), want);
    let totals: Vec<u32> = members.iter().map(|r| r.counters.total).collect();
    assert_eq!(tally.totals, totals);
    assert_eq!(ws.group_tally(group).unwrap().as_ref(), Some(tally));
    let report = store.check().unwrap();
    assert!(report.ok(), "{:?}", report.damage);
}

/// Without trusted tallies every head is listed, the members included.
fn assert_members_listed(store: &Store, group: &RunGroup) {
    let o = store.run_overview().unwrap();
    assert!(o.members_listed);
    assert_eq!(o.runs.len(), group.run_ids.len() + 1);
    assert!(o.tallies.iter().all(Option::is_none));
    assert_eq!(store.group_tally(group).unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tally_follows_every_write_of_its_members() {
    let dir = tempfile::tempdir().unwrap();
    let (path, group, solo) = setup(dir.path(), &[3, 7, 1, 4]);
    let store = Arc::new(Store::open(&path).unwrap());
    assert_in_step(&store, &group, &solo);
    let fresh = store.run_overview().unwrap().tallies[0].clone().unwrap();
    assert_eq!(fresh.included, 4);
    assert_eq!(fresh.counters().pending, 15);
    assert_eq!(fresh.totals, [3, 7, 1, 4]);

    // The worker over real HTTP: packs across members (10 blocks a call), usage and cost.
    let fake = support::fake();
    let p = worker::connect(
        "anthropic",
        Some("k".into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let (_stop, rx) = watch::channel(false);
    let opts = EngineOptions {
        concurrency: Some(3),
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        ..EngineOptions::default()
    };
    worker::run_group_worker(store.clone(), Arc::new(p), &group.group_id, opts, None, rx)
        .await
        .unwrap();
    assert_in_step(&store, &group, &solo);
    let worked = store.run_overview().unwrap().tallies[0].clone().unwrap();
    assert_eq!(worked.counters().ai_complete, 15);
    let u = worked.usage();
    assert!(u.calls == 2 && u.cost_usd.is_some_and(|c| c > 0.0), "{u:?}");

    // Review in one member, then the group cancelled and resumed.
    let ws = Workspace::new(store.clone());
    let target = Target::Blocks(Selection::from_indices(0..3));
    ws.confirm(&group.run_ids[1], &target).unwrap();
    assert_in_step(&store, &group, &solo);
    assert_eq!(
        store.run_overview().unwrap().tallies[0]
            .as_ref()
            .unwrap()
            .counters()
            .confirmed,
        3
    );
    ws.cancel_group(&group).unwrap();
    assert_in_step(&store, &group, &solo);
    ws.resume_group(&group).unwrap();
    assert_in_step(&store, &group, &solo);
    // A change to the run of no group leaves the tally alone and shows in the solo head.
    ws.confirm(&solo, &Target::Blocks(Selection::from_indices(0..1)))
        .ok();
    assert_in_step(&store, &group, &solo);
    drop(ws);
    drop(store);
    // Another open reads what was stored.
    let again = Arc::new(Store::open(&path).unwrap());
    assert_eq!(
        again.run_overview().unwrap().tallies[0]
            .as_ref()
            .unwrap()
            .counters()
            .confirmed,
        3
    );
    assert_in_step(&again, &group, &solo);
}

/// Change a table with a raw redb transaction (the store closed).
fn edit(
    path: &Path,
    def: redb::TableDefinition<&str, &[u8]>,
    f: impl FnOnce(&mut redb::Table<&str, &[u8]>),
) {
    let db = redb::Database::create(path).unwrap();
    let tx = db.begin_write().unwrap();
    f(&mut tx.open_table(def).unwrap());
    tx.commit().unwrap();
}

fn damage_subjects(store: &Store) -> Vec<String> {
    store
        .check()
        .unwrap()
        .damage
        .into_iter()
        .map(|d| d.subject)
        .collect()
}

#[test]
fn a_damaged_tally_is_named_lists_sum_the_members_and_a_writing_open_writes_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let (path, group, solo) = setup(dir.path(), &[2, 3, 2]);
    let key = group.group_id.clone();
    edit(&path, tables::GROUP_TALLIES, |t| {
        let mut bytes = t.get(key.as_str()).unwrap().unwrap().value().to_vec();
        bytes[6] ^= 0x40;
        t.insert(key.as_str(), bytes.as_slice()).unwrap();
    });
    let reader = Store::open_read_only(&path).unwrap();
    assert_members_listed(&reader, &group);
    let subject = format!("the tally of run group {}", group.group_id);
    assert_eq!(damage_subjects(&reader), std::slice::from_ref(&subject));
    drop(reader);
    // Written again by the writing open; then a missing tally is named the same way.
    let store = Arc::new(Store::open(&path).unwrap());
    assert_in_step(&store, &group, &solo);
    drop(store);
    edit(&path, tables::GROUP_TALLIES, |t| {
        t.remove(key.as_str()).map(|_| ()).unwrap()
    });
    let reader = Store::open_read_only(&path).unwrap();
    assert_members_listed(&reader, &group);
    assert_eq!(damage_subjects(&reader), [subject]);
    drop(reader);
    let store = Arc::new(Store::open(&path).unwrap());
    assert_in_step(&store, &group, &solo);
}

#[test]
fn a_member_write_over_a_damaged_head_drops_the_tally_until_the_next_writing_open() {
    let dir = tempfile::tempdir().unwrap();
    let (path, group, solo) = setup(dir.path(), &[2, 3]);
    let member = group.run_ids[1].clone();
    edit(&path, tables::RUN_HEADS, |t| {
        let mut bytes = t.get(member.as_str()).unwrap().unwrap().value().to_vec();
        bytes[10] ^= 1;
        t.insert(member.as_str(), bytes.as_slice()).unwrap();
    });
    let store = Arc::new(Store::open(&path).unwrap());
    // The counts add up, so the open leaves the tables alone; the old head cannot be taken
    // out of the tally, so the write drops it rather than guess.
    let ws = Workspace::new(store.clone());
    ws.cancel_group(&group).unwrap();
    assert_members_listed(&store, &group);
    let subjects = damage_subjects(&store);
    assert!(
        subjects.contains(&format!("the tally of run group {}", group.group_id)),
        "{subjects:?}"
    );
    drop(ws);
    drop(store);
    let store = Arc::new(Store::open(&path).unwrap());
    assert_in_step(&store, &group, &solo);
}

#[test]
fn a_format_7_store_gains_solo_heads_and_tallies_when_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (path, group, solo) = setup(dir.path(), &[1, 4, 2]);
    {
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        assert!(tx.delete_table(tables::SOLO_HEADS).unwrap());
        assert!(tx.delete_table(tables::GROUP_TALLIES).unwrap());
        tx.open_table(tables::META)
            .unwrap()
            .insert("format_version", 7u64.to_le_bytes().as_slice())
            .unwrap();
        tx.commit().unwrap();
    }
    let store = Arc::new(Store::open(&path).unwrap());
    assert_in_step(&store, &group, &solo);
    drop(store);
    let db = redb::Database::create(&path).unwrap();
    let tx = db.begin_read().unwrap();
    let tallies = tx.open_table(tables::GROUP_TALLIES).unwrap();
    assert!(
        tallies.get(group.group_id.as_str()).unwrap().is_some(),
        "stored, not made up"
    );
    let meta = tx.open_table(tables::META).unwrap();
    let v = meta
        .get("format_version")
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    assert_eq!(v, 8u64.to_le_bytes());
}

#[test]
fn a_member_moved_out_of_its_group_and_back_leaves_the_tally_exact() {
    let dir = tempfile::tempdir().unwrap();
    let (path, group, solo) = setup(dir.path(), &[2, 5, 3]);
    let store = Arc::new(Store::open(&path).unwrap());
    let member = group.run_ids[1].clone();
    // No writer moves a run between groups; the head tables follow one that does.
    store
        .with_run(&member, |rt| {
            rt.run.group_id = None;
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    let o = store.run_overview().unwrap();
    assert!(
        o.members_listed,
        "the group's tally no longer includes every member"
    );
    assert!(store
        .check()
        .unwrap()
        .damage
        .iter()
        .any(|d| d.subject == format!("the tally of run group {}", group.group_id)));
    store
        .with_run(&member, |rt| {
            rt.run.group_id = Some(group.group_id.clone());
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    assert_in_step(&store, &group, &solo);
}
