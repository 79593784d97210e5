//! `blockwise check` for projects: every member is a stored document, the member list, the
//! position index and the document→project index agree, and the record's count is right.

use std::collections::BTreeMap;

use redb::{ReadTransaction, ReadableTable};

use super::tables::{DOCUMENT_PROJECTS, PROJECTS, PROJECT_MEMBERS, PROJECT_POSITIONS};
use super::{Damage, StoreError};
use crate::model::{Document, Project};

/// Check every project; returns how many were looked at.
pub(super) fn check_projects(
    tx: &ReadTransaction,
    docs: &BTreeMap<String, Document>,
    out: &mut Vec<Damage>,
) -> Result<u32, StoreError> {
    let projects = tx.open_table(PROJECTS)?;
    let members = tx.open_table(PROJECT_MEMBERS)?;
    let positions = tx.open_table(PROJECT_POSITIONS)?;
    let by_doc = tx.open_table(DOCUMENT_PROJECTS)?;
    let mut count = 0;
    for entry in projects.iter()? {
        let (k, v) = entry?;
        let key = k.value().to_string();
        count += 1;
        let mut damage = |problem: String| {
            out.push(Damage {
                subject: format!("project {key}"),
                problem,
            })
        };
        let opened = super::sealed::open_json::<Project>(v.value(), String::new);
        let project = match opened {
            Ok(p) => p,
            Err(StoreError::Damaged { detail, .. }) => {
                damage(detail);
                continue;
            }
            Err(e) => return Err(e),
        };
        let r = key.as_str();
        let mut n = 0u32;
        for m in members.range((r, 0u64)..=(r, u64::MAX))? {
            let (mk, mv) = m?;
            let (at, conv) = (mk.value().1, mv.value().to_string());
            n += 1;
            if !docs.contains_key(&conv) {
                damage(format!("member {conv} is not in the store"));
            }
            if positions.get((r, conv.as_str()))?.map(|g| g.value()) != Some(at) {
                damage(format!(
                    "member {conv} at {at} is missing from the position index"
                ));
            }
            if by_doc.get((conv.as_str(), r))?.is_none() {
                damage(format!("member {conv} is missing from the document index"));
            }
            if at >= project.next_position {
                damage(format!(
                    "member {conv} sits at {at}, past the next position"
                ));
            }
        }
        if n != project.member_count {
            damage(format!(
                "it counts {} members but lists {n}",
                project.member_count
            ));
        }
    }
    Ok(count)
}
