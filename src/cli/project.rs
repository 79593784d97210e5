//! `project create | list | show | add | remove | delete` (issue 22 item 1).

use clap::Subcommand;
use serde_json::json;

use super::output::{one_line, print_json, short_id};
use super::Ctx;
use crate::workspace::{MembershipChange, Workspace};

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Create an empty project (REF: a-z, 0-9, '_' and '-', like a schema ref).
    Create {
        project: String,
        /// What the project is for (shown by `project show`).
        #[arg(long, value_name = "T")]
        description: Option<String>,
    },
    /// List projects with their member counts.
    List,
    /// Show a project and its documents in project order.
    Show { project: String },
    /// Add documents (conv_uid or unique prefix) at the end of a project; kept once.
    Add {
        project: String,
        #[arg(required = true, value_name = "DOC")]
        docs: Vec<String>,
    },
    /// Remove documents from a project (the documents stay in the store).
    Remove {
        project: String,
        #[arg(required = true, value_name = "DOC")]
        docs: Vec<String>,
    },
    /// Delete a project (never its documents); refused while a run group uses it.
    Delete { project: String },
}

pub fn run(ctx: &Ctx, cmd: ProjectCmd) -> anyhow::Result<u8> {
    match cmd {
        ProjectCmd::Create {
            project,
            description,
        } => create(ctx, &project, description.as_deref()),
        ProjectCmd::List => list(ctx),
        ProjectCmd::Show { project } => show(ctx, &project),
        ProjectCmd::Add { project, docs } => change(ctx, &project, &docs, true),
        ProjectCmd::Remove { project, docs } => change(ctx, &project, &docs, false),
        ProjectCmd::Delete { project } => delete(ctx, &project),
    }
}

fn create(ctx: &Ctx, project_ref: &str, description: Option<&str>) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let project = ws.create_project(project_ref, description)?;
    if ctx.json {
        print_json(&project)?;
    } else if !ctx.quiet {
        outln!("created project {}", project.project_ref);
    }
    Ok(0)
}

fn list(ctx: &Ctx) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let projects = ws.list_projects()?;
    if ctx.json {
        print_json(&projects)?;
        return Ok(0);
    }
    if projects.is_empty() {
        if !ctx.quiet {
            outln!("No projects yet. Make one with `blockwise project create REF` or `blockwise ingest FOLDER --project REF`.");
        }
        return Ok(0);
    }
    outln!(
        "{:<24}  {:>9}  {:<20}  DESCRIPTION",
        "PROJECT",
        "DOCUMENTS",
        "CREATED"
    );
    for p in projects {
        outln!(
            "{:<24}  {:>9}  {:<20}  {}",
            p.project_ref,
            p.member_count,
            p.created_at,
            one_line(p.description.as_deref().unwrap_or(""), 60)
        );
    }
    Ok(0)
}

fn show(ctx: &Ctx, project_ref: &str) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let project = ws.project(project_ref)?;
    let members = member_rows(&ws, &ws.project_members(project_ref)?)?;
    let groups = ws.project_groups(project_ref)?;
    if ctx.json {
        print_json(&json!({ "project": project, "members": members, "run_groups": groups }))?;
        return Ok(0);
    }
    outln!("project      {}", project.project_ref);
    if let Some(d) = &project.description {
        outln!("description  {}", one_line(d, 200));
    }
    outln!("created      {}", project.created_at);
    outln!("documents    {}", project.member_count);
    if !groups.is_empty() {
        outln!("run groups   {}", groups.join(", "));
    }
    if !members.is_empty() {
        outln!();
        outln!(
            "{:>5}  {:<12}  {:>7}  {:<4}  {:<28}  TITLE",
            "#",
            "CONV_UID",
            "BLOCKS",
            "TYPE",
            "FILE"
        );
    }
    for (i, m) in members.iter().enumerate() {
        let text = |k: &str| m[k].as_str().unwrap_or("").to_string();
        outln!(
            "{:>5}  {:<12}  {:>7}  {:<4}  {:<28}  {}",
            i + 1,
            short_id(&text("conv_uid")),
            m["total_blocks"].as_u64().unwrap_or(0),
            text("source_type"),
            one_line(&text("file_name"), 28),
            one_line(&text("title"), 50)
        );
    }
    Ok(0)
}

/// One row per member: its id and what `docs` shows of it.
fn member_rows(ws: &Workspace, convs: &[String]) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut rows = Vec::with_capacity(convs.len());
    for conv in convs {
        let doc = ws.get_document(conv)?;
        rows.push(match doc {
            Some(d) => json!({
                "conv_uid": d.conv_uid,
                "title": d.title,
                "file_name": d.file_name,
                "source_type": d.source_type,
                "total_blocks": d.total_blocks,
            }),
            None => json!({ "conv_uid": conv, "missing": true }),
        });
    }
    Ok(rows)
}

fn change(ctx: &Ctx, project_ref: &str, docs: &[String], add: bool) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let result: MembershipChange = if add {
        ws.add_to_project(project_ref, docs)?
    } else {
        ws.remove_from_project(project_ref, docs)?
    };
    if ctx.json {
        print_json(&result)?;
    } else if !ctx.quiet {
        let (did, kept) = if add {
            ("added", "already in the project")
        } else {
            ("removed", "not in the project")
        };
        let count = ws.project(project_ref)?.member_count;
        outln!(
            "{did} {} · {kept} {} · project {project_ref} has {count} document{}",
            result.changed.len(),
            result.unchanged.len(),
            if count == 1 { "" } else { "s" }
        );
    }
    Ok(0)
}

fn delete(ctx: &Ctx, project_ref: &str) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let project = ws.delete_project(project_ref)?;
    if ctx.json {
        print_json(
            &json!({ "deleted": project.project_ref, "documents_kept": project.member_count }),
        )?;
    } else if !ctx.quiet {
        outln!(
            "deleted project {} (its {} documents stay in the store)",
            project.project_ref,
            project.member_count
        );
    }
    Ok(0)
}
