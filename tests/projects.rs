//! Projects (issue 22 item 1): the Workspace API on a real redb file, and the `project` CLI.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use blockwise::store::Store;
use blockwise::workspace::{self, ProjectError, Workspace};

fn ingest_docs(ws: &Workspace, dir: &Path, n: usize) -> Vec<String> {
    let limits = ws.ingest_limits().unwrap();
    (0..n)
        .map(|i| {
            let f = dir.join(format!("doc{i}.md"));
            std::fs::write(&f, format!("# Doc {i}\n\nBody {i}.\n")).unwrap();
            ws.ingest(&f, limits).unwrap().document.conv_uid
        })
        .collect()
}

fn workspace(dir: &Path) -> (Arc<Store>, Workspace) {
    let store = Arc::new(Store::open(&dir.join("s.redb")).unwrap());
    (store.clone(), Workspace::new(store))
}

#[test]
fn members_keep_their_order_are_kept_once_and_removal_keeps_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, ws) = workspace(dir.path());
    let docs = ingest_docs(&ws, dir.path(), 4);
    let p = ws.create_project("minutes", Some("Board minutes")).unwrap();
    assert_eq!(
        (p.member_count, p.description.as_deref()),
        (0, Some("Board minutes"))
    );
    let added = ws
        .add_to_project(
            "minutes",
            &[docs[2].clone(), docs[0][..10].to_string(), docs[2].clone()],
        )
        .unwrap();
    assert_eq!(added.changed, vec![docs[2].clone(), docs[0].clone()]);
    assert_eq!(
        added.unchanged,
        vec![docs[2].clone()],
        "a second copy is kept once"
    );
    ws.add_to_project("minutes", &[docs[1].clone(), docs[0].clone()])
        .unwrap();
    assert_eq!(
        ws.project_members("minutes").unwrap(),
        vec![docs[2].clone(), docs[0].clone(), docs[1].clone()]
    );
    let removed = ws
        .remove_from_project("minutes", &[docs[0].clone(), docs[3].clone()])
        .unwrap();
    assert_eq!(
        (removed.changed, removed.unchanged),
        (vec![docs[0].clone()], vec![docs[3].clone()])
    );
    assert_eq!(
        ws.project_members("minutes").unwrap(),
        vec![docs[2].clone(), docs[1].clone()]
    );
    assert_eq!(ws.project("minutes").unwrap().member_count, 2);
    assert_eq!(
        ws.list_documents().unwrap().len(),
        4,
        "leaving a project deletes nothing"
    );
    // Re-adding puts it at the end (project order = order of joining).
    ws.add_to_project("minutes", &[docs[0].clone()]).unwrap();
    assert_eq!(
        ws.project_members("minutes").unwrap().last(),
        Some(&docs[0])
    );
    // A document may be in several projects.
    ws.create_project("all", None).unwrap();
    ws.add_to_project("all", &docs).unwrap();
    assert_eq!(
        ws.projects_of_document(&docs[0]).unwrap(),
        vec!["all", "minutes"]
    );
    assert_eq!(ws.projects_of_document(&docs[3]).unwrap(), vec!["all"]);
}

#[test]
fn bad_input_names_the_project_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ws) = workspace(dir.path());
    let docs = ingest_docs(&ws, dir.path(), 2);
    ws.create_project("p", None).unwrap();
    let before = store.fingerprint().unwrap();
    let cases: Vec<(workspace::Error, &str)> = vec![
        (
            ws.create_project("p", None).unwrap_err(),
            "project 'p' already exists",
        ),
        (
            ws.create_project("Bad Ref", None).unwrap_err(),
            "invalid project ref 'Bad Ref'",
        ),
        (ws.create_project("", None).unwrap_err(), "it is empty"),
        (
            ws.create_project("long", Some(&"x".repeat(2001)))
                .unwrap_err(),
            "2001 characters long",
        ),
        (ws.project("nope").unwrap_err(), "no project 'nope'"),
        (ws.project_members("nope").unwrap_err(), "no project 'nope'"),
        (
            ws.add_to_project("nope", &docs).unwrap_err(),
            "no project 'nope'",
        ),
        (ws.delete_project("nope").unwrap_err(), "no project 'nope'"),
        (
            ws.project_members_nonempty("p").unwrap_err(),
            "project 'p' has no documents",
        ),
        (
            ws.add_to_project("p", &[docs[0].clone(), "zzzz".into()])
                .unwrap_err(),
            "no document matches 'zzzz'",
        ),
    ];
    for (err, want) in cases {
        assert!(err.to_string().contains(want), "{err} / {want}");
        // The one workspace error keeps the project's own variant (the fronts match on it).
        assert!(matches!(err, workspace::Error::Project(_)), "{err:?}");
    }
    assert_eq!(
        store.fingerprint().unwrap(),
        before,
        "a refused command wrote something"
    );
}

#[test]
fn delete_refuses_while_a_run_group_uses_the_project_naming_the_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ws) = workspace(dir.path());
    let docs = ingest_docs(&ws, dir.path(), 2);
    ws.create_project("p", None).unwrap();
    ws.add_to_project("p", &docs).unwrap();
    store.link_project_group("p", "grp_one").unwrap();
    store.link_project_group("p", "grp_two").unwrap();
    let before = store.fingerprint().unwrap();
    let err = ws.delete_project("p").unwrap_err();
    assert!(
        err.to_string()
            .contains("used by run groups grp_one, grp_two"),
        "{err}"
    );
    assert_eq!(store.fingerprint().unwrap(), before);
    assert_eq!(ws.project_groups("p").unwrap(), vec!["grp_one", "grp_two"]);
    // A project without groups goes; its documents stay and may join a new one of that name.
    ws.create_project("q", None).unwrap();
    ws.add_to_project("q", &docs).unwrap();
    assert_eq!(ws.delete_project("q").unwrap().project_ref, "q");
    assert!(matches!(
        ws.project("q"),
        Err(workspace::Error::Project(ProjectError::NotFound(_)))
    ));
    assert_eq!(ws.list_documents().unwrap().len(), 2);
    assert_eq!(ws.projects_of_document(&docs[0]).unwrap(), vec!["p"]);
    ws.create_project("q", None).unwrap();
    assert!(
        ws.project_members("q").unwrap().is_empty(),
        "no stale members"
    );
}

fn cli(store: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(store.parent().unwrap());
    c.arg("--store").arg(store).args(args);
    support::outcome(c.output().unwrap())
}

fn json(store: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, out, err) = cli(store, &all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

#[test]
fn project_commands_create_list_show_add_remove_delete_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let store: PathBuf = dir.path().join("s.redb");
    let mut docs = Vec::new();
    for i in 0..3 {
        let f = dir.path().join(format!("d{i}.md"));
        std::fs::write(&f, format!("# Title {i}\n\nText {i}.\n")).unwrap();
        let r = json(&store, &["ingest", f.to_str().unwrap()]);
        docs.push(r[0]["conv_uid"].as_str().unwrap().to_string());
    }
    let created = json(
        &store,
        &["project", "create", "thesis", "--description", "Chapters"],
    );
    assert_eq!(created["project_ref"], "thesis");
    let (code, out, _) = cli(
        &store,
        &["project", "add", "thesis", &docs[1][..12], &docs[0]],
    );
    assert_eq!(code, 0);
    assert!(out.contains("added 2"), "{out}");
    let (code, out, _) = cli(&store, &["project", "add", "thesis", &docs[1]]);
    assert_eq!(code, 0);
    assert!(out.contains("already in the project 1"), "{out}");
    let shown = json(&store, &["project", "show", "thesis"]);
    assert_eq!(shown["project"]["member_count"], 2);
    let order: Vec<&str> = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["conv_uid"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec![docs[1].as_str(), docs[0].as_str()]);
    assert_eq!(shown["members"][0]["title"], "Title 1");
    let (_, human, _) = cli(&store, &["project", "show", "thesis"]);
    assert!(
        human.contains("Chapters") && human.contains("Title 1"),
        "{human}"
    );
    let list = json(&store, &["project", "list"]);
    assert_eq!(list[0]["project_ref"], "thesis");
    assert_eq!(list[0]["member_count"], 2);
    let removed = json(&store, &["project", "remove", "thesis", &docs[1]]);
    assert_eq!(removed["changed"][0], docs[1]);
    assert_eq!(json(&store, &["docs"]).as_array().unwrap().len(), 3);
    let (code, _, err) = cli(&store, &["project", "show", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("no project 'nope'"), "{err}");
    let (code, _, err) = cli(&store, &["project", "create", "thesis"]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    let deleted = json(&store, &["project", "delete", "thesis"]);
    assert_eq!(deleted["deleted"], "thesis");
    let (_, out, _) = cli(&store, &["project", "list"]);
    assert!(out.contains("No projects yet"), "{out}");
}

#[test]
fn project_delete_through_the_cli_refuses_while_a_group_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let (store, ws) = workspace(dir.path());
        ingest_docs(&ws, dir.path(), 1);
        ws.create_project("p", None).unwrap();
        store.link_project_group("p", "grp_abc").unwrap();
    }
    let (code, _, err) = cli(&path, &["project", "delete", "p"]);
    assert_eq!(code, 1);
    assert!(err.contains("used by run group grp_abc"), "{err}");
    assert_eq!(
        json(&path, &["project", "list"]).as_array().unwrap().len(),
        1
    );
}

#[test]
fn check_verifies_projects_and_names_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let docs = {
        let (_store, ws) = workspace(dir.path());
        let docs = ingest_docs(&ws, dir.path(), 2);
        ws.create_project("p", None).unwrap();
        ws.add_to_project("p", &docs).unwrap();
        let report = ws.check().unwrap();
        assert!(report.ok(), "{:?}", report.damage);
        assert_eq!(report.projects, 1);
        docs
    };
    // Damage the store behind Blockwise's back: drop one member's position entry.
    {
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(blockwise::store::tables::PROJECT_POSITIONS)
            .unwrap()
            .remove(("p", docs[1].as_str()))
            .unwrap();
        tx.commit().unwrap();
    }
    let (code, out, _) = cli(&path, &["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "DAMAGED  project p: member {} at 1 is missing from the position index",
            docs[1]
        )),
        "{out}"
    );
}
