//! Folder ingest (issue 22 item 2): the real binary on real folders and a real redb store.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_many, walk, FileOutcome, ManyOptions, WalkOptions};
use blockwise::store::Store;
use blockwise::workspace::{IngestRequest, Workspace};

fn cli(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(dir);
    c.arg("--store").arg(dir.join("s.redb")).args(args);
    support::outcome(c.output().unwrap())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A folder exercising every rule: good files at two levels, hidden ones, an unknown type,
/// a symlink out of the tree, a directory symlink loop, a FIFO, a broken symlink, a bad file.
fn messy_folder(root: &Path) {
    write(&root.join("a.md"), "# Alpha\n\nOne.\n");
    write(&root.join("b.txt"), "Bravo text.\n\nSecond paragraph.\n");
    write(&root.join("sub/c.md"), "# Charlie\n\nThree.\n");
    write(
        &root.join("sub/deeper/d.html"),
        "<html><body><h1>Delta</h1><p>Four.</p></body></html>",
    );
    write(&root.join(".hidden.md"), "# Hidden\n");
    write(&root.join(".git/config.md"), "# Not mine\n");
    write(&root.join("notes.xyz"), "what is this");
    write(&root.join("empty.md"), "");
    std::os::unix::fs::symlink("/etc", root.join("etc-link")).unwrap();
    std::os::unix::fs::symlink("..", root.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("missing.md", root.join("broken.md")).unwrap();
    mkfifo(&root.join("pipe.md"));
}

#[test]
fn a_messy_folder_ingests_the_good_files_and_names_every_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    messy_folder(&root);
    let t = Instant::now();
    let (code, out, err) = cli(dir.path(), &["ingest", s(&root), "--recursive"]);
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "the loop or the FIFO hung"
    );
    assert_eq!(code, 1, "a refused file means exit 1: {err}");
    let summary = out.lines().last().unwrap();
    assert_eq!(
        summary,
        "ingested 4 · unchanged 0 · skipped 5 (1 unknown type, 2 hidden, 1 symlink out of the \
         folder, 1 symlink loop or folder seen twice) · refused 3 (see above)"
    );
    for (name, reason) in [
        ("broken.md", "broken symlink"),
        ("empty.md", "empty file"),
        ("pipe.md", "FIFO"),
        ("etc-link", "symlink leads out of the folder"),
        ("sub/loop", "walked already (symlink loop)"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}: {err}"));
        assert!(line.contains(reason), "{name}: {line}");
    }
    assert!(
        !err.contains("\r") && !err.contains("files\u{1b}"),
        "no progress bar off a terminal"
    );
    // Without --recursive only the top level goes in; sub is named, the rest is unchanged.
    let (code, out, err) = cli(dir.path(), &["ingest", s(&root)]);
    assert_eq!(code, 1);
    assert!(out.contains("ingested 0 · unchanged 2 ·"), "{out}");
    assert!(err.contains("pass --recursive"), "{err}");
    // After fixing the bad ones: exit 0.
    for bad in ["empty.md", "broken.md", "pipe.md"] {
        std::fs::remove_file(root.join(bad)).unwrap();
    }
    let (code, out, _) = cli(dir.path(), &["ingest", s(&root), "-r"]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("ingested 0 · unchanged 4 · skipped 5"),
        "{out}"
    );
    let (code, _, err) = cli(dir.path(), &["check"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn project_members_follow_path_order_and_a_document_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("thesis");
    // Written out of order; ch02 and copy-of-ch02 have the same bytes.
    for (name, body) in [
        ("ch03.md", "# Three\n"),
        ("ch01.md", "# One\n"),
        ("part2/ch04.md", "# Four\n"),
        ("ch02.md", "# Two\n"),
        ("copy-of-ch02.md", "# Two\n"),
    ] {
        write(&root.join(name), body);
    }
    let (code, _, err) = cli(dir.path(), &["ingest", s(&root.join("ch01.md"))]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(
        dir.path(),
        &["ingest", s(&root), "-r", "--project", "thesis"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ingested 3 · unchanged 2"),
        "ch01 was there, the copy is the same: {out}"
    );
    assert!(
        out.contains("project thesis: joined 4 · already members 1"),
        "{out}"
    );
    let (_, shown, _) = cli(dir.path(), &["--json", "project", "show", "thesis"]);
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let titles: Vec<&str> = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["One", "Two", "Three", "Four"]);
    // Ingesting again changes nothing in the project.
    let (code, out, _) = cli(
        dir.path(),
        &["ingest", s(&root), "-r", "--project", "thesis"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("joined 0 · already members 5"), "{out}");
    let (_, shown, _) = cli(dir.path(), &["--json", "project", "show", "thesis"]);
    assert!(shown.contains("\"member_count\": 4"), "{shown}");
    let (code, _, err) = cli(dir.path(), &["ingest", s(&root), "--project", "Bad Ref"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid project ref 'Bad Ref'"), "{err}");
}

#[test]
fn include_and_exclude_globs_filter_by_name_or_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("docs");
    for name in [
        "keep.md",
        "drop.txt",
        "drafts/wip.md",
        "final/report.md",
        "final/notes.txt",
    ] {
        write(&root.join(name), &format!("# {name}\n"));
    }
    let (code, out, err) = cli(
        dir.path(),
        &[
            "--json",
            "ingest",
            s(&root),
            "-r",
            "--include",
            "*.md",
            "--exclude",
            "drafts",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let created: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "created")
        .map(|r| {
            r["file"]
                .as_str()
                .unwrap()
                .rsplit("docs/")
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(created, vec!["final/report.md", "keep.md"]);
    let (code, _, err) = cli(dir.path(), &["ingest", s(&root), "--include", "[abc"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--include") && err.contains("closing ']'"),
        "{err}"
    );
}

#[test]
fn ten_thousand_files_take_few_commits_and_bad_ones_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("many");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..10_000 {
        let body = format!("# File {i}\n\nParagraph {i}.\n");
        std::fs::write(root.join(format!("f{i:05}.md")), body).unwrap();
    }
    for i in 0..5 {
        // Not UTF-8 (a lone lead byte); a UTF-16 BOM would now be decoded (issue 25).
        std::fs::write(root.join(format!("bad{i}.md")), [b'a', 0xc3, 0x28, b'\n']).unwrap();
    }
    let store = Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
    let ws = Workspace::new(store.clone());
    let paths = vec![root.clone()];
    let req = IngestRequest {
        paths: &paths,
        walk: WalkOptions::default(),
        project: Some("many"),
        limits: ws.ingest_limits().unwrap(),
        threads: None,
        interrupt: None,
    };
    let mut refused = Vec::new();
    let summary = ws
        .ingest_paths(&req, |ev| {
            if let blockwise::workspace::IngestEvent::File { file, .. } = ev {
                if let FileOutcome::Refused(r) = &file.outcome {
                    refused.push((file.path.clone(), r.clone()));
                }
            }
        })
        .unwrap();
    assert_eq!((summary.ingested, summary.refused), (10_000, 5));
    assert!(
        summary.commits <= 10_000 / 256 + 10,
        "{} commits for 10,000 files",
        summary.commits
    );
    assert!(refused
        .iter()
        .all(|(p, r)| p.to_str().unwrap().contains("bad") && r.contains("UTF-8")));
    assert_eq!(ws.project_members("many").unwrap().len(), 10_000);
    assert_eq!(ws.list_documents().unwrap().len(), 10_000);
}

#[test]
fn a_file_vanishing_after_the_walk_is_refused_by_name_and_the_rest_go_in() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v");
    for i in 0..3 {
        write(&root.join(format!("{i}.md")), &format!("# V{i}\n"));
    }
    let found = walk(std::slice::from_ref(&root), &WalkOptions::default());
    assert_eq!(found.files.len(), 3);
    std::fs::remove_file(root.join("1.md")).unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let opts = ManyOptions {
        limits: Default::default(),
        threads: 2,
        interrupt: None,
    };
    let mut seen = Vec::new();
    ingest_many(&store, &found.files, opts, |f| {
        seen.push((f.index, f.outcome))
    })
    .unwrap();
    assert_eq!(
        seen.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![0, 1, 2],
        "path order"
    );
    assert!(matches!(&seen[1].1, FileOutcome::Refused(r) if r.contains("no such file")));
    assert_eq!(store.list_documents().unwrap().len(), 2);
}

/// Ctrl-C: every file reported as ingested is in the store, whole (`check` passes), the exit
/// code is 130, and running the command again ingests the rest.
#[test]
fn ctrl_c_keeps_finished_files_and_none_half_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("big");
    std::fs::create_dir_all(&root).unwrap();
    let para = "Words of a long paragraph that repeats. ".repeat(40);
    let total = 400;
    for i in 0..total {
        let body: String = (0..150)
            .map(|j| format!("## S{i}.{j}\n\n{para}\n\n"))
            .collect();
        std::fs::write(root.join(format!("d{i:03}.md")), body).unwrap();
    }
    let mut c = support::blockwise_in(dir.path());
    c.arg("--store")
        .arg(dir.path().join("s.redb"))
        .arg("ingest")
        .arg(&root);
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with("created"), "{first}");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let created = 1 + rest.lines().filter(|l| l.starts_with("created")).count();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(created < total, "interrupted before the end");
    assert!(rest.contains("interrupted:"), "{rest}");
    let (code, docs, _) = cli(dir.path(), &["--json", "docs"]);
    assert_eq!(code, 0);
    let docs: serde_json::Value = serde_json::from_str(&docs).unwrap();
    assert_eq!(docs.as_array().unwrap().len(), created, "reported = stored");
    let (code, _, err) = cli(dir.path(), &["check"]);
    assert_eq!(code, 0, "nothing half-ingested: {err}");
    let (code, out, _) = cli(dir.path(), &["ingest", s(&root)]);
    assert_eq!(code, 0);
    let want = format!("ingested {} · unchanged {created}", total - created);
    assert!(out.lines().last().unwrap().starts_with(&want), "{out}");
}

/// On a terminal (a pty from util-linux `script`) a progress bar is drawn on stderr and cleared
/// before the summary; off a terminal there is none (asserted in the messy-folder test).
#[test]
fn a_progress_bar_is_drawn_on_a_terminal() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: /usr/bin/script (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tty");
    for i in 0..30 {
        write(
            &root.join(format!("{i:02}.md")),
            &format!("# T{i}\n\nBody.\n"),
        );
    }
    let template = support::blockwise_in(dir.path());
    let mut c = std::process::Command::new("/usr/bin/script");
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let line = format!(
        "{} --store {} ingest {}",
        env!("CARGO_BIN_EXE_blockwise"),
        s(&dir.path().join("s.redb")),
        s(&root)
    );
    c.args(["-qfec", &line, "/dev/null"]);
    let (code, out, err) = support::outcome(c.output().unwrap());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("30/30 files"),
        "the bar reaches the end: {out:?}"
    );
    assert!(
        out.contains("\r\u{1b}[2K["),
        "drawn and cleared in place: {out:?}"
    );
    assert!(out.contains("ingested 30 · unchanged 0"), "{out}");
}

#[test]
fn a_store_error_while_committing_stops_the_ingest_with_it_and_reports_no_file_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("docs");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..600 {
        std::fs::write(
            root.join(format!("f{i:03}.md")),
            format!("# F {i}\n\nText {i}.\n"),
        )
        .unwrap();
    }
    let path = dir.path().join("s.redb");
    drop(Store::open(&path).unwrap());
    // A read-only handle: every batch's write transaction is refused.
    let store = Store::open_read_only(&path).unwrap();
    let files = walk(std::slice::from_ref(&root), &WalkOptions::default()).files;
    assert_eq!(files.len(), 600);
    let opts = ManyOptions {
        limits: blockwise::ingest::IngestLimits::default(),
        threads: 2,
        interrupt: None,
    };
    let started = Instant::now();
    let mut stored = 0;
    let err = ingest_many(&store, &files, opts, |f| {
        stored += usize::from(!matches!(f.outcome, FileOutcome::Refused(_)));
    })
    .unwrap_err();
    assert!(err.to_string().contains("was opened read-only"), "{err}");
    assert_eq!(stored, 0, "no file is reported as stored");
    assert!(started.elapsed() < Duration::from_secs(60), "no hang");
    let store = Store::open(&path).unwrap();
    assert!(store.list_documents().unwrap().is_empty());
}
