//! Schemas: the single save transaction, lookups, and the delete guard (SPEC §2).

use redb::{ReadableTable, WriteTransaction};

use super::tables::{RUNS_BY_SCHEMA, SCHEMAS, SCHEMA_REFS, SCHEMA_UIDS};
use super::{Store, StoreError};
use crate::model::{generate_schema_id, Schema};

/// What `save_schema` found. Only `Created` wrote anything.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaInsert {
    /// New ref, new content: stored with this generated `schema_id`.
    Created(Schema),
    /// Same ref, same content: the existing schema; nothing written.
    Unchanged(Schema),
    /// The ref is taken by a schema with different content; nothing written.
    RefTaken(Schema),
    /// This owner already saved the same content under another ref; nothing written.
    ContentTaken(Schema),
}

/// What `delete_schema` did.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaDelete {
    Deleted(Schema),
    /// Refused: these runs reference the schema. Nothing was written.
    Referenced {
        schema: Schema,
        run_ids: Vec<String>,
    },
}

fn decode(raw: &[u8]) -> Result<Schema, StoreError> {
    super::sealed::open_json(raw, || super::guard::current_or("a schema record"))
}

impl Store {
    /// The save boundary's storage half, in ONE write transaction: checks the ref and the
    /// content identity inside the transaction, then writes the record and both indexes, or
    /// nothing. `schema.schema_id` is ignored: a fresh id is generated.
    pub fn save_schema(&self, schema: &Schema) -> Result<SchemaInsert, StoreError> {
        let _reading = super::guard::reading("the schemas table");
        let tx = self.write()?;
        let outcome = save_in(&tx, schema)?;
        match outcome {
            SchemaInsert::Created(_) => tx.commit()?,
            _ => tx.abort()?,
        }
        Ok(outcome)
    }

    pub fn get_schema(&self, schema_id: &str) -> Result<Option<Schema>, StoreError> {
        let _reading = super::guard::reading(format!("schema {schema_id}"));
        let tx = self.read()?;
        let t = tx.open_table(SCHEMAS)?;
        match t.get(schema_id)? {
            Some(raw) => Ok(Some(decode(raw.value())?)),
            None => Ok(None),
        }
    }

    pub fn schema_by_ref(&self, schema_ref: &str) -> Result<Option<Schema>, StoreError> {
        let _reading = super::guard::reading(format!("schema {schema_ref}"));
        let tx = self.read()?;
        let refs = tx.open_table(SCHEMA_REFS)?;
        let Some(id) = refs.get(schema_ref)?.map(|v| v.value().to_string()) else {
            return Ok(None);
        };
        let t = tx.open_table(SCHEMAS)?;
        match t.get(id.as_str())? {
            Some(raw) => Ok(Some(decode(raw.value())?)),
            None => Err(StoreError::Corrupt(format!(
                "schema ref '{schema_ref}' points at missing schema {id}"
            ))),
        }
    }

    /// Whether a ref is taken (for suggesting free refs).
    pub fn schema_ref_exists(&self, schema_ref: &str) -> Result<bool, StoreError> {
        let _reading = super::guard::reading(format!("schema ref {schema_ref}"));
        let tx = self.read()?;
        let refs = tx.open_table(SCHEMA_REFS)?;
        Ok(refs.get(schema_ref)?.is_some())
    }

    /// A schema named on the command line: its exact `schema_ref`, else a `schema_id` or a
    /// unique prefix of one.
    pub fn resolve_schema(&self, name: &str) -> Result<Schema, StoreError> {
        let _reading = super::guard::reading(format!("schema {name}"));
        if let Some(s) = self.schema_by_ref(name)? {
            return Ok(s);
        }
        let id = self.resolve_id(SCHEMAS, "schema", "sch_", name)?;
        self.get_schema(&id)?.ok_or_else(|| StoreError::NotFound {
            kind: "schema",
            prefix: name.to_string(),
        })
    }

    /// Every schema, sorted by ref.
    pub fn list_schemas(&self) -> Result<Vec<Schema>, StoreError> {
        let _reading = super::guard::reading("the schemas table");
        let tx = self.read()?;
        let t = tx.open_table(SCHEMAS)?;
        let mut out = Vec::new();
        for entry in t.iter()? {
            let (_, v) = entry?;
            out.push(decode(v.value())?);
        }
        out.sort_by(|a, b| a.schema_ref.cmp(&b.schema_ref));
        Ok(out)
    }

    /// Run ids that reference a schema, in id order.
    pub fn runs_referencing(&self, schema_id: &str) -> Result<Vec<String>, StoreError> {
        let _reading = super::guard::reading(format!("the runs of schema {schema_id}"));
        let tx = self.read()?;
        let t = tx.open_table(RUNS_BY_SCHEMA)?;
        runs_of(&t, schema_id)
    }

    /// Delete a schema (named by ref or id prefix) in one write transaction, refused while any
    /// run references it.
    pub fn delete_schema(&self, name: &str) -> Result<SchemaDelete, StoreError> {
        let _reading = super::guard::reading(format!("schema {name}"));
        let schema = self.resolve_schema(name)?;
        let tx = self.write()?;
        {
            let links = tx.open_table(RUNS_BY_SCHEMA)?;
            let run_ids = runs_of(&links, &schema.schema_id)?;
            if !run_ids.is_empty() {
                drop(links);
                tx.abort()?;
                return Ok(SchemaDelete::Referenced { schema, run_ids });
            }
        }
        {
            let mut schemas = tx.open_table(SCHEMAS)?;
            if schemas.remove(schema.schema_id.as_str())?.is_none() {
                return Err(StoreError::NotFound {
                    kind: "schema",
                    prefix: name.to_string(),
                });
            }
            let mut refs = tx.open_table(SCHEMA_REFS)?;
            refs.remove(schema.schema_ref.as_str())?;
            let mut uids = tx.open_table(SCHEMA_UIDS)?;
            let indexed = uids
                .get(schema.schema_uid.as_str())?
                .map(|v| v.value().to_string());
            if indexed.as_deref() == Some(schema.schema_id.as_str()) {
                uids.remove(schema.schema_uid.as_str())?;
                // Another owner may hold the same content: keep the content index pointing at it.
                let mut heir = None;
                for entry in schemas.iter()? {
                    let (k, v) = entry?;
                    if decode(v.value())?.schema_uid == schema.schema_uid {
                        heir = Some(k.value().to_string());
                        break;
                    }
                }
                if let Some(id) = heir {
                    uids.insert(schema.schema_uid.as_str(), id.as_str())?;
                }
            }
        }
        tx.commit()?;
        Ok(SchemaDelete::Deleted(schema))
    }

    /// Record that `run_id` references `schema_id` (the run creator writes this in its own
    /// transaction; this helper exists for tests and tools).
    #[doc(hidden)]
    pub fn link_run_to_schema(&self, schema_id: &str, run_id: &str) -> Result<(), StoreError> {
        let _reading = super::guard::reading(format!("the runs of schema {schema_id}"));
        let tx = self.write()?;
        {
            let mut t = tx.open_table(RUNS_BY_SCHEMA)?;
            t.insert((schema_id, run_id), ())?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn runs_of(
    t: &impl ReadableTable<(&'static str, &'static str), ()>,
    schema_id: &str,
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for entry in t.range((schema_id, "")..)? {
        let (k, _) = entry?;
        let (sid, run) = k.value();
        if sid != schema_id {
            break;
        }
        out.push(run.to_string());
    }
    Ok(out)
}

fn save_in(tx: &WriteTransaction, schema: &Schema) -> Result<SchemaInsert, StoreError> {
    let mut schemas = tx.open_table(SCHEMAS)?;
    let mut refs = tx.open_table(SCHEMA_REFS)?;
    let mut uids = tx.open_table(SCHEMA_UIDS)?;

    let load = |id: &str, t: &redb::Table<&str, &[u8]>| -> Result<Schema, StoreError> {
        match t.get(id)? {
            Some(raw) => decode(raw.value()),
            None => Err(StoreError::Corrupt(format!(
                "schema index points at missing schema {id}"
            ))),
        }
    };

    // 1. The ref decides first: same ref + same content is idempotent, else a ref conflict.
    if let Some(id) = refs
        .get(schema.schema_ref.as_str())?
        .map(|v| v.value().to_string())
    {
        let existing = load(&id, &schemas)?;
        return Ok(if existing.schema_uid == schema.schema_uid {
            SchemaInsert::Unchanged(existing)
        } else {
            SchemaInsert::RefTaken(existing)
        });
    }

    // 2. New ref: refuse content this owner already saved under another ref.
    let indexed = uids
        .get(schema.schema_uid.as_str())?
        .map(|v| v.value().to_string());
    if let Some(id) = &indexed {
        let existing = load(id, &schemas)?;
        if existing.owner == schema.owner {
            return Ok(SchemaInsert::ContentTaken(existing));
        }
        // The index names another owner's copy; this owner may still have one.
        for entry in schemas.iter()? {
            let (_, v) = entry?;
            let s = decode(v.value())?;
            if s.schema_uid == schema.schema_uid && s.owner == schema.owner {
                return Ok(SchemaInsert::ContentTaken(s));
            }
        }
    }

    // 3. Created: a fresh id, the record, and both indexes.
    let mut record = schema.clone();
    let mut salt = 0u64;
    loop {
        record.schema_id = generate_schema_id(&schema.schema_uid, salt);
        if schemas.get(record.schema_id.as_str())?.is_none() {
            break;
        }
        salt += 1;
    }
    let bytes = super::sealed::seal_json(&record)?;
    schemas.insert(record.schema_id.as_str(), bytes.as_slice())?;
    refs.insert(record.schema_ref.as_str(), record.schema_id.as_str())?;
    if indexed.is_none() {
        uids.insert(record.schema_uid.as_str(), record.schema_id.as_str())?;
    }
    Ok(SchemaInsert::Created(record))
}
