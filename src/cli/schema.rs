//! `schema list | show | add | from-template | fork | delete | templates | check`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{json, Value};

use super::output::{one_line, print_json, short_id};
use super::schema_report::report;
use super::{Ctx, Exit};
use crate::workspace::{self, ImportClass, SchemaDelete, SchemaError};

#[derive(Debug, Subcommand)]
pub enum SchemaCmd {
    /// List saved schemas.
    List,
    /// Show one schema (by schema_ref, or a schema_id prefix).
    Show { schema: String },
    /// Save a JSON schema file through the single save boundary.
    Add {
        file: PathBuf,
        /// Ref to save under (default: from `$id`, `title`, else `schema`).
        #[arg(long = "ref", value_name = "REF")]
        schema_ref: Option<String>,
    },
    /// Save a copy of a built-in template.
    FromTemplate {
        /// Template id (see `blockwise schema templates`).
        id: String,
        /// Ref to save under (default: the template id).
        #[arg(long = "ref", value_name = "REF")]
        schema_ref: Option<String>,
    },
    /// Save an edited (or renamed) copy of a schema; the original is untouched.
    Fork {
        schema: String,
        /// New ref (default: the first free `<ref>_v2`, `_v3`, ...).
        #[arg(long = "ref", value_name = "NEW")]
        schema_ref: Option<String>,
        /// The edited schema (default: the same content, renamed).
        #[arg(long, value_name = "EDITED.json")]
        file: Option<PathBuf>,
    },
    /// Delete a schema; refused while a run references it.
    Delete { schema: String },
    /// List the built-in templates.
    Templates,
    /// Check a JSON file without saving: import class and compatibility warnings.
    Check { file: PathBuf },
    /// Suggest a schema for an intent from sample blocks (checked before it is shown).
    Suggest {
        /// What to extract, in plain words.
        intent: String,
        /// Document (conv_uid prefix; default: the only document).
        #[arg(long)]
        doc: Option<String>,
        /// Most sample blocks the request carries.
        #[arg(long, default_value_t = 8)]
        blocks: usize,
        /// Provider: anthropic, openai, google, custom, or demo (offline, deterministic).
        #[arg(long, default_value = "demo")]
        provider: String,
        /// Model name for a real provider.
        #[arg(long)]
        model: Option<String>,
        /// Write the suggestion to a new file.
        #[arg(
            short = 'o',
            long = "out",
            value_name = "FILE",
            conflicts_with = "save"
        )]
        out: Option<PathBuf>,
        /// Save the suggestion under this ref.
        #[arg(long, value_name = "REF")]
        save: Option<String>,
    },
    /// Apply one instruction to a draft (file or saved schema); prints the field diff.
    Refine {
        /// A draft JSON file, or a saved schema's ref or id (never changed).
        draft: String,
        /// The change, e.g. "add owner, due_date" or "remove summary".
        instruction: String,
        /// Write the refined schema to a new file (default: stdout).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        /// Provider: anthropic, openai, google, custom, or demo (offline, deterministic).
        #[arg(long, default_value = "demo")]
        provider: String,
        /// Model name for a real provider.
        #[arg(long)]
        model: Option<String>,
    },
    /// Every schema assistant call (suggest / refine) with its tokens and cost.
    Calls,
}

pub fn run(ctx: &Ctx, cmd: SchemaCmd) -> anyhow::Result<u8> {
    match cmd {
        SchemaCmd::List => list(ctx),
        SchemaCmd::Show { schema } => show(ctx, &schema),
        SchemaCmd::Add { file, schema_ref } => add(ctx, &file, schema_ref),
        SchemaCmd::FromTemplate { id, schema_ref } => from_template(ctx, &id, schema_ref),
        SchemaCmd::Fork {
            schema,
            schema_ref,
            file,
        } => fork(ctx, &schema, schema_ref, file.as_deref()),
        SchemaCmd::Delete { schema } => delete(ctx, &schema),
        SchemaCmd::Templates => templates(ctx),
        SchemaCmd::Check { file } => check(ctx, &file),
        SchemaCmd::Suggest {
            intent,
            doc,
            blocks,
            provider,
            model,
            out,
            save,
        } => super::schema_suggest::run(
            ctx,
            super::schema_suggest::SuggestArgs {
                intent,
                doc,
                blocks,
                provider,
                model,
                out,
                save,
            },
        ),
        SchemaCmd::Refine {
            draft,
            instruction,
            out,
            provider,
            model,
        } => super::schema_refine::run(
            ctx,
            super::schema_refine::RefineArgs {
                draft,
                instruction,
                out,
                provider,
                model,
            },
        ),
        SchemaCmd::Calls => super::schema_calls::run(ctx),
    }
}

/// Read and parse a schema file; invalid JSON is an error naming the file, line and column.
fn read_schema_file(path: &Path) -> anyhow::Result<(Value, ImportClass)> {
    let text = workspace::read_text(path, workspace::SCHEMA_FILE_MAX).map_err(|e| {
        Exit::new(
            1,
            format!("error: cannot read schema file {}: {e}", path.display()),
        )
    })?;
    let class = workspace::classify_schema(&text);
    match &class {
        ImportClass::Invalid {
            reason,
            line,
            column,
        } => {
            let at = match (line, column) {
                (Some(l), Some(c)) => format!(":{l}:{c}"),
                _ => String::new(),
            };
            Err(Exit::new(
                1,
                format!("error: {}{at}: {reason}; nothing saved", path.display()),
            )
            .into())
        }
        _ => Ok((class.json().cloned().unwrap_or(Value::Null), class)),
    }
}

fn list(ctx: &Ctx) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let all = ws.list_schemas()?;
    if ctx.json {
        print_json(&all)?;
        return Ok(0);
    }
    if all.is_empty() {
        if !ctx.quiet {
            outln!(
                "No schemas yet. Start from a template (`blockwise schema templates`) or add a \
                 file (`blockwise schema add FILE`)."
            );
        }
        return Ok(0);
    }
    outln!(
        "{:<28}  {:<16}  {:<12}  {:>6}  {:<20}  ORIGIN",
        "REF",
        "ID",
        "UID",
        "FIELDS",
        "CREATED"
    );
    for s in all {
        let fields = workspace::properties(&s.json).map_or(0, |p| p.len());
        let origin = match (&s.template_id, &s.forked_from) {
            (_, Some(f)) => format!("fork of {f}"),
            (Some(t), None) => format!("template {t}"),
            _ => String::new(),
        };
        let warn = if s.warnings.is_empty() { "" } else { " (!)" };
        outln!(
            "{:<28}  {:<16}  {:<12}  {:>6}  {:<20}  {origin}{warn}",
            one_line(&s.schema_ref, 28),
            s.schema_id,
            short_id(&s.schema_uid),
            fields,
            s.created_at,
        );
    }
    Ok(0)
}

fn show(ctx: &Ctx, name: &str) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let s = ws.resolve_schema(name)?;
    let runs = ws.runs_referencing(&s.schema_id)?;
    let prompt = workspace::PromptConfig::from_schema(&s.json).ok();
    if ctx.json {
        let mut v = serde_json::to_value(&s)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("runs".into(), json!(runs));
            obj.insert("prompt_config".into(), json!(prompt));
        }
        print_json(&v)?;
        return Ok(0);
    }
    outln!("ref        {}", s.schema_ref);
    outln!("id         {}", s.schema_id);
    outln!("uid        {}", s.schema_uid);
    outln!("owner      {}", s.owner);
    outln!("created    {}", s.created_at);
    if let Some(t) = &s.template_id {
        outln!("template   {t}");
    }
    if let Some(f) = &s.forked_from {
        outln!("forked     from {f}");
    }
    let fields: Vec<&String> = workspace::properties(&s.json)
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    outln!(
        "fields     {}",
        if fields.is_empty() {
            "(none)".to_string()
        } else {
            fields
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    outln!(
        "runs       {}",
        if runs.is_empty() {
            "(none)".to_string()
        } else {
            runs.join(", ")
        }
    );
    for w in &s.warnings {
        outln!("warning    {w}");
    }
    outln!();
    outln!("{}", serde_json::to_string_pretty(&s.json)?);
    Ok(0)
}

fn add(ctx: &Ctx, file: &Path, schema_ref: Option<String>) -> anyhow::Result<u8> {
    let (json, class) = read_schema_file(file)?;
    let ws = ctx.open()?;
    let result = ws.save_schema(json, schema_ref);
    report(ctx, result, Some(&class))
}

fn from_template(ctx: &Ctx, id: &str, schema_ref: Option<String>) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let result = ws.schema_from_template(id, schema_ref);
    if let Err(workspace::Error::Schema(e @ SchemaError::UnknownTemplate { .. })) = result {
        return Err(Exit::new(1, format!("error: {e}")).into());
    }
    report(ctx, result, None)
}

fn fork(
    ctx: &Ctx,
    name: &str,
    schema_ref: Option<String>,
    file: Option<&Path>,
) -> anyhow::Result<u8> {
    let (edited, class) = match file {
        Some(f) => {
            let (json, class) = read_schema_file(f)?;
            (Some(json), Some(class))
        }
        None => (None, None),
    };
    let ws = ctx.open()?;
    let result = ws.fork_schema(name, schema_ref, edited);
    report(ctx, result, class.as_ref())
}

fn delete(ctx: &Ctx, name: &str) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    match ws.delete_schema(name)? {
        SchemaDelete::Deleted(s) => {
            if ctx.json {
                print_json(&json!({"status": "deleted", "schema_ref": s.schema_ref,
                    "schema_id": s.schema_id}))?;
            } else if !ctx.quiet {
                outln!("deleted {} {}", s.schema_ref, s.schema_id);
            }
            Ok(0)
        }
        SchemaDelete::Referenced { schema, run_ids } => {
            if ctx.json {
                print_json(
                    &json!({"status": "referenced", "schema_ref": schema.schema_ref,
                    "schema_id": schema.schema_id, "runs": run_ids}),
                )?;
            }
            Err(Exit::new(
                1,
                format!(
                    "error: schema '{}' is referenced by {} run(s): {}; delete those runs first \
                     (nothing deleted)",
                    schema.schema_ref,
                    run_ids.len(),
                    run_ids.join(", ")
                ),
            )
            .into())
        }
    }
}

fn templates(ctx: &Ctx) -> anyhow::Result<u8> {
    let all = workspace::templates()?;
    if ctx.json {
        print_json(&all)?;
        return Ok(0);
    }
    outln!("{:<22}  {:<16}  DESCRIPTION", "ID", "CATEGORY");
    for t in all {
        outln!(
            "{:<22}  {:<16}  {}",
            t.id,
            t.category,
            one_line(&t.description, 80)
        );
    }
    Ok(0)
}

fn check(ctx: &Ctx, file: &Path) -> anyhow::Result<u8> {
    let text = workspace::read_text(file, workspace::SCHEMA_FILE_MAX).map_err(|e| {
        Exit::new(
            1,
            format!("error: cannot read schema file {}: {e}", file.display()),
        )
    })?;
    let class = workspace::classify_schema(&text);
    let compat = class.json().map(workspace::check_schema);
    if ctx.json {
        print_json(&json!({"import": class, "compat": compat,
            "derived_ref": class.json().map(workspace::derive_ref)}))?;
    } else {
        outln!("class      {}", class.name());
        match &class {
            ImportClass::Invalid {
                reason,
                line,
                column,
            } => match (line, column) {
                (Some(l), Some(c)) => outln!("invalid    line {l}, column {c}: {reason}"),
                _ => outln!("invalid    {reason}"),
            },
            ImportClass::Advanced { reasons, .. } => {
                for r in reasons {
                    outln!("advanced   {r}");
                }
            }
            ImportClass::WizardEditable { .. } => {}
        }
        if let Some(json) = class.json() {
            outln!("ref        {} (derived)", workspace::derive_ref(json));
        }
        if let Some(c) = &compat {
            for w in &c.warnings {
                outln!("warning    {w}");
            }
            for e in &c.errors {
                outln!("error      {e}");
            }
            if c.passes() {
                outln!("compat     pass");
            }
        }
    }
    Ok(match (&class, &compat) {
        (ImportClass::Invalid { .. }, _) => 1,
        (_, Some(c)) if !c.errors.is_empty() => 1,
        _ => 0,
    })
}
