//! Run groups in the TUI (issue 22 items 4 and 6) on a real redb file, drawn with TestBackend:
//! the Runs pane shows a group as one row with its members' sums and unfolds it (`space`);
//! `enter` opens the grid of the group, which lists every block of every member with a `doc`
//! column, crosses document boundaries with the move, next / previous and search keys, filters
//! by document, and sends each review action to the member run its blocks belong to.

mod support;

use std::sync::Arc;

use blockwise::model::{OverlayStatus, RunGroup};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::tui::modals::{Ask, FilterPicker};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Pane, Theme};
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use blockwise::workspace::Workspace;
use crossterm::event::KeyCode;
use serde_json::json;
use support::tui::{code, key, screen, toggle_filter};

pub struct Env {
    _dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub ws: Workspace,
    pub group: RunGroup,
    /// The run of no group (the first document alone).
    pub single: String,
}

/// Documents `alpha.md` (3 blocks), `beta.md` (4) and `gamma.md` (2) in project `p`, a group of
/// schema `s` over it worked to the end by the offline demo provider (every block staged), and
/// one run of `alpha.md` alone.
pub fn setup() -> Env {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("store.redb")).unwrap());
    blockwise::policy::ensure_workspace_admin_as(&store, "reviewer").unwrap();
    let ws = Workspace::new(store.clone());
    let limits = ws.ingest_limits().unwrap();
    let mut docs = Vec::new();
    for (name, n) in [("alpha", 3), ("beta", 4), ("gamma", 2)] {
        let f = dir.path().join(format!("{name}.md"));
        let text: String = (0..n)
            .map(|i| format!("The {name} document, paragraph {i}.\n\n"))
            .collect();
        std::fs::write(&f, text).unwrap();
        docs.push(ws.ingest(&f, limits).unwrap().document.conv_uid);
    }
    let schema = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]}
    }});
    schema::save(
        &store,
        SaveRequest::new(schema, Some("s".into()), "reviewer"),
    )
    .unwrap();
    ws.create_project("p", None).unwrap();
    ws.add_to_project("p", &docs).unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let single = ws.create_run(&docs[0], "s", &opts).unwrap().run_id;
    let group = ws.create_group("p", "s", &opts).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let first = store.get_run(&group.run_ids[0]).unwrap().unwrap();
    let provider = Arc::new(worker::connect_provider(&store, &first).unwrap());
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let end = rt
        .block_on(worker::run_group_worker(
            store.clone(),
            provider,
            &group.group_id,
            EngineOptions::default(),
            None,
            rx,
        ))
        .unwrap();
    assert_eq!(end, RunEnd::Complete);
    Env {
        _dir: dir,
        store,
        ws,
        group,
        single,
    }
}

pub fn app(env: &Env, w: u16, h: u16) -> App {
    let mut app = App::new(
        env.ws.clone(),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(w, h));
    app.handle_key(key('1'));
    app
}

/// Walk the Runs cursor onto the group's row.
fn to_group_row(app: &mut App, env: &Env) {
    app.handle_key(key('g'));
    for _ in 0..app.runs().entries.len() {
        if app
            .runs()
            .current_group()
            .is_some_and(|g| g.group.group_id == env.group.group_id)
        {
            return;
        }
        app.handle_key(key('j'));
    }
    panic!("the group has no row");
}

fn status(env: &Env, member: usize, index: u32) -> OverlayStatus {
    let run = &env.group.run_ids[member];
    env.store.overlay(run, index).unwrap().unwrap().status
}

#[test]
fn a_group_is_one_row_with_its_sums_and_space_shows_its_member_runs() {
    let env = setup();
    let mut app = app(&env, 120, 40);
    // The single run and the group: two rows, not four.
    assert_eq!(app.runs().entries.len(), 2);
    to_group_row(&mut app, &env);
    let s = screen(&app, 120, 40);
    let prefix: String = env.group.group_id.chars().take(14).collect();
    assert!(s.contains(&format!("▸ {prefix}")), "{s}");
    assert!(s.contains("[##########] 9/9"), "summed progress: {s}");
    assert!(s.contains("complete · 3/3 docs done"), "{s}");
    assert!(s.contains("group(s)"), "{s}");
    assert!(s.contains("grid of all 3 documents"), "the detail box: {s}");
    assert!(
        s.contains("DEMO · offline demo provider"),
        "a group of demo runs is labelled on its row: {s}"
    );
    assert!(!s.contains("└ run_"), "folded: {s}");
    app.handle_key(key(' '));
    let s = screen(&app, 120, 40);
    assert!(s.contains(&format!("▾ {prefix}")), "{s}");
    assert_eq!(s.matches("└ run_").count(), 3, "{s}");
    assert_eq!(app.runs().entries.len(), 5);
    // The member rows are the group's runs in project order.
    app.handle_key(key('j'));
    assert_eq!(
        app.runs().current().map(|r| r.run_id.clone()),
        Some(env.group.run_ids[0].clone())
    );
    // Back on the group row, space folds it again.
    app.handle_key(key('k'));
    app.handle_key(key(' '));
    assert_eq!(app.runs().entries.len(), 2);
    assert!(env.store.get_run(&env.single).unwrap().is_some());
}

#[test]
fn enter_on_a_group_opens_every_block_of_every_member_with_a_doc_column() {
    let env = setup();
    let mut app = app(&env, 120, 40);
    to_group_row(&mut app, &env);
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.pane(), Pane::Grid);
    let grid = app.grid();
    assert_eq!(grid.total(), 9, "3 + 4 + 2 blocks");
    let s = screen(&app, 120, 40);
    assert!(s.contains(" doc "), "{s}");
    for name in ["alpha.md", "beta.md", "gamma.md"] {
        assert!(s.contains(name), "{name}: {s}");
    }
    assert!(s.contains("3 docs"), "{s}");
    assert!(s.contains("row 1/9"), "{s}");
    // Down three rows crosses into beta.md: block 0 of the second member.
    for _ in 0..3 {
        app.handle_key(key('j'));
    }
    let row = app.grid().current_row().unwrap().clone();
    assert_eq!((row.block, row.doc.as_deref()), (0, Some("beta.md")));
    assert_eq!(
        app.grid().run.as_ref().map(|r| r.run_id.clone()),
        Some(env.group.run_ids[1].clone()),
        "the grid's run follows the cursor's member"
    );
    // At 80 columns the doc column is still there, cut to fit.
    let narrow = screen(&app, 80, 24);
    assert!(narrow.contains("beta.md"), "{narrow}");
}

#[test]
fn next_keys_search_and_the_doc_filter_cross_document_boundaries() {
    let env = setup();
    let mut app = app(&env, 120, 40);
    app.update(Action::ShowRun(env.group.group_id.clone()));
    // `]` from the last block of alpha.md lands on block 0 of beta.md.
    app.handle_key(key('j'));
    app.handle_key(key('j'));
    app.handle_key(key(']'));
    let row = app.grid().current_row().unwrap().clone();
    assert_eq!((row.index, row.block), (3, 0));
    // `[` goes back across the boundary.
    app.handle_key(key('['));
    assert_eq!(app.grid().index(), 2);
    // `/` searches every member.
    app.handle_key(key('/'));
    for c in "gamma document, paragraph 1".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(code(KeyCode::Enter));
    let (_, hits) = app.grid().search.clone().expect("a search");
    assert_eq!(&hits[..], &[8], "block 1 of gamma.md is key 8");
    assert_eq!(app.grid().index(), 8);
    // `f` lists the documents; keeping beta.md shows its 4 blocks only.
    app.handle_key(key('f'));
    assert!(app.modal::<FilterPicker>().is_some());
    let s = screen(&app, 120, 40);
    assert!(s.contains("doc    beta.md"), "{s}");
    toggle_filter(&mut app, "beta.md");
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.grid().total(), 4);
    assert_eq!(app.grid().doc_filter, vec![1]);
    let s = screen(&app, 120, 40);
    assert!(s.contains("1 doc(s)"), "{s}");
    assert!(!s.contains("alpha.md") && !s.contains("gamma.md"), "{s}");
}

#[test]
fn review_actions_go_to_the_member_run_of_each_block() {
    let env = setup();
    let mut app = app(&env, 120, 40);
    app.update(Action::ShowRun(env.group.group_id.clone()));
    // A range over the last block of alpha.md and the first of beta.md, confirmed.
    app.handle_key(key('j'));
    app.handle_key(key('j'));
    app.handle_key(key('v'));
    app.handle_key(key('j'));
    app.handle_key(key('a'));
    assert_eq!(status(&env, 0, 2), OverlayStatus::Confirmed);
    assert_eq!(status(&env, 1, 0), OverlayStatus::Confirmed);
    for (m, i) in [(0, 0), (0, 1), (1, 1), (2, 0)] {
        assert_eq!(status(&env, m, i), OverlayStatus::AiComplete, "{m}/{i}");
    }
    // The single run of alpha.md is another run: untouched.
    let single = env.store.overlay(&env.single, 2).unwrap().unwrap();
    assert_ne!(single.status, OverlayStatus::Confirmed);
    // Reject block 1 of gamma.md (key 8) with a reason: its own run, its own index.
    app.handle_key(key('G'));
    app.handle_key(key('x'));
    for c in "wrong".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(status(&env, 2, 1), OverlayStatus::Pending);
    // `A` asks with the group's count, then confirms every staged block of every member.
    app.handle_key(key('A'));
    assert!(app.modal::<Ask>().is_some(), "asks first");
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("Confirm all 6 staged blocks of 3 of the 3 documents of group"),
        "{s}"
    );
    app.handle_key(key('y'));
    for (m, n) in [(0, 3), (1, 4), (2, 1)] {
        for i in 0..n {
            assert_eq!(status(&env, m, i), OverlayStatus::Confirmed, "{m}/{i}");
        }
    }
    assert_eq!(status(&env, 2, 1), OverlayStatus::Pending);
    // `u` undoes the confirm-all one run at a time (the last member first).
    app.handle_key(key('u'));
    assert_eq!(status(&env, 2, 0), OverlayStatus::AiComplete);
    assert_eq!(status(&env, 1, 1), OverlayStatus::Confirmed);
}

#[test]
fn an_edit_in_a_group_grid_writes_the_member_runs_block() {
    let env = setup();
    let mut app = app(&env, 120, 40);
    app.update(Action::ShowRun(env.group.group_id.clone()));
    for _ in 0..4 {
        app.handle_key(key('j'));
    }
    // Key 4 is block 1 of beta.md; `e` on the enum field opens the picker for that block.
    app.handle_key(key('e'));
    let before = env
        .store
        .overlay(&env.group.run_ids[1], 1)
        .unwrap()
        .unwrap();
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    let after = env
        .store
        .overlay(&env.group.run_ids[1], 1)
        .unwrap()
        .unwrap();
    assert_ne!(
        before.staging, after.staging,
        "the member's block 1 changed"
    );
    assert!(after.edited);
    let other = env
        .store
        .overlay(&env.group.run_ids[0], 1)
        .unwrap()
        .unwrap();
    assert!(!other.edited, "block 1 of alpha.md is untouched");
}

#[test]
fn cancel_and_resume_on_a_group_row_act_on_every_member() {
    let env = setup();
    // Put one block back to pending so the group has work left (a complete run stays complete).
    let ws = &env.ws;
    ws.reject_with_reason(
        &env.group.run_ids[1],
        &blockwise::workspace::Selection::from_indices([0]),
        None,
    )
    .unwrap();
    let mut app = app(&env, 120, 40);
    to_group_row(&mut app, &env);
    app.handle_key(key('X'));
    let (msg, _) = app.message().cloned().unwrap();
    assert!(
        msg.contains(&format!("group {} is cancelled", env.group.group_id)),
        "{msg}"
    );
    let status = |i: usize| {
        env.store
            .get_run(&env.group.run_ids[i])
            .unwrap()
            .unwrap()
            .status
    };
    assert_eq!(status(1), blockwise::model::RunStatus::Cancelled);
    let s = screen(&app, 120, 40);
    assert!(s.contains("cancelled · 2/3 docs done"), "{s}");
    app.handle_key(key('r'));
    assert_eq!(status(1), blockwise::model::RunStatus::Running);
    let (msg, _) = app.message().cloned().unwrap();
    assert!(msg.contains("is running"), "{msg}");
    // Without a background runtime the worker cannot start here: said, nothing started.
    app.handle_key(key('s'));
    assert!(app.workers().is_empty());
    assert!(app.message().unwrap().0.contains("no background runtime"));
}

/// `text` with the random parts of run and group ids (hex after `run_` / `grp_`) as `X`.
fn masked_ids(text: &str) -> String {
    let mut c: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i + 4 <= c.len() {
        let head: String = c[i..i + 4].iter().collect();
        if head == "run_" || head == "grp_" {
            let mut j = i + 4;
            while j < c.len() && c[j].is_ascii_hexdigit() {
                c[j] = 'X';
                j += 1;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    c.into_iter().collect()
}

#[test]
fn member_rows_name_their_document_cut_to_fit_and_sanitized() {
    let env = setup();
    // A fourth document, alone in a second group: a long name with a terminal escape in it.
    let hostile = "quarterly \u{1b}[31mred\u{1b}[0m board minutes of the whole long year.md";
    let f = env._dir.path().join(hostile);
    std::fs::write(&f, "One paragraph of minutes.\n\n").unwrap();
    let limits = env.ws.ingest_limits().unwrap();
    let conv = env.ws.ingest(&f, limits).unwrap().document.conv_uid;
    env.ws.create_project("q", None).unwrap();
    env.ws.add_to_project("q", &[conv]).unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    // Created a second later than everything else: the newest row, whatever the clock said.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = env.ws.create_group("q", "s", &opts).unwrap();
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app = app(&env, w, h);
        // Folded: no member row, no name read.
        let s = screen(&app, w, h);
        assert!(!s.contains("alpha.md") && !s.contains("quarterly"), "{s}");
        for id in [&env.group.group_id, &second.group_id] {
            app.handle_key(key('g'));
            while app.runs().current_group().map(|g| &g.group.group_id) != Some(id) {
                app.handle_key(key('j'));
            }
            app.handle_key(key(' '));
        }
        let s = screen(&app, w, h);
        for name in ["alpha.md", "beta.md", "gamma.md"] {
            let row = s
                .lines()
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("{s}"));
            assert!(row.contains("└ run_") && row.contains("complete"), "{row}");
        }
        let row = s
            .lines()
            .find(|l| l.contains("quarterly"))
            .expect("the fourth member");
        assert!(
            row.contains('…') && row.contains("idle"),
            "cut to fit: {row}"
        );
        assert!(!s.contains('\u{1b}'), "sanitized: {s}");
        assert!(s.lines().all(|l| l.chars().count() == w as usize), "{s}");
        let store = env._dir.path().join("store.redb");
        let s = s.replace(&store.display().to_string(), "/tmp/STORE/store.redb");
        // The run of no group was created in the same second as group p or the one before:
        // its row is left out so the snapshot does not depend on the clock.
        let s: Vec<&str> = s.lines().filter(|l| !l.starts_with("│run_")).collect();
        insta::assert_snapshot!(format!("members_{w}x{h}"), masked_ids(&s.join("\n")));
    }
}

#[test]
fn a_group_whose_members_have_a_provider_batch_shows_a_batch_line() {
    let env = setup();
    let mut app = app(&env, 120, 40);
    to_group_row(&mut app, &env);
    let s = screen(&app, 120, 40);
    assert!(!s.contains("batch  "), "no batch yet, no batch line: {s}");
    // A batch over two of the members, as a group batch session records it.
    let batch: blockwise::model::BatchRecord = serde_json::from_value(json!({
        "key": "b0001", "label": env.group.group_id, "provider": "anthropic",
        "run_ids": [env.group.run_ids[0], env.group.run_ids[1]],
        "provider_batch_id": "msgbatch_01", "state": "in_progress",
        "requests": 3, "blocks": 7, "worker": "w", "created_at": "2026-12-07T01:00:00Z",
        "next_poll_at": "2026-12-07T01:00:30Z",
        "counts": {"processing": 2, "succeeded": 1, "errored": 0, "canceled": 0, "expired": 0}
    }))
    .unwrap();
    env.store.insert_batch(&batch, &[]).unwrap();
    app.update(Action::StoreChanged {
        runs: true,
        rest: false,
    });
    to_group_row(&mut app, &env);
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("batch  1 open, 0 ended; requests 2 processing, 1 succeeded")
            && s.contains("· next poll"),
        "the group's detail box: {s}"
    );
}

#[test]
fn the_first_frame_stands_on_the_groups_tally_and_shows_what_its_members_sum_to() {
    let env = setup();
    let launch = || {
        App::new(
            env.ws.clone(),
            Keymap::default_keymap(),
            Theme::with_mode(ColorMode::None),
        )
    };
    for (w, h) in [(120, 40), (80, 24)] {
        // The Runs pane: the group's row from its stored tally, then from its members.
        let mut app = launch();
        app.update(Action::Resize(w, h));
        assert!(!app.members_listed(), "the launch read no member head");
        let first = screen(&app, w, h);
        app.list_members();
        assert!(app.members_listed());
        assert_eq!(
            screen(&app, w, h),
            first,
            "{w}x{h}: the same row either way"
        );
        // The grid of the group: laid out and titled from the tally, the window's member read.
        let mut app = launch();
        app.update(Action::Resize(w, h));
        app.update(Action::ShowRun(env.group.group_id.clone()));
        assert!(!app.members_listed());
        let first = screen(&app, w, h);
        assert!(
            first.contains("3 docs") && first.contains("alpha.md"),
            "{first}"
        );
        app.list_members();
        assert_eq!(
            screen(&app, w, h),
            first,
            "{w}x{h}: the same grid either way"
        );
    }
    // A cancelled group and a review in one member: the tally says the same as the members.
    env.ws
        .confirm(&env.group.run_ids[1], &blockwise::review::Target::AllStaged)
        .unwrap();
    env.ws.cancel_group(&env.group).unwrap();
    let mut app = launch();
    app.update(Action::Resize(120, 40));
    assert!(!app.members_listed());
    let first = screen(&app, 120, 40);
    app.list_members();
    assert_eq!(screen(&app, 120, 40), first);
    // Any key reads the members before it acts: `G` goes to the last member's last block.
    let mut app = launch();
    app.update(Action::Resize(120, 40));
    app.update(Action::ShowRun(env.group.group_id.clone()));
    app.handle_key(key('G'));
    assert!(app.members_listed());
    let s = screen(&app, 120, 40);
    assert!(s.contains("row 9/9") && s.contains("gamma.md"), "{s}");
}

#[test]
fn a_launch_on_a_paused_group_lists_its_members_to_name_the_reason() {
    let env = setup();
    env.store
        .with_run(&env.group.run_ids[2], |rt| {
            rt.run.status = blockwise::model::RunStatus::Paused;
            rt.run.paused_reason = Some("quota reached".into());
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    let mut app = App::new(
        env.ws.clone(),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(120, 40));
    assert!(
        app.members_listed(),
        "a tally does not keep a member's reason"
    );
    let s = screen(&app, 120, 40);
    assert!(s.contains("Runs · 4 · 1 group(s)"), "{s}");
    assert!(s.contains("paused: quota reached"), "{s}");
}
