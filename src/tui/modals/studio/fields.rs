//! The wizard's field tree: rows of (possibly nested) fields addressed by index paths, and the
//! field editor's rows (key, type, description, required, nullable, enum, constraints).

use serde_json::{Number, Value};

use crate::workspace::{Field, FieldSpec, FieldType, WizardModel};

/// A field's place: indices from the top-level list down through nested fields: an object's
/// properties, or the item fields of an array of objects.
pub type Path = Vec<usize>;

/// The object whose fields nest under `spec`: the spec itself for an object, its items for an
/// array of objects.
fn container(spec: &FieldSpec) -> &FieldSpec {
    match (&spec.field_type, &spec.items) {
        (Some(FieldType::Array), Some(items)) if items.field_type == Some(FieldType::Object) => {
            items
        }
        _ => spec,
    }
}

fn container_mut(spec: &mut FieldSpec) -> &mut FieldSpec {
    let is_items = matches!(
        (&spec.field_type, &spec.items),
        (Some(FieldType::Array), Some(items)) if items.field_type == Some(FieldType::Object)
    );
    if is_items && spec.items.is_some() {
        return spec.items.as_deref_mut().expect("checked just above");
    }
    spec
}

/// The fields nested under `spec` (an object's properties, an array's item fields).
fn children(spec: &FieldSpec) -> Option<&Vec<Field>> {
    container(spec).properties.as_ref()
}

fn children_mut(spec: &mut FieldSpec) -> Option<&mut Vec<Field>> {
    container_mut(spec).properties.as_mut()
}

/// Every field in display order with its depth (nested objects under their parent).
pub fn flatten(fields: &[Field]) -> Vec<(Path, usize)> {
    fn walk(fields: &[Field], prefix: &mut Path, out: &mut Vec<(Path, usize)>) {
        for (i, f) in fields.iter().enumerate() {
            prefix.push(i);
            out.push((prefix.clone(), prefix.len() - 1));
            if let Some(children) = children(&f.spec) {
                walk(children, prefix, out);
            }
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(fields, &mut Vec::new(), &mut out);
    out
}

pub fn field<'a>(model: &'a WizardModel, path: &[usize]) -> Option<&'a Field> {
    let (first, rest) = path.split_first()?;
    let mut f = model.fields.get(*first)?;
    for i in rest {
        f = children(&f.spec)?.get(*i)?;
    }
    Some(f)
}

pub fn field_mut<'a>(model: &'a mut WizardModel, path: &[usize]) -> Option<&'a mut Field> {
    let (first, rest) = path.split_first()?;
    let mut f = model.fields.get_mut(*first)?;
    for i in rest {
        f = children_mut(&mut f.spec)?.get_mut(*i)?;
    }
    Some(f)
}

/// The list a field at `path` lives in.
fn siblings_mut<'a>(model: &'a mut WizardModel, path: &[usize]) -> Option<&'a mut Vec<Field>> {
    match path.split_last() {
        Some((_, [])) | None => Some(&mut model.fields),
        Some((_, parent)) => children_mut(&mut field_mut(model, parent)?.spec),
    }
}

/// The `required` list that names the field at `path`.
fn required_mut<'a>(model: &'a mut WizardModel, path: &[usize]) -> Option<&'a mut Vec<String>> {
    match path.split_last() {
        Some((_, [])) => Some(&mut model.required),
        Some((_, parent)) => Some(
            container_mut(&mut field_mut(model, parent)?.spec)
                .required
                .get_or_insert_with(Vec::new),
        ),
        None => None,
    }
}

pub fn is_required(model: &WizardModel, path: &[usize]) -> bool {
    let Some(f) = field(model, path) else {
        return false;
    };
    let list = match path.split_last() {
        Some((_, [])) => Some(&model.required),
        Some((_, parent)) => {
            field(model, parent).and_then(|p| container(&p.spec).required.as_ref())
        }
        None => None,
    };
    list.is_some_and(|r| r.contains(&f.name))
}

pub fn set_required(model: &mut WizardModel, path: &[usize], on: bool) {
    let Some(name) = field(model, path).map(|f| f.name.clone()) else {
        return;
    };
    if let Some(list) = required_mut(model, path) {
        let present = list.contains(&name);
        if on && !present {
            list.push(name);
        } else if !on {
            list.retain(|r| *r != name);
        }
    }
}

/// A name not yet used among the siblings of `path` (`field_1`, `field_2`, ...).
fn fresh_name(list: &[Field]) -> String {
    (1..)
        .map(|n| format!("field_{n}"))
        .find(|c| !list.iter().any(|f| &f.name == c))
        .unwrap_or_default()
}

/// Add a string field after `path` (at its level), or at the top when there is none. Returns
/// the new field's path.
pub fn add_sibling(model: &mut WizardModel, path: Option<&[usize]>) -> Path {
    let path = path.unwrap_or(&[]);
    let at = path.last().map_or(model.fields.len(), |i| i + 1);
    let Some(list) = siblings_mut(model, path) else {
        return Vec::new();
    };
    let at = at.min(list.len());
    let name = fresh_name(list);
    list.insert(
        at,
        Field {
            name,
            spec: FieldSpec::new(FieldType::String),
        },
    );
    let mut out: Path = path.to_vec();
    match out.last_mut() {
        Some(last) => *last = at,
        None => out.push(at),
    }
    out
}

/// Add a string field inside the object field at `path`, or to the items of the array field at
/// `path` (an array with no items type gets object items). Returns its path, or `None` when the
/// field holds no object (a string, or an array of strings).
pub fn add_child(model: &mut WizardModel, path: &[usize]) -> Option<Path> {
    let f = field_mut(model, path)?;
    match f.spec.field_type {
        Some(FieldType::Object) => {}
        Some(FieldType::Array) => {
            let items = f
                .spec
                .items
                .get_or_insert_with(|| Box::new(FieldSpec::new(FieldType::Object)));
            if items.field_type != Some(FieldType::Object) {
                return None;
            }
        }
        _ => return None,
    }
    let list = container_mut(&mut f.spec)
        .properties
        .get_or_insert_with(Vec::new);
    let name = fresh_name(list);
    list.push(Field {
        name,
        spec: FieldSpec::new(FieldType::String),
    });
    let mut out = path.to_vec();
    out.push(list.len() - 1);
    Some(out)
}

/// Remove the field at `path` and its `required` entry.
pub fn remove(model: &mut WizardModel, path: &[usize]) {
    set_required(model, path, false);
    if let (Some(i), Some(list)) = (path.last().copied(), siblings_mut(model, path)) {
        if i < list.len() {
            list.remove(i);
        }
    }
}

/// Move the field at `path` one place up (`-1`) or down (`1`) among its siblings; returns the
/// new path.
pub fn shift(model: &mut WizardModel, path: &[usize], by: isize) -> Path {
    let mut out = path.to_vec();
    let Some(i) = path.last().copied() else {
        return out;
    };
    if let Some(list) = siblings_mut(model, path) {
        let j = i as isize + by;
        if j >= 0 && (j as usize) < list.len() {
            list.swap(i, j as usize);
            if let Some(last) = out.last_mut() {
                *last = j as usize;
            }
        }
    }
    out
}

/// Rename, keeping the `required` entry; refuses empty or duplicate names.
pub fn rename(model: &mut WizardModel, path: &[usize], new: &str) -> Result<(), String> {
    let new = new.trim();
    if new.is_empty() {
        return Err("a field needs a key".into());
    }
    let Some(old) = field(model, path).map(|f| f.name.clone()) else {
        return Ok(());
    };
    if old == new {
        return Ok(());
    }
    if siblings_mut(model, path).is_some_and(|l| l.iter().any(|f| f.name == new)) {
        return Err(format!("a field named '{new}' already exists here"));
    }
    let was_required = is_required(model, path);
    set_required(model, path, false);
    if let Some(f) = field_mut(model, path) {
        f.name = new.to_string();
    }
    if was_required {
        set_required(model, path, true);
    }
    Ok(())
}

/// A row of the field editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Key,
    Type,
    Description,
    Required,
    Nullable,
    Enum,
    MinLength,
    MaxLength,
    Pattern,
    Minimum,
    Maximum,
    ItemsType,
    MinItems,
    MaxItems,
}

impl Row {
    pub fn label(self) -> &'static str {
        match self {
            Row::Key => "key",
            Row::Type => "type",
            Row::Description => "description",
            Row::Required => "required",
            Row::Nullable => "nullable",
            Row::Enum => "enum values",
            Row::MinLength => "min length",
            Row::MaxLength => "max length",
            Row::Pattern => "pattern",
            Row::Minimum => "minimum",
            Row::Maximum => "maximum",
            Row::ItemsType => "items type",
            Row::MinItems => "min items",
            Row::MaxItems => "max items",
        }
    }

    /// Toggled or cycled with space / left / right rather than typed.
    pub fn is_choice(self) -> bool {
        matches!(
            self,
            Row::Type | Row::Required | Row::Nullable | Row::ItemsType
        )
    }
}

/// The rows that apply to a field of this type.
pub fn rows(spec: &FieldSpec) -> Vec<Row> {
    let mut r = vec![
        Row::Key,
        Row::Type,
        Row::Description,
        Row::Required,
        Row::Nullable,
        Row::Enum,
    ];
    match spec.field_type {
        Some(FieldType::String) => r.extend([Row::MinLength, Row::MaxLength, Row::Pattern]),
        Some(FieldType::Number | FieldType::Integer) => r.extend([Row::Minimum, Row::Maximum]),
        Some(FieldType::Array) => r.extend([Row::ItemsType, Row::MinItems, Row::MaxItems]),
        _ => {}
    }
    r
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

/// A row's current value as text.
pub fn value(model: &WizardModel, path: &[usize], row: Row) -> String {
    let Some(f) = field(model, path) else {
        return String::new();
    };
    let s = &f.spec;
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    match row {
        Row::Key => f.name.clone(),
        Row::Type => s.field_type.map_or("-", FieldType::as_str).to_string(),
        Row::Description => s.description.clone().unwrap_or_default(),
        Row::Required => yes(is_required(model, path)),
        Row::Nullable => yes(s.nullable),
        Row::Enum => s
            .enum_values
            .as_ref()
            .map(|v| {
                v.iter()
                    .map(|x| match x {
                        Value::String(t) => t.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        Row::MinLength => opt(&s.min_length),
        Row::MaxLength => opt(&s.max_length),
        Row::Pattern => s.pattern.clone().unwrap_or_default(),
        Row::Minimum => opt(&s.minimum),
        Row::Maximum => opt(&s.maximum),
        Row::ItemsType => s
            .items
            .as_ref()
            .and_then(|i| i.field_type)
            .map_or("-", FieldType::as_str)
            .to_string(),
        Row::MinItems => opt(&s.min_items),
        Row::MaxItems => opt(&s.max_items),
    }
}

fn next_type(t: Option<FieldType>, by: isize) -> FieldType {
    let all = FieldType::ALL;
    let i = t
        .and_then(|t| all.iter().position(|x| *x == t))
        .unwrap_or(0) as isize;
    all[(i + by).rem_euclid(all.len() as isize) as usize]
}

/// Space / left / right on a choice row.
pub fn cycle(model: &mut WizardModel, path: &[usize], row: Row, by: isize) {
    match row {
        Row::Required => {
            let on = !is_required(model, path);
            set_required(model, path, on);
        }
        Row::Nullable => {
            if let Some(f) = field_mut(model, path) {
                f.spec.nullable = !f.spec.nullable;
            }
        }
        Row::Type => {
            if let Some(f) = field_mut(model, path) {
                let t = next_type(f.spec.field_type, by);
                retype(&mut f.spec, t);
            }
        }
        Row::ItemsType => {
            if let Some(f) = field_mut(model, path) {
                let items = f
                    .spec
                    .items
                    .get_or_insert_with(|| Box::new(FieldSpec::new(FieldType::String)));
                let t = next_type(items.field_type, by);
                retype(items, t);
            }
        }
        _ => {}
    }
}

/// Change a field's type, dropping the constraints the new type does not have.
fn retype(s: &mut FieldSpec, t: FieldType) {
    s.field_type = Some(t);
    if t != FieldType::String {
        (s.min_length, s.max_length, s.pattern, s.format) = (None, None, None, None);
    }
    if !matches!(t, FieldType::Number | FieldType::Integer) {
        (s.minimum, s.maximum, s.multiple_of) = (None, None, None);
    }
    if t == FieldType::Array {
        s.items
            .get_or_insert_with(|| Box::new(FieldSpec::new(FieldType::String)));
    } else {
        (s.items, s.min_items, s.max_items) = (None, None, None);
    }
    if t == FieldType::Object {
        s.properties.get_or_insert_with(Vec::new);
    } else {
        (s.properties, s.required, s.additional_properties) = (None, None, None);
    }
}

fn whole(text: &str, what: &str) -> Result<Option<u64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| format!("{what} must be a whole number ≥ 0, not '{text}'"))
}

fn number(text: &str, what: &str) -> Result<Option<Number>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Number(n)) => Ok(Some(n)),
        _ => Err(format!("{what} must be a number, not '{text}'")),
    }
}

/// Enum values: a JSON array, or comma-separated items (numbers, true/false/null as JSON,
/// everything else a string). Empty: no enum.
fn enum_values(text: &str) -> Result<Option<Vec<Value>>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.starts_with('[') {
        return match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(a)) => Ok(Some(a)),
            _ => Err("enum values: not a JSON array; or type them separated by commas".into()),
        };
    }
    Ok(Some(
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match serde_json::from_str::<Value>(s) {
                Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
                _ => Value::from(s),
            })
            .collect(),
    ))
}

/// Apply a typed row value; on `Err` nothing changed.
pub fn set_text(
    model: &mut WizardModel,
    path: &[usize],
    row: Row,
    text: &str,
) -> Result<(), String> {
    let text = text.trim();
    if row == Row::Key {
        return rename(model, path, text);
    }
    let Some(f) = field_mut(model, path) else {
        return Ok(());
    };
    let s = &mut f.spec;
    let label = row.label();
    match row {
        Row::Description => s.description = (!text.is_empty()).then(|| text.to_string()),
        Row::Enum => s.enum_values = enum_values(text)?,
        Row::MinLength => s.min_length = whole(text, label)?,
        Row::MaxLength => s.max_length = whole(text, label)?,
        Row::Pattern => s.pattern = (!text.is_empty()).then(|| text.to_string()),
        Row::Minimum => s.minimum = number(text, label)?,
        Row::Maximum => s.maximum = number(text, label)?,
        Row::MinItems => s.min_items = whole(text, label)?,
        Row::MaxItems => s.max_items = whole(text, label)?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_add_rename_require_shift_and_remove() {
        let mut m = WizardModel::new("x");
        let a = add_sibling(&mut m, None);
        cycle(&mut m, &a, Row::Type, 5); // string → object
        assert_eq!(m.fields[0].spec.field_type, Some(FieldType::Object));
        let child = add_child(&mut m, &a).unwrap();
        assert_eq!(child, vec![0, 0]);
        set_required(&mut m, &child, true);
        rename(&mut m, &child, "inner").unwrap();
        assert_eq!(m.fields[0].spec.required, Some(vec!["inner".to_string()]));
        let b = add_sibling(&mut m, Some(&a));
        assert_eq!(b, vec![1]);
        assert!(rename(&mut m, &b, "field_1").is_err(), "duplicate refused");
        assert_eq!(shift(&mut m, &b, -1), vec![0]);
        assert_eq!(
            m.fields[1].spec.properties.as_ref().unwrap()[0].name,
            "inner"
        );
        assert_eq!(flatten(&m.fields).len(), 3);
        remove(&mut m, &[1, 0]);
        assert_eq!(m.fields[1].spec.required, Some(vec![]));
        assert!(set_text(&mut m, &[0], Row::MaxLength, "x").is_err());
        set_text(&mut m, &[0], Row::Enum, "a, 2, true").unwrap();
        assert_eq!(
            m.fields[0].spec.enum_values,
            Some(vec![Value::from("a"), Value::from(2), Value::from(true)])
        );
    }
}
