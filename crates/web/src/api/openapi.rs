//! The OpenAPI 3 document, generated from the same descriptors the handlers use
//! (each kind's columns and form widgets), so it cannot drift from the code.

use axum::Json;
use serde_json::{Map, Value, json};

use domain::partnership::{Initiative, Network};
use domain::resource::{ColumnType, Resource};

use crate::kinds::{Kind, Widget};

pub async fn document() -> Json<Value> {
    Json(build())
}

fn column_schema(ty: ColumnType, nullable: bool) -> Value {
    let mut s = match ty {
        ColumnType::Text => json!({"type": "string"}),
        ColumnType::Int => json!({"type": "integer", "format": "int64"}),
        // An optional date may also be sent empty (the same as null).
        ColumnType::Date if nullable => {
            json!({"type": "string", "pattern": "^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "a date, YYYY-MM-DD"})
        }
        ColumnType::Date => json!({"type": "string", "format": "date"}),
        ColumnType::Timestamp => json!({"type": "string", "format": "date-time"}),
        ColumnType::Decimal => json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}),
        ColumnType::Bool => json!({"type": "boolean"}),
        ColumnType::Json => json!({}),
    };
    if nullable {
        s["nullable"] = json!(true);
    }
    s
}

/// Single-line text as the server takes it: no control characters, not blank.
pub(crate) const LINE: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// Optional single-line text: no control characters.
pub(crate) const OPT_LINE: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// Multi-line text: line breaks and tabs, no other control characters.
pub(crate) const MULTI: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";
/// A URL slug (`domain::validation::is_slug`).
pub const SLUG: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";
/// An org-id identifier (`domain::validation::is_org_identifier`).
const ORG_ID: &str = "^[A-Z]{2}-[A-Z0-9]{2,12}-[A-Za-z0-9_./-]+$";
/// An email address as `domain::validation::is_email` accepts it.
const EMAIL: &str = "^[^@\\s\\u0000-\\u001f\\u007f-\\u009f]+@[^@.\\s\\u0000-\\u001f\\u007f-\\u009f]+(\\.[^@.\\s\\u0000-\\u001f\\u007f-\\u009f]+)+$";

/// The limits `domain` enforces on a field, as JSON Schema keywords (the parsers
/// are code, so this table mirrors them; the API tests and Schemathesis hold the
/// two together).
fn limits(field: &str, ty: ColumnType) -> Value {
    match (field, ty) {
        ("name" | "label" | "value" | "place" | "address" | "city" | "title", _) => {
            json!({"minLength": 1, "maxLength": 200, "pattern": LINE})
        }
        ("country", _) => json!({"minLength": 1, "maxLength": 2, "pattern": "^[A-Za-z]{2}$"}),
        ("slug", _) => json!({"minLength": 2, "maxLength": 60, "pattern": SLUG}),
        ("languages", _) => json!({"maxLength": 100, "pattern": "^[a-z]{2}(,[a-z]{2})*$"}),
        ("description" | "purpose" | "proposal" | "outcome_statement" | "notes", _) => {
            json!({"maxLength": 5000, "pattern": MULTI})
        }
        ("agenda_notice_days", _) => json!({"minimum": 0, "maximum": 60}),
        ("minutes_allotted", _) => json!({"minimum": 1, "maximum": 1440}),
        ("position", ColumnType::Int) => json!({"minimum": 1, "maximum": 1000}),
        ("quorum", _) => {
            json!({"pattern": "^\\s*([0-9]+\\s*%?)?\\s*$", "description": "a number of members (5) or a share of them (50%); empty: a majority"})
        }
        ("note", _) => json!({"maxLength": 1000, "pattern": MULTI}),
        // A survey's questions, one per line (`domain::measurement::survey`).
        ("questions", _) => json!({
            "maxLength": domain::measurement::survey::MAX_QUESTIONS_TEXT,
            "pattern": MULTI,
            "description": "one question per line: KIND [RANGE] [optional]: PROMPT | ITEM | ITEM, e.g. scale 1-5: I trust the other partners | Strongly disagree | Strongly agree; kinds single, multiple, scale, number, text; a line starting with # heads the questions after it"
        }),
        // A vision states something: at least one visible character.
        ("statement", _) => {
            json!({"minLength": 1, "maxLength": 5000, "pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"})
        }
        ("sdg", _) => {
            json!({"maxLength": 500, "pattern": "^[0-9A-Za-z., ;]*$", "description": "UN SDG target or indicator codes separated by commas, such as 4.2,4.2.1"})
        }
        ("language", _) => json!({"maxLength": 20, "pattern": "^$|^[a-z]{2,3}(-[a-z0-9]{2,8})*$"}),
        ("picks", _) => json!({"minimum": 1, "maximum": domain::agenda::records::MAX_PICKS}),
        ("source", _) => json!({"maxLength": 500, "pattern": OPT_LINE}),
        ("phone", _) => json!({"maxLength": 40, "pattern": "^[0-9 +()./-]*$"}),
        ("postal_code", _) => json!({"maxLength": 20, "pattern": OPT_LINE}),
        ("identifier", _) => json!({"maxLength": 100, "pattern": ORG_ID}),
        ("website" | "url", _) => {
            json!({"maxLength": 2000, "pattern": "^https?://[a-z0-9]+(\\.[a-z0-9]+)*(:[0-9]{1,4})?(/[A-Za-z0-9._~/-]*)?$"})
        }
        ("email", _) => json!({"maxLength": 254, "pattern": EMAIL}),
        ("stipend_currency", _) => json!({"pattern": "^[A-Z]{3}$"}),
        ("currency", _) => json!({"maxLength": 3, "pattern": "^[A-Za-z]{3}$"}),
        ("year", _) => json!({"minimum": 1800, "maximum": 2200}),
        ("cadence_min_days" | "cadence_max_days", _) => json!({"minimum": 1, "maximum": 366}),
        ("stipend_hourly_cents", _) => json!({"minimum": 0, "maximum": 100_000_000}),
        (_, ColumnType::Int) => json!({"minimum": 1}),
        _ => json!({"maxLength": 5000, "pattern": OPT_LINE}),
    }
}

/// The translations of a record (`domain::translations`): one entry per
/// language, with a text for any of the translatable fields.
fn translations_schema(fields: &[&str]) -> Value {
    let mut props = Map::new();
    props.insert(
        "language".into(),
        json!({"type": "string", "pattern": "^[a-z]{2,3}(-[a-z0-9]{2,8})*$", "description": "a language the initiative declares, such as es or he"}),
    );
    for f in fields {
        let (max, pattern) = if *f == "name" {
            (domain::validation::MAX_NAME, OPT_LINE)
        } else {
            (domain::validation::MAX_TEXT, MULTI)
        };
        props.insert(
            f.to_string(),
            json!({"type": "string", "nullable": true, "maxLength": max, "pattern": pattern}),
        );
    }
    json!({
        "type": "array",
        "nullable": true,
        "description": "the record's texts in the initiative's other languages (its main fields are in the first); left out of a PUT, they stay as they are",
        "items": {"type": "object", "properties": props, "required": ["language"], "additionalProperties": false},
    })
}

/// Schema of a kind's data, with the closed lists of codes as enums.
fn data_schema<T: Resource>(widgets: &[(&'static str, Widget)]) -> (Value, Vec<&'static str>) {
    let mut props = Map::new();
    let mut required = vec![];
    for c in T::columns() {
        if c.name == "translations" {
            props.insert(c.name.into(), translations_schema(T::TRANSLATABLE));
            continue;
        }
        let mut s = column_schema(c.ty, c.nullable);
        if let Some((_, Widget::Choice(codes, _))) = widgets.iter().find(|(n, _)| *n == c.name) {
            // The codes, and their snake_case spelling the API answers with.
            let mut all: Vec<String> = vec![];
            for c in codes() {
                for v in [c.to_string(), c.replace(' ', "_")] {
                    if !all.contains(&v) {
                        all.push(v);
                    }
                }
            }
            s["enum"] = json!(all);
        } else if c.ty != ColumnType::Date {
            for (k, v) in limits(c.name, c.ty).as_object().into_iter().flatten() {
                s[k] = v.clone();
            }
            // An optional text may also be sent empty (the same as absent).
            if c.ty == ColumnType::Text
                && s.get("minLength").is_none()
                && let Some(p) = s["pattern"].as_str()
            {
                s["pattern"] = json!(format!("^$|{p}"));
            }
        }
        if let Some(t) = c.refers_to {
            s["description"] = json!(format!("id of a {t} record"));
        }
        // Required: what the server refuses to go without (text without a
        // minimum length defaults to empty).
        // A service is active unless told otherwise; a yes/no is no unless sent.
        let defaulted = (T::KIND == "service" && c.name == "status") || c.ty == ColumnType::Bool;
        if c.ty == ColumnType::Bool {
            s["default"] = json!(false);
        }
        if !c.nullable
            && !defaulted
            && (c.ty != ColumnType::Text || s.get("minLength").is_some() || s.get("enum").is_some())
        {
            required.push(c.name);
        }
        props.insert(c.name.to_string(), s);
    }
    (json!({"type": "object", "properties": props}), required)
}

fn record_schema(data: &Value, required: &[&str], scoped: bool) -> Value {
    let mut props = data["properties"].as_object().cloned().unwrap_or_default();
    // Limits describe what the server accepts; records stored under older rules
    // are still answered as they are.
    for p in props.values_mut() {
        if let Some(o) = p.as_object_mut() {
            for k in ["pattern", "minLength", "maxLength", "minimum", "maximum"] {
                o.remove(k);
            }
        }
    }
    props.insert(
        "id".into(),
        json!({"type": "integer", "format": "int64", "readOnly": true}),
    );
    if scoped {
        props.insert(
            "initiative_id".into(),
            json!({"type": "integer", "format": "int64", "readOnly": true}),
        );
    }
    props.insert("version".into(), json!({"type": "integer", "format": "int64", "description": "Increases on every change; send it back with an update."}));
    props.insert(
        "archived".into(),
        json!({"type": "boolean", "readOnly": true}),
    );
    props.insert(
        "created_at".into(),
        json!({"type": "string", "format": "date-time", "readOnly": true}),
    );
    props.insert(
        "updated_at".into(),
        json!({"type": "string", "format": "date-time", "readOnly": true}),
    );
    let mut req: Vec<&str> = vec!["id", "version", "archived", "created_at", "updated_at"];
    req.extend(required);
    json!({"type": "object", "properties": props, "required": req})
}

fn input_schema(name: &str, data: &Value, required: &[&str], update: bool) -> Value {
    let mut props = data["properties"].as_object().cloned().unwrap_or_default();
    // A PUT carries every field (null clears an optional one); a stipend may be
    // sent as `stipend_rate` instead of `stipend_hourly_cents`.
    let all: Vec<String> = props
        .keys()
        .filter(|k| *k != "stipend_hourly_cents")
        .filter(|k| !crate::api::extract::KEPT_WHEN_ABSENT.contains(&k.as_str()))
        .cloned()
        .collect();
    let mut req: Vec<String> = if update {
        all
    } else {
        required.iter().map(|r| r.to_string()).collect()
    };
    if update {
        props.insert("version".into(), json!({"type": "integer", "format": "int64", "minimum": 1, "description": "The version this edit is based on."}));
        req.push("version".into());
    }
    if name == "Membership" {
        props.insert("stipend_rate".into(), json!({"type": "string", "pattern": "^[0-9]{1,12}(\\.[0-9]{1,2})?$", "description": "Hourly stipend as a decimal, e.g. \"25.50\" (alternative to stipend_hourly_cents)."}));
    }
    // What a GET returned may be sent back as is: these are ignored.
    for (echo, ty) in [
        ("id", json!({"type": "integer", "format": "int64"})),
        (
            "initiative_id",
            json!({"type": "integer", "format": "int64"}),
        ),
        ("archived", json!({"type": "boolean"})),
        (
            "created_at",
            json!({"type": "string", "format": "date-time"}),
        ),
        (
            "updated_at",
            json!({"type": "string", "format": "date-time"}),
        ),
    ] {
        let mut ty = ty;
        ty["readOnly"] = json!(true);
        ty["description"] = json!("read-only: ignored when sent back");
        props.insert(echo.into(), ty);
    }
    // Unknown properties are refused (422 naming them), never silently dropped.
    let mut schema = json!({"type": "object", "properties": props, "additionalProperties": false});
    // OpenAPI 3.0 forbids an empty list of required properties.
    if !req.is_empty() {
        schema["required"] = json!(req);
    }
    schema
}

pub(crate) fn op(
    summary: &str,
    tag: &str,
    params: Value,
    body: Option<&str>,
    ok: (&str, Value),
    errors: &[&str],
) -> Value {
    let mut responses = Map::new();
    // Every operation may answer: 400 (a malformed query string, path or body),
    // 401 (no valid token) and 404; those with a body also 413, 415 and 422.
    let mut errors: Vec<&str> = errors.to_vec();
    errors.extend(["400", "401", "404"]);
    if body.is_some() {
        errors.extend(["413", "415", "422"]);
    }
    errors.sort();
    errors.dedup();
    responses.insert(
        ok.0.into(),
        json!({"description": "success", "content": {"application/json": {"schema": ok.1}}}),
    );
    for e in &errors {
        responses.insert(
            (*e).into(),
            json!({"$ref": format!("#/components/responses/E{e}")}),
        );
    }
    let mut o =
        json!({"summary": summary, "tags": [tag], "parameters": params, "responses": responses});
    if let Some(b) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{b}")}}}});
    }
    o
}

/// Archive and restore take an optional body with the version they are based
/// on (a stale one is a 409).
pub(crate) fn archive_op(mut o: Value) -> Value {
    o["requestBody"] = json!({"required": false, "content": {"application/json": {"schema": {
        "type": "object",
        "properties": {"version": {"type": "integer", "format": "int64", "minimum": 1, "nullable": true}},
        "additionalProperties": false
    }}}});
    for e in ["413", "415", "422"] {
        o["responses"][e] = json!({"$ref": format!("#/components/responses/E{e}")});
    }
    o
}

pub(crate) fn list_of(name: &str) -> Value {
    json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}
    }, "required": ["items", "page", "per_page", "total"]})
}

pub(crate) fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub(crate) fn p_slug() -> Value {
    json!({"name": "slug", "in": "path", "required": true, "schema": {"type": "string", "pattern": SLUG, "minLength": 2, "maxLength": 60}})
}
pub(crate) fn p_id() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64", "minimum": 1}})
}
pub(crate) fn p_paging() -> Vec<Value> {
    vec![
        json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}}),
        json!({"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}),
        json!({"name": "archived", "in": "query", "schema": {"type": "boolean"}, "description": "include archived records"}),
    ]
}

pub struct Doc {
    pub(crate) paths: Map<String, Value>,
    pub(crate) schemas: Map<String, Value>,
}

impl Doc {
    fn add_schemas<T: Resource>(&mut self, name: &str, widgets: &[(&'static str, Widget)]) {
        let (data, required) = data_schema::<T>(widgets);
        let scoped = T::SCOPE == domain::resource::Scope::Initiative;
        self.schemas
            .insert(name.into(), record_schema(&data, &required, scoped));
        self.schemas.insert(
            format!("{name}Input"),
            input_schema(name, &data, &required, false),
        );
        self.schemas.insert(
            format!("{name}Update"),
            input_schema(name, &data, &required, true),
        );
    }

    /// The paths and schemas of one kind of registry record.
    pub fn kind<T: Kind>(&mut self) {
        let name = T::SCHEMA;
        let widgets: Vec<_> = T::fields().iter().map(|f| (f.name, f.widget)).collect();
        self.add_schemas::<T>(name, &widgets);
        let base = format!("/api/v1/initiatives/{{slug}}/{}", T::PATH);
        let mut lp = vec![p_slug()];
        lp.extend(p_paging());
        self.paths.insert(base.clone(), json!({
            "get": op(&format!("List {}", T::PATH), T::PATH, json!(lp), None, ("200", list_of(name)), &["401", "404", "422"]),
            "post": op(&format!("Create a {}", T::KIND), T::PATH, json!([p_slug()]), Some(&format!("{name}Input")), ("201", reference(name)), &["400", "401", "403", "404", "422"]),
        }));
        self.paths.insert(format!("{base}/{{id}}"), json!({
            "get": op(&format!("Get a {}", T::KIND), T::PATH, json!([p_slug(), p_id()]), None, ("200", reference(name)), &["401", "404"]),
            "put": op(&format!("Update a {} (send the version you read)", T::KIND), T::PATH, json!([p_slug(), p_id()]), Some(&format!("{name}Update")), ("200", reference(name)), &["400", "401", "403", "404", "409", "422"]),
        }));
        for action in ["archive", "restore"] {
            self.paths.insert(format!("{base}/{{id}}/{action}"), json!({
                "post": archive_op(op(&format!("{action} a {}", T::KIND), T::PATH, json!([p_slug(), p_id()]), None, ("200", reference(name)), &["401", "403", "404", "409", "422"])),
            }));
        }
        if T::MERGE {
            self.schemas.insert("MergeInput".into(), json!({"type": "object", "properties": {
                "into": {"type": "integer", "format": "int64", "minimum": 1, "description": "the record to keep"}
            }, "required": ["into"], "additionalProperties": false}));
            self.schemas.insert(
                "Merged".into(),
                json!({"type": "object", "properties": {
                "into": {"type": "integer", "format": "int64"},
                "moved": {"type": "array", "items": {"type": "object", "properties": {
                    "table": {"type": "string"}, "rows": {"type": "integer"}
                }, "required": ["table", "rows"]}}
            }, "required": ["into", "moved"]}),
            );
            self.paths.insert(format!("{base}/{{id}}/merge"), json!({
                "post": op(&format!("Merge a {} into another that is the same (coordinators): every reference moves to the kept one, this one is archived", T::KIND), T::PATH, json!([p_slug(), p_id()]), Some("MergeInput"), ("200", reference("Merged")), &["400", "401", "403", "404", "422"]),
            }));
        }
        if !crate::access::contact_fields::<T>().is_empty() {
            self.paths.insert(format!("{base}/{{id}}/erase"), json!({
                "post": op(&format!("Erase the contact details of a {} for good, also from the audit log's values (coordinators)", T::KIND), T::PATH, json!([p_slug(), p_id()]), None, ("200", reference(name)), &["401", "403", "404"]),
            }));
        }
    }
}

/// The agenda's own routes: a round's ideas, ballots, results and systems map,
/// members' suggestions and their moderation.
fn agenda(d: &mut Doc) {
    let id = json!({"type": "integer", "format": "int64"});
    let ids =
        json!({"type": "array", "items": {"type": "integer", "format": "int64", "minimum": 1}});
    d.schemas.insert(
        "IdeaIds".into(),
        json!({"type": "object", "properties": {"idea_ids": ids}, "required": ["idea_ids"], "additionalProperties": false}),
    );
    let answer = json!({"type": "object", "properties": {
        "from": id, "to": id, "influences": {"type": "boolean"}
    }, "required": ["from", "to", "influences"]});
    d.schemas.insert("MapAnswerInput".into(), json!({"type": "object", "properties": {
        "from": {"type": "integer", "format": "int64", "minimum": 1, "description": "id of an idea of the round"},
        "to": {"type": "integer", "format": "int64", "minimum": 1, "description": "id of another idea of the round"},
        "influences": {"type": "boolean", "nullable": true, "description": "would progress on `from` significantly help progress on `to`? null withdraws the answer"}
    }, "required": ["from", "to", "influences"], "additionalProperties": false}));
    d.schemas.insert("IdeaSuggestion".into(), json!({"type": "object", "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": domain::agenda::records::MAX_IDEA_TITLE, "pattern": LINE},
        "description": {"type": "string", "nullable": true, "maxLength": domain::agenda::records::MAX_IDEA_TEXT, "pattern": MULTI},
        "language": {"type": "string", "nullable": true, "maxLength": 20, "pattern": "^[a-z]{2,3}(-[a-z0-9]{2,8})*$", "description": "the language it is written in; the initiative's first language when left out"}
    }, "required": ["title"], "additionalProperties": false}));
    let statuses: Vec<&str> = domain::agenda::IdeaStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    d.schemas.insert(
        "IdeaModeration".into(),
        json!({"type": "object", "properties": {
        "status": {"type": "string", "enum": statuses}
    }, "required": ["status"], "additionalProperties": false}),
    );
    let count = json!({"type": "integer", "minimum": 0});
    d.schemas.insert("RoundResults".into(), json!({"type": "object", "properties": {
        "round": id, "picks": {"type": "integer"}, "ballots": count,
        "ideas": {"type": "array", "description": "most votes first", "items": {"type": "object", "properties": {
            "id": id, "title": {"type": "string"}, "votes": count
        }, "required": ["id", "title", "votes"]}}
    }, "required": ["round", "picks", "ballots", "ideas"]}));
    let quadrants: Vec<&str> = domain::agenda::systems_map::Quadrant::ALL
        .iter()
        .map(|q| q.as_str())
        .collect();
    let pair =
        json!({"type": "object", "properties": {"from": id, "to": id}, "required": ["from", "to"]});
    let mut next = pair.clone();
    next["nullable"] = json!(true);
    next["description"] = json!(
        "the question to ask next: would progress on `from` significantly help progress on `to`? null once every pair is known"
    );
    d.schemas.insert("SystemsMap".into(), json!({"type": "object", "properties": {
        "nodes": {"type": "array", "items": {"type": "object", "properties": {
            "id": id, "title": {"type": "string"},
            "level": {"type": "integer", "description": "1 is the top: outcomes that help no other idea"},
            "driving_power": count, "dependence": count,
            "quadrant": {"type": "string", "enum": quadrants},
            "votes": count
        }, "required": ["id", "title", "level", "driving_power", "dependence", "quadrant", "votes"]}},
        "answers": {"type": "array", "items": answer.clone(), "description": "what members answered (not what was inferred)"},
        "progress": {"type": "object", "properties": {
            "next": next, "asked": count, "total_pairs": count, "inferred": count, "complete": {"type": "boolean"}
        }, "required": ["next", "asked", "total_pairs", "inferred", "complete"]}
    }, "required": ["nodes", "answers", "progress"]}));
    let refused = json!({"description": "invalid fields, or an answer the round's earlier answers contradict: then `error` is `contradiction` and `contradiction.because` names the earlier answers that imply the opposite", "content": {"application/json": {"schema": {
        "type": "object", "properties": {
            "error": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "contradiction": {"type": "object", "properties": {
                "from": id, "to": id, "influences": {"type": "boolean"},
                "because": {"type": "array", "items": answer}
            }, "required": ["from", "to", "influences", "because"]}
        }, "required": ["error", "message"]}}}});
    let base = "/api/v1/initiatives/{slug}/rounds/{id}";
    let at = || json!([p_slug(), p_id()]);
    let read = &["401", "404"];
    let write = &["400", "401", "403", "404", "422"];
    d.paths.insert(format!("{base}/ideas"), json!({
        "get": op("The ideas of a round, in the round's order", "rounds", at(), None, ("200", reference("IdeaIds")), read),
        "put": op("Set the ideas of a round: accepted ideas only, before any ballot or map answer (coordinators)", "rounds", at(), Some("IdeaIds"), ("200", reference("IdeaIds")), write),
    }));
    d.paths.insert(format!("{base}/ballot"), json!({
        "get": op("Your own ballot in a round (empty when you have not voted)", "rounds", at(), None, ("200", reference("IdeaIds")), read),
        "put": op("Cast or replace your ballot: at most the round's `picks` distinct ideas of the round, while it is open", "rounds", at(), Some("IdeaIds"), ("200", reference("IdeaIds")), write),
    }));
    d.paths.insert(format!("{base}/results"), json!({
        "get": op("The votes of a round, most first", "rounds", at(), None, ("200", reference("RoundResults")), read),
    }));
    d.paths.insert(format!("{base}/systems-map"), json!({
        "get": op("The systems map of a round: each idea's level, driving power and dependence, the answers given and the next question", "rounds", at(), None, ("200", reference("SystemsMap")), read),
    }));
    let mut answer_op = op(
        "Answer, revise or withdraw (null) one question of a round's systems map; refused when earlier answers imply the opposite",
        "rounds",
        at(),
        Some("MapAnswerInput"),
        ("200", reference("SystemsMap")),
        write,
    );
    answer_op["responses"]["422"] = refused;
    d.paths.insert(
        format!("{base}/systems-map/answers"),
        json!({ "post": answer_op }),
    );
    let ideas = "/api/v1/initiatives/{slug}/ideas";
    d.paths.insert(format!("{ideas}/suggestions"), json!({
        "post": op("Suggest an idea: it waits for moderation (status submitted, source member)", "ideas", json!([p_slug()]), Some("IdeaSuggestion"), ("201", reference("Idea")), write),
    }));
    d.paths.insert(format!("{ideas}/{{id}}/moderation"), json!({
        "post": op("Accept or reject an idea, or send it back to the queue (coordinators)", "ideas", at(), Some("IdeaModeration"), ("200", reference("Idea")), &["400", "401", "403", "404", "409", "422"]),
    }));
}

/// Surveys' own routes: questions as data, answering, results, feeding an
/// indicator, the partnership-health template.
fn surveys(d: &mut Doc) {
    use domain::measurement::survey::{QuestionKind, RuleKind};
    let id = json!({"type": "integer", "format": "int64"});
    let count = json!({"type": "integer", "minimum": 0});
    let decimal = json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "nullable": true});
    let kinds: Vec<&str> = QuestionKind::ALL.iter().map(|k| k.as_str()).collect();
    let question = json!({"type": "object", "properties": {
        "number": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "enum": kinds},
        "prompt": {"type": "string"},
        "required": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "string"}, "description": "the choices; a scale's labels (none, its two ends, or one per point)"},
        "min": {"type": "integer", "nullable": true},
        "max": {"type": "integer", "nullable": true},
        "section": {"type": "string"}
    }, "required": ["number", "kind", "prompt", "required", "items", "min", "max"]});
    d.schemas.insert("SurveyQuestions".into(), json!({"type": "object", "properties": {
        "survey": id, "title": {"type": "string"},
        "audience": {"type": "string", "enum": ["public", "members"]},
        "status": {"type": "string", "enum": ["draft", "open", "closed"]},
        "phase": {"type": "string", "enum": ["draft", "upcoming", "open", "closed"], "description": "whether it takes answers today"},
        "archived": {"type": "boolean"},
        "opens_on": {"type": "string", "format": "date", "nullable": true},
        "closes_on": {"type": "string", "format": "date", "nullable": true},
        "public_url": {"type": "string", "nullable": true, "description": "the form anyone answers without an account (public surveys)"},
        "answered": {"type": "boolean", "nullable": true, "description": "whether you answered (members-only surveys)"},
        "questions": {"type": "array", "items": question}
    }, "required": ["survey", "title", "audience", "status", "phase", "archived", "opens_on", "closes_on", "public_url", "answered", "questions"]}));
    d.schemas.insert("SurveyResponseInput".into(), json!({"type": "object", "properties": {
        "answers": {"type": "object", "description": "question number → answer: a choice's text, a list of choices (multiple), a scale point, a number (or its decimal string), a text; null or absent for an optional question left out",
            "additionalProperties": {"nullable": true, "oneOf": [
                {"type": "string"}, {"type": "number"}, {"type": "array", "items": {"type": "string"}}
            ]}}
    }, "required": ["answers"], "additionalProperties": false}));
    d.schemas.insert(
        "SurveyResponseCreated".into(),
        json!({"type": "object", "properties": {
        "id": id, "survey": id
    }, "required": ["id", "survey"]}),
    );
    d.schemas.insert("SurveyResults".into(), json!({"type": "object", "properties": {
        "survey": id,
        "responses": count,
        "shown": {"type": "boolean", "description": "false while fewer than min_responses_shown responses arrived, for those who may not see small counts (everyone but coordinators)"},
        "min_responses_shown": {"type": "integer"},
        "questions": {"type": "array", "items": {"type": "object", "properties": {
            "number": {"type": "integer"}, "kind": {"type": "string", "enum": kinds}, "prompt": {"type": "string"},
            "answered": count,
            "counts": {"type": "array", "items": {"type": "object", "properties": {
                "answer": {"type": "string"}, "label": {"type": "string", "nullable": true}, "count": count,
                "share": {"type": "string", "nullable": true, "description": "100 × count ÷ answered, six decimals at most"}
            }, "required": ["answer", "label", "count", "share"]}},
            "mean": decimal.clone(), "min": decimal.clone(), "max": decimal,
            "stale": {"type": "integer", "description": "stored answers that no longer fit the question (edited since)"},
            "texts": {"type": "array", "items": {"type": "string"}, "description": "text answers (coordinators only)"}
        }, "required": ["number", "kind", "prompt", "answered", "counts", "mean", "min", "max", "stale"]}}
    }, "required": ["survey", "responses", "shown", "min_responses_shown", "questions"]}));
    let rules: Vec<&str> = RuleKind::ALL.iter().map(|r| r.as_str()).collect();
    d.schemas.insert("SurveyFeedInput".into(), json!({"type": "object", "properties": {
        "question": {"type": "integer", "minimum": 1},
        "rule": {"type": "string", "enum": rules, "description": "share_at_least / share_at_most: % of answers to a scale at or above / below `point`; share_of: % choosing `choice`; mean: of a scale or number; count: answers"},
        "point": {"type": "integer", "nullable": true},
        "choice": {"type": "string", "nullable": true, "maxLength": 200},
        "indicator_id": {"type": "integer", "format": "int64", "minimum": 1},
        "period": {"type": "string", "maxLength": 20, "description": "a period of the indicator's frequency: 2025-W07, 2025-02, 2025Q1 or 2025"}
    }, "required": ["question", "rule", "indicator_id", "period"], "additionalProperties": false}));
    d.schemas.insert("SurveyFed".into(), json!({"type": "object", "properties": {
        "value": {"type": "string"}, "indicator_id": id, "period": {"type": "string"},
        "batch_id": {"type": "integer", "format": "int64", "nullable": true, "description": "null when the indicator held this value already"},
        "added": count, "changed": count, "unchanged": count
    }, "required": ["value", "indicator_id", "period", "batch_id", "added", "changed", "unchanged"]}));
    d.schemas.insert(
        "SurveyTemplateInput".into(),
        json!({"type": "object", "properties": {
        "language": {"type": "string", "enum": ["en", "es", "he"], "description": "the language of its texts; English when left out"}
    }, "additionalProperties": false}),
    );
    let base = "/api/v1/initiatives/{slug}/surveys";
    let at = || json!([p_slug(), p_id()]);
    let read = &["401", "404"];
    let write = &["400", "401", "403", "404", "422"];
    d.paths.insert(format!("{base}/{{id}}/questions"), json!({
        "get": op("A survey's questions as data, whether it takes answers today and whether you answered", "surveys", at(), None, ("200", reference("SurveyQuestions")), read),
    }));
    d.paths.insert(format!("{base}/{{id}}/responses"), json!({
        "post": op("Answer a members-only survey, once (a second answer is refused: already_answered)", "surveys", at(), Some("SurveyResponseInput"), ("201", reference("SurveyResponseCreated")), write),
    }));
    d.paths.insert(format!("{base}/{{id}}/results"), json!({
        "get": op("A survey's results: counts, shares and means; text answers for coordinators", "surveys", at(), None, ("200", reference("SurveyResults")), read),
    }));
    d.paths.insert(format!("{base}/{{id}}/feed"), json!({
        "post": op("Write the value a question's results give into an indicator for a period (coordinators)", "surveys", at(), Some("SurveyFeedInput"), ("200", reference("SurveyFed")), write),
    }));
    d.paths.insert(format!("{base}/templates/partnership-health"), json!({
        "post": op("Create the partnership-health survey (trust, communication, shared agenda) as a members-only draft (coordinators)", "surveys", json!([p_slug()]), Some("SurveyTemplateInput"), ("201", reference("Survey")), write),
    }));
}

/// Shared measurement: values in and out, the values template, an
/// indicator's report, period locks and a network's rollup.
fn measurement(d: &mut Doc) {
    let int = json!({"type": "integer", "format": "int64"});
    let number = json!({"type": "number", "nullable": true});
    let subgroup = json!({"type": "object", "nullable": true, "additionalProperties": {"type": "string", "nullable": true},
        "description": "one option of every category of the indicator (e.g. {\"sex\": \"F\"}); empty or null for the total"});
    d.schemas.insert("ValueInput".into(), json!({"type": "object", "properties": {
        "indicator": {"type": "string", "description": "the indicator's code"},
        "period": {"type": "string", "description": "2025-W07, 2025-02, 2025Q1 or 2025, as the indicator's frequency"},
        "value": {"oneOf": [{"type": "string"}, {"type": "number"}], "description": "a decimal with at most 6 decimals, as a string (\"12.5\", exact) or a number"},
        "partner": {"type": "integer", "format": "int64", "nullable": true, "description": "id of the reporting organization of the initiative; null for none"},
        "subgroup": subgroup,
        "comment": {"type": "string", "nullable": true, "maxLength": domain::measurement::import::MAX_COMMENT}
    }, "required": ["indicator", "period", "value"], "additionalProperties": false}));
    d.schemas.insert(
        "ValuesInput".into(),
        json!({"type": "object", "properties": {
        "values": {"type": "array", "minItems": 1, "items": reference("ValueInput")}
    }, "required": ["values"], "additionalProperties": false}),
    );
    d.schemas.insert("BatchReport".into(), json!({"type": "object", "properties": {
        "batch_id": {"type": "integer", "format": "int64", "nullable": true, "description": "null when nothing changed (no batch is recorded)"},
        "added": {"type": "integer", "minimum": 0},
        "changed": {"type": "integer", "minimum": 0, "description": "values replaced (the earlier value stays in the history)"},
        "unchanged": {"type": "integer", "minimum": 0}
    }, "required": ["batch_id", "added", "changed", "unchanged"]}));
    d.schemas.insert("StoredValue".into(), json!({"type": "object", "properties": {
        "id": int, "indicator": {"type": "string"}, "period": {"type": "string"},
        "value": number, "partner": {"type": "integer", "format": "int64", "nullable": true},
        "subgroup": {"type": "object", "additionalProperties": {"type": "string"}},
        "comment": {"type": "string"},
        "recorded_at": {"type": "string", "format": "date-time"},
        "batch_id": int,
        "suppressed": {"type": "boolean", "description": "a subgroup cell of fewer than 10 people, hidden (value null) from those who may not see small cells"}
    }, "required": ["id", "indicator", "period", "value", "partner", "subgroup", "comment", "recorded_at", "batch_id", "suppressed"]}));
    d.schemas.insert("ValuePage".into(), json!({"type": "object", "properties": {
        "items": {"type": "array", "items": reference("StoredValue")},
        "next_after": {"type": "integer", "format": "int64", "nullable": true, "description": "pass as `after` for the next page; null on the last page"}
    }, "required": ["items", "next_after"]}));
    d.schemas.insert(
        "ReportRow".into(),
        json!({"type": "object", "properties": {
        "period": {"type": "string"}, "value": number, "target": number,
        "variance_to_target": number, "outlier": {"type": "boolean"}
    }, "required": ["period", "value", "target", "variance_to_target", "outlier"]}),
    );
    d.schemas.insert("Rollup".into(), json!({"type": "object", "properties": {
        "sites": {"type": "array", "items": {"type": "object", "properties": {
            "initiative": {"type": "string", "description": "the initiative's slug"}, "value": number
        }, "required": ["initiative", "value"]}},
        "total": number
    }, "required": ["sites", "total"]}));
    d.schemas.insert(
        "PeriodLock".into(),
        json!({"type": "object", "properties": {
        "period": {"type": "string"}, "locked": {"type": "boolean"}
    }, "required": ["period", "locked"]}),
    );
    let refused = json!({"description": "rows refused, each with its row (the item's position from 1, or the file's row; 1 is a file's header) and column; nothing was written. Other invalid input names its fields as usual", "content": {"application/json": {"schema": {
        "type": "object", "properties": {
            "error": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "row": {"type": "integer"}, "column": {"type": "string"}, "reason": {"type": "string"}
            }, "required": ["row", "column", "reason"]}}
        }, "required": ["error", "message"]}}}});
    let base = "/api/v1/initiatives/{slug}";
    // Paths and queries with control characters are refused (400) before
    // anything else.
    let text = || json!({"type": "string", "pattern": OPT_LINE});
    let word = || json!({"type": "string", "minLength": 1, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"});
    let code = json!({"name": "indicator", "in": "query", "schema": text(), "description": "an indicator's code"});
    let mut post = op(
        "Report values (partners and coordinators): all of them in one batch, or none",
        "values",
        json!([p_slug()]),
        Some("ValuesInput"),
        ("200", reference("BatchReport")),
        &["400", "401", "403", "404", "422"],
    );
    post["responses"]["422"] = refused.clone();
    d.paths.insert(format!("{base}/values"), json!({
        "get": op("Stored values in id order, a page at a time (keyset: pass next_after as after)", "values", json!([p_slug(), code,
            {"name": "after", "in": "query", "schema": {"type": "integer", "format": "int64", "minimum": 0}, "description": "the last id of the previous page"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": super::measurement::MAX_PAGE}}]),
            None, ("200", reference("ValuePage")), &["401", "404", "422"]),
        "post": post,
    }));
    let mut import = op(
        "Import a values file (CSV or XLSX, sent as the body or as the part file of a form): every row checked, then all written in one batch, or none (partners and coordinators)",
        "values",
        json!([p_slug(), {"name": "file_name", "in": "query", "schema": {"type": "string", "maxLength": 255, "pattern": OPT_LINE}, "description": "the file's name, recorded with the batch"}]),
        None,
        ("200", reference("BatchReport")),
        &["400", "401", "403", "404", "413", "415"],
    );
    import["requestBody"] = json!({"required": true, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary", "description": "the CSV or XLSX file (its name is recorded unless file_name is given)"}
        }, "required": ["file"], "additionalProperties": false}}
    }});
    import["responses"]["413"] = json!({"description": format!("the file is larger than {} MiB", super::measurement::MAX_FILE / 1024 / 1024), "content": {"application/json": {"schema": reference("Error")}}});
    import["responses"]["422"] = refused;
    d.paths
        .insert(format!("{base}/values/import"), json!({ "post": import }));
    let mut template = op(
        "The header of a values file: indicator,period,value,partner,comment and one column per disaggregation category",
        "values",
        json!([p_slug(), code]),
        None,
        ("200", json!({})),
        &["401", "404"],
    );
    template["responses"]["200"] = json!({"description": "a CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}});
    d.paths.insert(
        format!("{base}/values/template.csv"),
        json!({ "get": template }),
    );
    let period = |name: &str, what: &str| json!({"name": name, "in": "query", "schema": text(), "description": what});
    d.paths.insert(format!("{base}/indicators/{{id}}/report"), json!({
        "get": op("An indicator's totals by period with target, variance to target and outlier flag (as `backbone report indicator`)", "values",
            json!([p_slug(), {"name": "id", "in": "path", "required": true, "schema": word(), "description": "the indicator's code (or id)"},
                period("from", "first period (default: the first with a total)"), period("to", "last period (default: the last with a total)")]),
            None, ("200", json!({"type": "array", "items": reference("ReportRow")})), &["401", "404", "422"]),
    }));
    for (action, what) in [
        (
            "lock",
            "Lock a period after approval: its values can no longer change (coordinators)",
        ),
        ("unlock", "Unlock a period (coordinators)"),
    ] {
        d.paths.insert(format!("{base}/periods/{{period}}/{action}"), json!({
            "post": op(what, "values", json!([p_slug(), {"name": "period", "in": "path", "required": true, "schema": word(), "description": "2025-W07, 2025-02, 2025Q1 or 2025"}]),
                None, ("200", reference("PeriodLock")), &["401", "403", "404", "422"]),
        }));
    }
    d.paths.insert("/api/v1/networks/{id}/rollup".into(), json!({
        "get": op("One indicator across a network's initiatives for one period: each site's total and the network's (as `backbone report rollup`); for those who may see every initiative it lists", "networks",
            json!([{"name": "id", "in": "path", "required": true, "schema": word(), "description": "the network's slug or id"},
                {"name": "indicator", "in": "query", "required": true, "schema": word(), "description": "the indicator's code, matched across the initiatives"},
                {"name": "period", "in": "query", "required": true, "schema": word()}]),
            None, ("200", reference("Rollup")), &["401", "403", "404", "422"]),
    }));
}

/// The open book: ledger entries in and out, reversals, budget against actual.
fn ledger(d: &mut Doc) {
    let int = json!({"type": "integer", "format": "int64"});
    let opt_int = json!({"type": "integer", "format": "int64", "nullable": true});
    let minor = json!({"type": "integer", "format": "int64", "description": "integer minor units (agorot, pence, cents)"});
    let text = json!({"type": "string", "maxLength": domain::funding::ledger::MAX_REFERENCE, "nullable": true});
    d.schemas.insert("LedgerEntryInput".into(), json!({"type": "object", "properties": {
        "entry_date": {"type": "string", "format": "date"},
        "kind": {"type": "string", "enum": ["income", "expense"]},
        "amount_minor": {"type": "integer", "format": "int64", "minimum": 1, "description": "more than zero, in minor units; or give amount"},
        "amount": {"type": "string", "description": "a decimal in major units (\"1200.50\"), instead of amount_minor"},
        "currency": {"type": "string", "description": "ISO 4217 code; must match the budget line's and the commitment's"},
        "funder_id": opt_int, "payer": text, "payee": text,
        "budget_line_id": {"type": "integer", "format": "int64", "nullable": true, "description": "expenses only; the line's year must be the entry's"},
        "commitment_id": {"type": "integer", "format": "int64", "nullable": true, "description": "the entry must fall within the commitment's period and name its funder"},
        "reference": text, "attachment": text
    }, "required": ["entry_date", "kind", "currency"], "additionalProperties": false}));
    d.schemas.insert("LedgerInput".into(), json!({"oneOf": [
        reference("LedgerEntryInput"),
        {"type": "object", "properties": {"entries": {"type": "array", "minItems": 1, "maxItems": super::funding::MAX_BATCH, "items": reference("LedgerEntryInput")}}, "required": ["entries"], "additionalProperties": false}
    ]}));
    d.schemas.insert("LedgerEntry".into(), json!({"type": "object", "properties": {
        "id": int, "entry_date": {"type": "string", "format": "date"}, "kind": {"type": "string", "enum": ["income", "expense"]},
        "amount_minor": minor, "currency": {"type": "string"}, "funder_id": opt_int,
        "payer": {"type": "string"}, "payee": {"type": "string"}, "budget_line_id": opt_int, "commitment_id": opt_int,
        "reference": {"type": "string"}, "attachment": {"type": "string"},
        "reverses": opt_int, "reversed_by": opt_int, "recorded_by": opt_int,
        "recorded_at": {"type": "string", "format": "date-time"}, "batch_id": int
    }, "required": ["id", "entry_date", "kind", "amount_minor", "currency", "reverses", "reversed_by", "batch_id"]}));
    d.schemas.insert("LedgerPage".into(), json!({"type": "object", "properties": {
        "items": {"type": "array", "items": reference("LedgerEntry")},
        "next_after": {"type": "integer", "format": "int64", "nullable": true, "description": "pass as `after` for the next page; null on the last page"}
    }, "required": ["items", "next_after"]}));
    d.schemas.insert("LedgerWritten".into(), json!({"type": "object", "properties": {
        "batch_id": int, "count": {"type": "integer"},
        "totals": {"type": "object", "additionalProperties": minor, "description": "per currency, the sum written"},
        "entries": {"type": "array", "items": reference("LedgerEntry")}
    }, "required": ["batch_id", "count", "totals", "entries"]}));
    let row = json!({"type": "object", "properties": {
        "id": opt_int, "name": {"type": "string"}, "currency": {"type": "string"},
        "budget_minor": minor, "actual_minor": minor, "difference_minor": minor,
        "share_spent_bp": {"type": "integer", "format": "int64", "nullable": true, "description": "actual / budget in basis points (10000 = all); null for a zero budget"}
    }, "required": ["id", "name", "currency", "budget_minor", "actual_minor", "difference_minor", "share_spent_bp"]});
    let rows = json!({"type": "array", "items": row});
    d.schemas.insert("BudgetVsActual".into(), json!({"type": "object", "properties": {
        "year": {"type": "integer"}, "lines": rows, "funders": rows, "objectives": rows, "currencies": rows
    }, "required": ["year", "lines", "funders", "objectives", "currencies"]}));
    let base = "/api/v1/initiatives/{slug}";
    d.paths.insert(format!("{base}/ledger"), json!({
        "get": op("Ledger entries in id order, a page at a time (keyset: pass next_after as after); everyone with a role in the initiative", "ledger", json!([p_slug(),
            {"name": "after", "in": "query", "schema": {"type": "integer", "format": "int64", "minimum": 0}, "description": "the last id of the previous page"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": super::funding::MAX_PAGE}}]),
            None, ("200", reference("LedgerPage")), &["401", "404", "422"]),
        "post": op("Add one entry, or a batch as {\"entries\": [...]}: all written in one batch, or none; errors name the field (entries[i].field in a batch) (coordinators)", "ledger", json!([p_slug()]),
            Some("LedgerInput"), ("201", reference("LedgerWritten")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/ledger/{{id}}/reverse"), json!({
        "post": op("Reverse an entry: a new entry with the opposite amount, the same date, line, funder and commitment. An entry is reversed once; a reversal is never reversed (422) (coordinators)", "ledger",
            json!([p_slug(), p_id()]), None, ("201", reference("LedgerEntry")), &["401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/budget"), json!({
        "get": op("Budget against actual for a year, per budget line, funder, objective and currency (never summed across currencies)", "ledger",
            json!([p_slug(), {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 1900, "maximum": 2200}, "description": "default: this year"}]),
            None, ("200", reference("BudgetVsActual")), &["401", "404", "422"]),
    }));
}

pub fn build() -> Value {
    let mut d = Doc {
        paths: Map::new(),
        schemas: Map::new(),
    };
    for k in crate::kinds::KINDS {
        (k.openapi)(&mut d);
    }
    d.add_schemas::<Network>("Network", &[]);
    d.add_schemas::<Initiative>("Initiative", &[]);
    let mut lp = p_paging();
    d.paths.insert("/api/v1/networks".into(), json!({
        "get": op("List networks", "networks", json!(lp.clone()), None, ("200", list_of("Network")), &["401", "422"]),
        "post": op("Create a network (admin)", "networks", json!([]), Some("NetworkInput"), ("201", reference("Network")), &["400", "401", "403", "422"]),
    }));
    d.paths.insert("/api/v1/networks/{id}".into(), json!({
        "get": op("Get a network", "networks", json!([p_id()]), None, ("200", reference("Network")), &["401", "404"]),
        "put": op("Update a network (admin)", "networks", json!([p_id()]), Some("NetworkUpdate"), ("200", reference("Network")), &["400", "401", "403", "404", "409", "422"]),
    }));
    d.paths.insert("/api/v1/networks/{id}/archive".into(), json!({
        "post": archive_op(op("Archive a network (admin)", "networks", json!([p_id()]), None, ("200", reference("Network")), &["401", "403", "404", "409", "422"])),
    }));
    d.paths.insert("/api/v1/networks/{id}/restore".into(), json!({
        "post": archive_op(op("Restore an archived network (admin)", "networks", json!([p_id()]), None, ("200", reference("Network")), &["401", "403", "404", "409", "422"])),
    }));
    d.paths.insert("/api/v1/initiatives".into(), json!({
        "get": op("List the initiatives you can see", "initiatives", json!(lp.split_off(0)), None, ("200", list_of("Initiative")), &["401", "422"]),
        "post": op("Create an initiative (admin)", "initiatives", json!([]), Some("InitiativeInput"), ("201", reference("Initiative")), &["400", "401", "403", "422"]),
    }));
    d.paths.insert("/api/v1/initiatives/{slug}".into(), json!({
        "get": op("Get an initiative", "initiatives", json!([p_slug()]), None, ("200", reference("Initiative")), &["401", "404"]),
        "put": op("Update an initiative", "initiatives", json!([p_slug()]), Some("InitiativeUpdate"), ("200", reference("Initiative")), &["400", "401", "403", "404", "409", "422"]),
    }));
    d.paths.insert("/api/v1/initiatives/{slug}/archive".into(), json!({
        "post": archive_op(op("Archive an initiative (admin)", "initiatives", json!([p_slug()]), None, ("200", reference("Initiative")), &["401", "403", "404", "409", "422"])),
    }));
    d.paths.insert("/api/v1/initiatives/{slug}/restore".into(), json!({
        "post": archive_op(op("Restore an archived initiative (admin)", "initiatives", json!([p_slug()]), None, ("200", reference("Initiative")), &["401", "403", "404", "409", "422"])),
    }));
    let any = json!({"type": "object"});
    d.paths.insert("/api/v1/initiatives/{slug}/table".into(), json!({
        "get": op("Who is at the table: current members of each body by sector, and missing sectors", "initiatives", json!([p_slug()]), None, ("200", any.clone()), &["401", "404"]),
    }));
    d.paths.insert("/api/v1/initiatives/{slug}/audit".into(), json!({
        "get": op("The audit log of an initiative, newest first (coordinators)", "initiatives", json!([p_slug(),
            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": crate::kinds::audit_kinds()}},
            {"name": "record_id", "in": "query", "schema": {"type": "integer", "format": "int64"}},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}]), None, ("200", any.clone()), &["401", "403", "404", "422"]),
    }));
    d.paths.insert("/api/v1/initiatives/{slug}/hsds".into(), json!({
        "get": op("Services directory as Open Referral HSDS 3.0 (organizations, services, service_at_locations)", "initiatives", json!([p_slug()]), None, ("200", any.clone()), &["401", "404"]),
    }));
    agenda(&mut d);
    surveys(&mut d);
    measurement(&mut d);
    funding_transitions(&mut d);
    ledger(&mut d);
    fund(&mut d);
    super::meetings::openapi(&mut d);
    super::meeting_room::openapi(&mut d);
    super::decisions::openapi(&mut d);
    super::cases::openapi(&mut d);
    super::cases_import::openapi(&mut d);
    super::referrals::openapi(&mut d);
    d.paths.insert(
        "/api/v1/me".into(),
        json!({
            "get": op("The calling user", "accounts", json!([]), None, ("200", any), &["401"]),
        }),
    );
    let error = json!({"type": "object", "properties": {
        "error": {"type": "string", "description": "stable snake_case code"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}, "description": "field name → what is wrong with it"},
        "current": {"type": "object", "description": "on 409: the record as it is now"},
        "existing": {"type": "object", "description": "on 422: field name → the live record the write would duplicate",
            "additionalProperties": {"type": "object", "properties": {
                "kind": {"type": "string"}, "id": {"type": "integer"}, "name": {"type": "string"}
            }, "required": ["kind", "id", "name"]}}
    }, "required": ["error", "message"]});
    d.schemas.insert("Error".into(), error);
    let mut responses = Map::new();
    for (code, text) in [
        (
            "400",
            "bad request: a malformed query string or body, or control characters in the path or query",
        ),
        ("401", "no valid session or bearer token"),
        ("403", "not allowed"),
        ("404", "not found (or not yours to see)"),
        (
            "409",
            "stale version: someone else changed it; `current` holds their values",
        ),
        ("413", "the body is larger than 1 MiB"),
        ("415", "the body is not sent as application/json"),
        (
            "422",
            "invalid fields; `fields` names each (also a body that is JSON of the wrong shape)",
        ),
    ] {
        responses.insert(format!("E{code}"), json!({"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Backbone API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "The partnership registry of a collective impact initiative. Authenticate with `Authorization: Bearer <token>` (create one with `backbone token create --email E`)."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": d.paths,
        "components": {
            "schemas": d.schemas,
            "responses": responses,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

/// Funding transitions: the report and one cost item's schedule.
fn funding_transitions(d: &mut Doc) {
    let int = json!({"type": "integer", "format": "int64"});
    d.schemas.insert("TransitionsReport".into(), json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "currency": {"type": "string"},
            "years": {"type": "array", "items": {"type": "object", "properties": {
                "year": {"type": "integer"}, "cost_minor": int,
                "public_share": {"type": "number", "minimum": 0, "maximum": 1, "description": "public funders' planned amounts over the cost (their shares when the cost is 0)"},
                "funders": {"type": "array", "items": {"type": "object", "properties": {
                    "funder": {"type": "string"}, "public": {"type": "boolean"}, "amount_minor": int
                }, "required": ["funder", "public", "amount_minor"]}}
            }, "required": ["year", "cost_minor", "public_share", "funders"]}}
        }, "required": ["name", "currency", "years"]}}
    }, "required": ["items"]}));
    d.schemas.insert("ScheduleInput".into(), json!({"type": "object", "properties": {
        "years": {"type": "array", "maxItems": domain::funding::transitions::MAX_YEARS, "items": {"type": "object", "properties": {
            "year": {"type": "integer", "minimum": domain::funding::transitions::FIRST_YEAR, "maximum": domain::funding::transitions::LAST_YEAR},
            "cost_minor": {"type": "integer", "format": "int64", "minimum": 0, "description": "the item's cost that year, in minor units of its currency"},
            "shares": {"type": "array", "items": {"type": "object", "properties": {
                "funder_id": int, "share_bp": {"type": "integer", "minimum": 0, "maximum": 10000, "description": "basis points: 10000 is 100%"}
            }, "required": ["funder_id", "share_bp"], "additionalProperties": false}}
        }, "required": ["year", "cost_minor"], "additionalProperties": false}}
    }, "required": ["years"], "additionalProperties": false}));
    d.schemas.insert(
        "Schedule".into(),
        json!({"type": "object", "properties": {
        "cost_item_id": int, "name": {"type": "string"}, "currency": {"type": "string"},
        "years": {"type": "array", "items": {"type": "object", "properties": {
            "year": {"type": "integer"}, "cost_minor": int, "public_share": {"type": "number"},
            "shares": {"type": "array", "items": {"type": "object", "properties": {
                "funder_id": int, "funder": {"type": "string"}, "public": {"type": "boolean"},
                "share_bp": {"type": "integer"}, "amount_minor": int
            }, "required": ["funder_id", "funder", "public", "share_bp", "amount_minor"]}}
        }, "required": ["year", "cost_minor", "public_share", "shares"]}}
    }, "required": ["cost_item_id", "name", "currency", "years"]}),
    );
    let base = "/api/v1/initiatives/{slug}";
    d.paths.insert(format!("{base}/transitions"), json!({
        "get": op("Who pays for each cost item, year by year, and the public share (as `backbone report transitions`)", "funding", json!([p_slug()]), None, ("200", reference("TransitionsReport")), &["401", "404"]),
    }));
    d.paths.insert(format!("{base}/cost-items/{{id}}/schedule"), json!({
        "get": op("A cost item's schedule of funder shares", "funding", json!([p_slug(), p_id()]), None, ("200", reference("Schedule")), &["401", "404"]),
        "put": op("Replace a cost item's schedule whole (422 names each refused year and field; nothing written)", "funding", json!([p_slug(), p_id()]), Some("ScheduleInput"), ("200", reference("Schedule")), &["400", "401", "403", "404", "422"]),
    }));
}

/// The community investment fund: a call's applications ranked, assessment,
/// award, agreement, payment schedule and progress reports.
fn fund(d: &mut Doc) {
    let int = json!({"type": "integer", "format": "int64"});
    let date = json!({"type": "string", "format": "date"});
    let opt_int = json!({"type": "integer", "format": "int64", "nullable": true});
    let opt_str = json!({"type": "string", "nullable": true});
    let row = json!({
        "id": int, "call_id": int, "title": {"type": "string"},
        "organization_name": {"type": "string"}, "org_identifier": opt_str,
        "contact_name": {"type": "string", "nullable": true, "description": "null unless the policy shows you contact details"},
        "contact_email": {"type": "string", "nullable": true, "description": "null unless the policy shows you contact details"},
        "amount_minor": {"type": "integer", "format": "int64", "description": "requested, in minor units"},
        "currency": {"type": "string"}, "submitted_on": date,
        "scores_count": {"type": "integer"},
        "mean_hundredths": {"type": "integer", "nullable": true, "description": "mean of the assessors' weighted scores (Σ score × weight), in hundredths of a point, rounded half up; null when nobody scored it"},
        "rank": {"type": "integer", "nullable": true, "description": "1 is best; ties share a rank; null when nobody scored it"},
        "awarded_minor": opt_int,
    });
    let row_required = json!([
        "id",
        "call_id",
        "title",
        "organization_name",
        "amount_minor",
        "currency",
        "submitted_on",
        "scores_count",
        "mean_hundredths",
        "rank",
        "awarded_minor"
    ]);
    d.schemas.insert(
        "FundApplicationRow".into(),
        json!({"type": "object", "properties": row, "required": row_required}),
    );
    let mut detail = row.as_object().cloned().unwrap_or_default();
    for (k, v) in [
        ("description", json!({"type": "string"})),
        ("language", json!({"type": "string"})),
        ("sdg", json!({"type": "string"})),
        (
            "scores",
            json!({"type": "array", "items": {"type": "object", "properties": {
            "user_id": int, "assessor": {"type": "string"},
            "scores": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "criterion → score from 0 to 5"},
            "weighted_hundredths": int,
        }, "required": ["user_id", "assessor", "scores", "weighted_hundredths"]}}),
        ),
        (
            "conflicts",
            json!({"type": "array", "items": {"type": "object", "properties": {
            "user_id": int, "assessor": {"type": "string"}, "note": {"type": "string"},
        }, "required": ["user_id", "assessor", "note"]}}),
        ),
        ("you_assess", json!({"type": "boolean"})),
        ("you_are_recused", json!({"type": "boolean"})),
        (
            "award",
            json!({"type": "object", "nullable": true, "properties": {
            "amount_minor": int, "currency": {"type": "string"}, "awarded_on": date,
            "decision": {"type": "string"}, "agreement_signed_on": {"type": "string", "format": "date", "nullable": true},
        }, "required": ["amount_minor", "currency", "awarded_on", "decision", "agreement_signed_on"]}),
        ),
        (
            "payments",
            json!({"type": "array", "items": {"type": "object", "properties": {"date": date, "amount_minor": int}, "required": ["date", "amount_minor"]}}),
        ),
        (
            "reports",
            json!({"type": "array", "items": {"type": "object", "properties": {"id": int, "reported_on": date, "text": {"type": "string"}}, "required": ["id", "reported_on", "text"]}}),
        ),
    ] {
        detail.insert(k.into(), v);
    }
    let mut detail_required = row_required.as_array().cloned().unwrap_or_default();
    for k in [
        "description",
        "scores",
        "conflicts",
        "you_assess",
        "you_are_recused",
        "award",
        "payments",
        "reports",
    ] {
        detail_required.push(json!(k));
    }
    d.schemas.insert(
        "FundApplication".into(),
        json!({"type": "object", "properties": detail, "required": detail_required}),
    );
    let assessors = json!({"type": "array", "items": {"type": "object", "properties": {"user_id": int, "name": {"type": "string"}}, "required": ["user_id", "name"]}});
    d.schemas.insert("FundCallApplications".into(), json!({"type": "object", "properties": {
        "call": {"type": "object", "properties": {
            "id": int, "name": {"type": "string"}, "currency": {"type": "string"},
            "budget_minor": int, "awarded_minor": int, "remaining_minor": int,
            "criteria": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "weight": {"type": "integer"}}, "required": ["key", "weight"]}},
            "opens_on": date, "closes_on": date,
        }, "required": ["id", "name", "currency", "budget_minor", "awarded_minor", "remaining_minor", "criteria", "opens_on", "closes_on"]},
        "assessors": assessors,
        "items": {"type": "array", "description": "best first", "items": reference("FundApplicationRow")},
    }, "required": ["call", "assessors", "items"]}));
    let input = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    d.schemas.insert("FundAssessorInput".into(), input(json!({"email": {"type": "string", "format": "email", "description": "the account of someone holding a role in the initiative"}}), &["email"]));
    d.schemas.insert(
        "FundConflictInput".into(),
        input(
            json!({"note": {"type": "string", "maxLength": domain::funding::records::MAX_ANSWER}}),
            &[],
        ),
    );
    d.schemas.insert("FundScoreInput".into(), input(json!({"scores": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 5}, "description": "one score per criterion of the call, by its key"}}), &["scores"]));
    d.schemas.insert("FundAwardInput".into(), input(json!({
        "amount_minor": {"type": "integer", "format": "int64", "minimum": 1, "description": "in minor units; no more than requested nor than what remains of the budget"},
        "currency": {"type": "string", "description": "the call's currency (the default); another is refused"},
        "awarded_on": date, "decision": {"type": "string", "maxLength": domain::validation::MAX_NAME},
    }), &["amount_minor", "awarded_on"]));
    d.schemas.insert(
        "FundAgreementInput".into(),
        input(json!({"signed_on": date}), &["signed_on"]),
    );
    d.schemas.insert("FundPaymentsInput".into(), input(json!({"instalments": {"type": "array", "minItems": 1, "maxItems": crate::api::fund::MAX_INSTALMENTS, "description": "replaces the schedule; the amounts sum exactly to the award", "items": {"type": "object", "properties": {"date": date, "amount_minor": {"type": "integer", "format": "int64", "minimum": 1}}, "required": ["date", "amount_minor"], "additionalProperties": false}}}), &["instalments"]));
    d.schemas.insert("FundReportInput".into(), input(json!({"reported_on": date, "text": {"type": "string", "minLength": 1, "maxLength": domain::funding::records::MAX_ANSWER}}), &["reported_on", "text"]));
    let p_call = json!({"name": "call", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64", "minimum": 1}});
    let base = "/api/v1/initiatives/{slug}/fund/calls/{call}";
    let at = json!([p_slug(), p_call.clone()]);
    let at_app = json!([p_slug(), p_call, p_id()]);
    d.paths.insert(format!("{base}/applications"), json!({
        "get": op("A call's budget, assessors and applications ranked by mean weighted score", "fund", at.clone(), None, ("200", reference("FundCallApplications")), &["401", "404"]),
    }));
    d.paths.insert(format!("{base}/assessors"), json!({
        "post": op("Make someone holding a role in the initiative an assessor of the call (coordinators)", "fund", at, Some("FundAssessorInput"), ("200", json!({"type": "object", "properties": {"assessors": assessors}, "required": ["assessors"]})), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/applications/{{id}}"), json!({
        "get": op("One application: scores, conflicts, award, payment schedule and progress reports", "fund", at_app.clone(), None, ("200", reference("FundApplication")), &["401", "404"]),
    }));
    let app = reference("FundApplication");
    for (tail, summary, body, ok, forbidden) in [
        (
            "conflict",
            "An assessor declares a conflict of interest and is recused (their score, if any, no longer counts); 422 for anyone not an assessor of the call",
            "FundConflictInput",
            "200",
            false,
        ),
        (
            "score",
            "An assessor scores the application, one score per criterion; 422 for anyone not an assessor and for a recused assessor",
            "FundScoreInput",
            "200",
            false,
        ),
        (
            "award",
            "Award the application (coordinators); 422 over the request, over the remaining budget, in another currency, or a second time",
            "FundAwardInput",
            "201",
            true,
        ),
        (
            "agreement",
            "Record the day the grant agreement was signed (coordinators; after the award)",
            "FundAgreementInput",
            "200",
            true,
        ),
        (
            "payments",
            "Replace the award's payment schedule (coordinators); the instalments sum exactly to the award",
            "FundPaymentsInput",
            "200",
            true,
        ),
        (
            "reports",
            "Add a progress report to an awarded grant (coordinators)",
            "FundReportInput",
            "201",
            true,
        ),
    ] {
        let errors: &[&str] = if forbidden {
            &["400", "401", "403", "404", "422"]
        } else {
            &["400", "401", "404", "422"]
        };
        d.paths.insert(
            format!("{base}/applications/{{id}}/{tail}"),
            json!({
                "post": op(summary, "fund", at_app.clone(), Some(body), (ok, app.clone()), errors),
            }),
        );
    }
}
