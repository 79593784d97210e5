//! Comparing two runs or run groups over the same documents (SPEC §4a): the runs are paired
//! by document, each pair's overlays are merged in block order from one read snapshot
//! (`Store::for_each_overlay_pair`), and every shared field is tallied ([`FieldTally`]).
//! With `gold`, side B counts only its **confirmed** values.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::compare::{is_categorical, FieldTally};
use crate::model::Run;
use crate::store::{OverlayView, Store, StoreError};

/// One side of a comparison: a run, or a group's member runs (project order).
#[derive(Debug, Clone)]
pub struct Side {
    /// The run id or group id, as named to the user.
    pub name: String,
    pub runs: Vec<Run>,
    /// The schema the side's runs use (a group's members share it).
    pub schema: Value,
}

/// A field that one side's schema lacks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotCompared {
    pub field: String,
    /// `A` or `B`: the side that has it.
    pub only_in: &'static str,
}

/// The comparison of A with B, field by field.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    /// B is the gold standard: only its confirmed values count.
    pub gold: bool,
    /// The documents compared, by position (a difference names its document by position).
    pub documents: Vec<String>,
    pub fields: Vec<FieldTally>,
    pub not_compared: Vec<NotCompared>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A name that resolves to no run or group (the message names it).
    #[error("{0}")]
    Name(String),
    #[error("{a} and {b} are not over the same documents ({detail}); compare needs two runs or groups over the same documents")]
    DifferentDocuments {
        a: String,
        b: String,
        detail: String,
    },
    #[error("field '{field}' is in neither schema ({a}: {a_fields}; {b}: {b_fields})")]
    UnknownField {
        field: String,
        a: String,
        a_fields: String,
        b: String,
        b_fields: String,
    },
    #[error("a stored value of {run} block {index} is not JSON ({detail})")]
    BadValue {
        run: String,
        index: u32,
        detail: String,
    },
}

fn props(schema: &Value) -> Map<String, Value> {
    crate::schema::properties(schema)
        .cloned()
        .unwrap_or_default()
}

/// The fields both schemas have (in A's order; `only` restricts to one), and those only one
/// side has.
fn plan_fields(
    a: &Side,
    b: &Side,
    only: Option<&str>,
) -> Result<(Vec<FieldTally>, Vec<NotCompared>), CompareError> {
    let (pa, pb) = (props(&a.schema), props(&b.schema));
    if let Some(f) = only {
        if !pa.contains_key(f) && !pb.contains_key(f) {
            let list = |p: &Map<String, Value>| p.keys().cloned().collect::<Vec<_>>().join(", ");
            return Err(CompareError::UnknownField {
                field: f.to_string(),
                a: a.name.clone(),
                a_fields: list(&pa),
                b: b.name.clone(),
                b_fields: list(&pb),
            });
        }
    }
    let wanted = |k: &String| only.is_none_or(|f| f == k);
    let mut fields = Vec::new();
    let mut not = Vec::new();
    for (k, s) in pa.iter().filter(|(k, _)| wanted(k)) {
        match pb.get(k) {
            Some(sb) => fields.push(FieldTally::new(k, is_categorical(s) || is_categorical(sb))),
            None => not.push(NotCompared {
                field: k.clone(),
                only_in: "A",
            }),
        }
    }
    for k in pb.keys().filter(|k| wanted(k) && !pa.contains_key(*k)) {
        not.push(NotCompared {
            field: k.clone(),
            only_in: "B",
        });
    }
    Ok((fields, not))
}

/// A's runs paired with B's by document, in A's order; an error names the documents only one
/// side covers.
fn pair_runs<'s>(a: &'s Side, b: &'s Side) -> Result<Vec<(&'s Run, &'s Run)>, CompareError> {
    let by_doc: BTreeMap<&str, &Run> = b.runs.iter().map(|r| (r.conv_uid.as_str(), r)).collect();
    let in_a: BTreeMap<&str, &Run> = a.runs.iter().map(|r| (r.conv_uid.as_str(), r)).collect();
    let only_a: Vec<&str> = in_a
        .keys()
        .filter(|d| !by_doc.contains_key(*d))
        .copied()
        .collect();
    let only_b: Vec<&str> = by_doc
        .keys()
        .filter(|d| !in_a.contains_key(*d))
        .copied()
        .collect();
    if !only_a.is_empty() || !only_b.is_empty() || a.runs.is_empty() {
        let short = |ds: &[&str]| {
            ds.iter()
                .map(|d| &d[..d.len().min(12)])
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut detail = Vec::new();
        if !only_a.is_empty() {
            detail.push(format!(
                "only {} covers document {}",
                a.name,
                short(&only_a)
            ));
        }
        if !only_b.is_empty() {
            detail.push(format!(
                "only {} covers document {}",
                b.name,
                short(&only_b)
            ));
        }
        if a.runs.is_empty() {
            detail.push(format!("{} has no runs", a.name));
        }
        return Err(CompareError::DifferentDocuments {
            a: a.name.clone(),
            b: b.name.clone(),
            detail: detail.join("; "),
        });
    }
    Ok(a.runs
        .iter()
        .map(|r| (r, by_doc[r.conv_uid.as_str()]))
        .collect())
}

/// The value a side shows for a block: confirmed, else staged; with `confirmed_only`, the
/// confirmed value alone (a gold side).
fn shown(
    run: &str,
    index: u32,
    ov: Option<&OverlayView<'_>>,
    confirmed_only: bool,
) -> Result<Option<Value>, CompareError> {
    let Some(ov) = ov else { return Ok(None) };
    let s = ov.status.shown(ov.confirmed, ov.staging);
    let raw = if confirmed_only {
        s.confirmed
    } else {
        s.value()
    };
    raw.map(|r| serde_json::from_str(r.get()))
        .transpose()
        .map_err(|e| CompareError::BadValue {
            run: run.to_string(),
            index,
            detail: e.to_string(),
        })
}

/// Compare A with B (B as gold when `gold`), on every shared field or only `field`.
pub fn compare(
    store: &Store,
    a: &Side,
    b: &Side,
    field: Option<&str>,
    gold: bool,
) -> Result<Comparison, CompareError> {
    let (mut fields, not_compared) = plan_fields(a, b, field)?;
    let pairs = pair_runs(a, b)?;
    for (doc, (ra, rb)) in pairs.iter().enumerate() {
        if fields.is_empty() {
            break;
        }
        store.for_each_overlay_pair(&ra.run_id, &rb.run_id, |index, oa, ob| {
            let va = shown(&ra.run_id, index, oa, false)?;
            let vb = shown(&rb.run_id, index, ob, gold)?;
            if gold && vb.is_none() {
                // Only the gold run's confirmed blocks count.
                return Ok::<(), CompareError>(());
            }
            for t in fields.iter_mut() {
                let pick = |v: &Option<Value>| v.as_ref().and_then(|v| v.get(&t.field)).cloned();
                let (x, y) = (pick(&va), pick(&vb));
                t.add(doc as u32, index, x.as_ref(), y.as_ref());
            }
            Ok(())
        })?;
    }
    Ok(Comparison {
        a: a.name.clone(),
        b: b.name.clone(),
        gold,
        documents: pairs.iter().map(|(r, _)| r.conv_uid.clone()).collect(),
        fields,
        not_compared,
    })
}
