//! What the generic store needs to know about a kind of record.
//!
//! Every partnership record has the same life: it is created, edited with a
//! version check (a stale edit is refused, never silently overwritten), archived
//! instead of deleted, and every change lands in the audit log with its values
//! before and after. The store writes that life once; a [`Resource`] only
//! describes its own columns and how to parse input into a valid value.

use serde::{Serialize, de::DeserializeOwned};

use crate::validation::{FieldErrors, FieldMap};

/// The type of a stored column. JSON form: Text ↔ string, Int ↔ number,
/// Date ↔ "YYYY-MM-DD", Decimal ↔ string ("12.50", exact), Timestamp ↔ RFC 3339
/// string in UTC, Bool ↔ true/false, Json ↔ any JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Int,
    Date,
    /// Exact decimal (`NUMERIC` on PostgreSQL, text on SQLite): never a float.
    Decimal,
    /// A moment, with time zone (`TIMESTAMPTZ`; RFC 3339 UTC text on SQLite).
    Timestamp,
    Bool,
    Json,
}

/// How sensitive a field is; [`crate::access::decide`] says who may see and
/// change each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Seen by everyone who may read the record.
    Ordinary,
    /// A person's contact details (email, phone).
    Contact,
    /// What someone is paid.
    Pay,
    /// Where a record sits, which decides who else reads it (an initiative's network).
    Placement,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    /// `Some(table)`: the value is the id of a live record of that table (in the
    /// same initiative when both are scoped to one).
    pub refers_to: Option<&'static str>,
    /// No two live records (in the same initiative, when scoped) share a non-empty value.
    pub unique: bool,
    pub nullable: bool,
    pub class: Class,
}

impl Column {
    pub const fn text(name: &'static str) -> Self {
        Self {
            name,
            ty: ColumnType::Text,
            refers_to: None,
            unique: false,
            nullable: false,
            class: Class::Ordinary,
        }
    }
    pub const fn opt_text(name: &'static str) -> Self {
        Self {
            nullable: true,
            ..Self::text(name)
        }
    }
    pub const fn int(name: &'static str) -> Self {
        Self {
            ty: ColumnType::Int,
            ..Self::text(name)
        }
    }
    pub const fn opt_int(name: &'static str) -> Self {
        Self {
            nullable: true,
            ..Self::int(name)
        }
    }
    pub const fn date(name: &'static str) -> Self {
        Self {
            ty: ColumnType::Date,
            ..Self::text(name)
        }
    }
    pub const fn opt_date(name: &'static str) -> Self {
        Self {
            nullable: true,
            ..Self::date(name)
        }
    }
    pub const fn refers(self, table: &'static str) -> Self {
        Self {
            refers_to: Some(table),
            ..self
        }
    }
    pub const fn of_type(name: &'static str, ty: ColumnType) -> Self {
        Self {
            ty,
            ..Self::text(name)
        }
    }
    pub const fn boolean(name: &'static str) -> Self {
        Self::of_type(name, ColumnType::Bool)
    }
    /// Guard the field with the policy's rules for `class`.
    pub const fn class(self, class: Class) -> Self {
        Self { class, ..self }
    }
    /// The record's translations ([`crate::translations::Translations`]):
    /// JSON, absent on records from before they existed.
    pub const fn translations() -> Self {
        Self {
            nullable: true,
            ..Self::of_type("translations", ColumnType::Json)
        }
    }
    pub const fn unique(self) -> Self {
        Self {
            unique: true,
            ..self
        }
    }
}

/// What makes two live records of one kind (in one initiative) the same thing,
/// beyond a unique column. A write that would make such a pair is refused with
/// the existing record named (see `docs/decisions/0014-duplicates.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    /// Names equal after folding case, spaces and punctuation
    /// ([`crate::validation::fold_name`]): "Lod Municipality" and "lod-municipality.".
    FoldedName(&'static str),
    /// The same text, ignoring case (an email address).
    SameText(&'static str),
    /// The same values in `same` (one person in one body) with terms from
    /// `start` to `end` (both days included; no end is open) that overlap.
    OverlappingTerm {
        same: &'static [&'static str],
        start: &'static str,
        end: &'static str,
    },
}

/// Where a kind of record lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Not inside an initiative (networks, initiatives themselves).
    Global,
    /// Belongs to one initiative (`initiative_id` column).
    Initiative,
}

/// A kind of record the generic store can keep.
pub trait Resource: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// Singular, snake_case: used in the audit log, URLs and the API.
    const KIND: &'static str;
    /// Table name.
    const TABLE: &'static str;
    const SCOPE: Scope;
    /// At most one live record of this kind per initiative (its vision).
    const ONE_PER_INITIATIVE: bool = false;
    /// Fields that take a translation into each of the initiative's languages
    /// (kept in the column [`Column::translations`]).
    const TRANSLATABLE: &'static [&'static str] = &[];
    /// What makes two live records of this kind one and the same.
    fn duplicates() -> &'static [Duplicate] {
        &[]
    }
    /// Data columns, in the order forms show them. Serialized field names equal
    /// column names.
    fn columns() -> &'static [Column];
    /// Parse submitted fields into a valid value, reporting every bad field.
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors>;
    /// The submitted-field form of this value (to prefill an edit form):
    /// translations become their form fields (`name@es`).
    fn to_fields(&self) -> FieldMap {
        let mut map = self.stored_values();
        if let Some(json) = map.remove("translations")
            && let Ok(t) = serde_json::from_str::<crate::translations::Translations>(&json)
        {
            t.to_fields(&mut map);
        }
        map
    }
    /// Every column as text, as stored (amounts in hundredths, ids as numbers).
    fn stored_values(&self) -> FieldMap {
        let mut map = FieldMap::new();
        if let Ok(serde_json::Value::Object(obj)) = serde_json::to_value(self) {
            for (k, v) in obj {
                let s = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                map.insert(k, s);
            }
        }
        map
    }
    /// A short human label (a name).
    fn label(&self) -> String;
    /// The organization this record belongs to, for the policy's rule that a
    /// partner keeps its own entries (`crate::access::decide_owned`); `id` is
    /// the record's own id when it is stored. `None`: no organization's.
    fn owner(&self, id: Option<i64>) -> Option<i64> {
        let _ = id;
        None
    }
}

/// A stored record: the resource's data plus the bookkeeping the store keeps.
#[derive(Debug, Clone, Serialize)]
pub struct Record<T> {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiative_id: Option<i64>,
    /// Increases by one on every change; an edit must name the version it started from.
    pub version: i64,
    pub archived: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[serde(flatten)]
    pub data: T,
}
