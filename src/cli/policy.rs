//! `policy list | show | set | audit | admins ...` (SPEC §5).

use clap::Subcommand;
use serde_json::json;

use super::exit::refused;
use super::output::{one_line, print_json};
use super::{Ctx, Exit};
use crate::workspace::{display_value, AdminChange, SetOutcome};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Effective value, source and bounds of every key.
    List,
    /// One key in full: effective value with its source, type, bounds, default, meaning.
    Show {
        /// Full key, or its last segment when unique (e.g. pack_size).
        key: String,
    },
    /// Change a key (workspace admins only); appends an audit entry.
    Set {
        /// Full key, or its last segment when unique (e.g. pack_size).
        key: String,
        /// New value, parsed by the key's type (true/false, whole number, number, text).
        /// A negative number is a value, not a flag (it then meets the key's bounds).
        #[arg(
            required_unless_present = "file",
            conflicts_with = "file",
            allow_negative_numbers = true
        )]
        value: Option<String>,
        /// Read the value from a file instead (handy for the long prompt keys).
        #[arg(long, value_name = "PATH")]
        file: Option<std::path::PathBuf>,
        /// Why, recorded in the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// The append-only audit log, oldest first.
    Audit {
        /// Only entries for this key (`admins` for admin-list changes).
        #[arg(long)]
        key: Option<String>,
    },
    /// Workspace admins: list, add, remove.
    Admins {
        #[command(subcommand)]
        command: AdminsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminsCommand {
    /// List workspace admins.
    List,
    /// Make an OS user a workspace admin (admins only).
    Add {
        user: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Remove a workspace admin (admins only; never the last one).
    Remove {
        user: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

pub fn run(ctx: &Ctx, command: PolicyCommand) -> anyhow::Result<u8> {
    match command {
        PolicyCommand::List => list(ctx),
        PolicyCommand::Show { key } => show(ctx, &key),
        PolicyCommand::Set {
            key,
            value,
            file,
            reason,
        } => {
            let value = match (value, file) {
                (Some(v), _) => v,
                (None, Some(path)) => {
                    crate::workspace::read_text(&path, crate::workspace::VALUE_FILE_MAX)
                        .map_err(|e| {
                            Exit::new(1, format!("error: cannot read {}: {e}", path.display()))
                        })?
                        .trim_end()
                        .to_string()
                }
                (None, None) => return Err(Exit::new(2, "error: give VALUE or --file PATH").into()),
            };
            set(ctx, &key, &value, reason.as_deref())
        }
        PolicyCommand::Audit { key } => audit(ctx, key.as_deref()),
        PolicyCommand::Admins { command } => admins(ctx, command),
    }
}

fn list(ctx: &Ctx) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let all = ws.policy_all().map_err(refused)?;
    if ctx.json {
        print_json(&all)?;
        return Ok(0);
    }
    let width = all.iter().map(|e| e.key.len()).max().unwrap_or(3);
    outln!(
        "{:<width$}  {:<24}  {:<7}  BOUNDS",
        "KEY",
        "EFFECTIVE",
        "SOURCE"
    );
    for e in &all {
        outln!(
            "{:<width$}  {:<24}  {:<7}  {}",
            e.key,
            one_line(&display_value(&e.value), 23),
            e.source.as_str(),
            e.bounds
        );
    }
    Ok(0)
}

fn show(ctx: &Ctx, key: &str) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let e = ws.policy_value(key).map_err(refused)?;
    if ctx.json {
        print_json(&e)?;
        return Ok(0);
    }
    let shown = display_value(&e.value);
    outln!(
        "{}  effective={} (source={})",
        e.key,
        one_line(&shown, 70),
        e.source
    );
    if shown.chars().count() > 70 || shown.contains('\n') {
        outln!("  value:");
        for line in shown.lines() {
            outln!("    {line}");
        }
    }
    outln!("  type:        {}", e.value_type);
    if !e.bounds.is_empty() {
        outln!("  bounds:      {}", e.bounds);
    }
    outln!(
        "  default:     {}",
        one_line(&display_value(&e.default), 70)
    );
    outln!("  description: {}", e.description);
    Ok(0)
}

fn set(ctx: &Ctx, key: &str, value: &str, reason: Option<&str>) -> anyhow::Result<u8> {
    let ws = ctx.open()?;
    let outcome = ws.set_policy_text(key, value, reason).map_err(refused)?;
    match outcome {
        SetOutcome::Changed(entry) => {
            if ctx.json {
                print_json(&json!({"status": "changed", "entry": entry}))?;
            } else if !ctx.quiet {
                outln!(
                    "{}: {} -> {}; effective={} (source=stored)",
                    entry.key,
                    one_line(&display_value(&entry.old), 40),
                    one_line(&display_value(&entry.new), 40),
                    one_line(&display_value(&entry.new), 40),
                );
            }
        }
        SetOutcome::Unchanged { key, value } => {
            if ctx.json {
                print_json(&json!({"status": "unchanged", "key": key, "value": value}))?;
            } else if !ctx.quiet {
                outln!(
                    "{key} is already {}; nothing changed",
                    one_line(&display_value(&value), 40)
                );
            }
        }
    }
    Ok(0)
}

fn audit(ctx: &Ctx, key: Option<&str>) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let wanted = match key {
        None => None,
        Some("admins") => Some("admins".to_string()),
        Some(k) => Some(ws.policy_key_name(k).map_err(refused)?.to_string()),
    };
    let entries: Vec<_> = ws
        .audit_log()
        .map_err(refused)?
        .into_iter()
        .filter(|e| wanted.as_deref().is_none_or(|k| e.key == k))
        .collect();
    if ctx.json {
        print_json(&entries)?;
        return Ok(0);
    }
    if entries.is_empty() {
        if !ctx.quiet {
            outln!("No audit entries.");
        }
        return Ok(0);
    }
    for e in entries {
        outln!(
            "#{:<4} {}  {:<12} {}: {} -> {}{}",
            e.seq,
            e.at,
            e.user,
            e.key,
            one_line(&display_value(&e.old), 40),
            one_line(&display_value(&e.new), 40),
            e.reason
                .as_deref()
                .map(|r| format!("  ({})", one_line(r, 80)))
                .unwrap_or_default()
        );
    }
    Ok(0)
}

fn admins(ctx: &Ctx, command: AdminsCommand) -> anyhow::Result<u8> {
    let ws = if matches!(command, AdminsCommand::List) {
        ctx.open_read()?
    } else {
        ctx.open()?
    };
    let (verb, outcome) = match command {
        AdminsCommand::List => {
            let admins = ws.list_admins().map_err(refused)?;
            if ctx.json {
                print_json(&admins)?;
            } else {
                for a in admins {
                    outln!("{:<16} added by {} at {}", a.user, a.added_by, a.added_at);
                }
            }
            return Ok(0);
        }
        AdminsCommand::Add { user: who, reason } => (
            format!("added admin {who}"),
            ws.add_admin(&who, reason.as_deref()).map_err(refused)?,
        ),
        AdminsCommand::Remove { user: who, reason } => (
            format!("removed admin {who}"),
            ws.remove_admin(&who, reason.as_deref()).map_err(refused)?,
        ),
    };
    match outcome {
        AdminChange::Changed(entry) => {
            if ctx.json {
                print_json(&json!({"status": "changed", "entry": entry}))?;
            } else if !ctx.quiet {
                outln!("{verb}; admins: {}", display_value(&entry.new));
            }
        }
        AdminChange::Unchanged => {
            if ctx.json {
                print_json(&json!({"status": "unchanged"}))?;
            } else if !ctx.quiet {
                outln!("nothing changed: already an admin");
            }
        }
    }
    Ok(0)
}
