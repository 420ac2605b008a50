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

/// Schema of a kind's data, with the closed lists of codes as enums.
fn data_schema<T: Resource>(widgets: &[(&'static str, Widget)]) -> (Value, Vec<&'static str>) {
    let mut props = Map::new();
    let mut required = vec![];
    for c in T::columns() {
        let mut s = column_schema(c.ty, c.nullable);
        if let Some((_, Widget::Choice(codes, _))) = widgets.iter().find(|(n, _)| *n == c.name) {
            s["enum"] = json!(codes());
        }
        if let Some(t) = c.refers_to {
            s["description"] = json!(format!("id of a {t} record"));
        }
        if !c.nullable {
            required.push(c.name);
        }
        props.insert(c.name.to_string(), s);
    }
    (json!({"type": "object", "properties": props}), required)
}

fn record_schema(data: &Value, required: &[&str], scoped: bool) -> Value {
    let mut props = data["properties"].as_object().cloned().unwrap_or_default();
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
    let mut req: Vec<&str> = required.to_vec();
    if update {
        props.insert("version".into(), json!({"type": "integer", "format": "int64", "description": "The version this edit is based on."}));
        req.push("version");
    }
    if name == "Membership" {
        props.insert("stipend_rate".into(), json!({"type": "string", "description": "Hourly stipend as a decimal, e.g. \"25.50\" (alternative to stipend_hourly_cents)."}));
    }
    json!({"type": "object", "properties": props, "required": req})
}

fn op(
    summary: &str,
    tag: &str,
    params: Value,
    body: Option<&str>,
    ok: (&str, Value),
    errors: &[&str],
) -> Value {
    let mut responses = Map::new();
    responses.insert(
        ok.0.into(),
        json!({"description": "success", "content": {"application/json": {"schema": ok.1}}}),
    );
    for e in errors {
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

fn list_of(name: &str) -> Value {
    json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}
    }, "required": ["items", "page", "per_page", "total"]})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn p_slug() -> Value {
    json!({"name": "slug", "in": "path", "required": true, "schema": {"type": "string"}})
}
fn p_id() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}})
}
fn p_paging() -> Vec<Value> {
    vec![
        json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}),
        json!({"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}),
        json!({"name": "archived", "in": "query", "schema": {"type": "boolean"}, "description": "include archived records"}),
    ]
}

pub struct Doc {
    paths: Map<String, Value>,
    schemas: Map<String, Value>,
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
                "post": op(&format!("{action} a {}", T::KIND), T::PATH, json!([p_slug(), p_id()]), None, ("200", reference(name)), &["401", "403", "404", "409"]),
            }));
        }
    }
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
        "post": op("Archive a network (admin)", "networks", json!([p_id()]), None, ("200", reference("Network")), &["401", "403", "404", "409"]),
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
        "post": op("Archive an initiative (admin)", "initiatives", json!([p_slug()]), None, ("200", reference("Initiative")), &["401", "403", "404", "409"]),
    }));
    let any = json!({"type": "object"});
    d.paths.insert("/api/v1/initiatives/{slug}/table".into(), json!({
        "get": op("Who is at the table: current members of each body by sector, and missing sectors", "initiatives", json!([p_slug()]), None, ("200", any.clone()), &["401", "404"]),
    }));
    d.paths.insert("/api/v1/initiatives/{slug}/audit".into(), json!({
        "get": op("The audit log of an initiative, newest first (coordinators)", "initiatives", json!([p_slug(),
            {"name": "kind", "in": "query", "schema": {"type": "string"}},
            {"name": "record_id", "in": "query", "schema": {"type": "integer"}},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}]), None, ("200", any.clone()), &["401", "403", "404", "422"]),
    }));
    d.paths.insert("/api/v1/initiatives/{slug}/hsds".into(), json!({
        "get": op("Services directory as Open Referral HSDS 3.0 (organizations, services, service_at_locations)", "initiatives", json!([p_slug()]), None, ("200", any.clone()), &["401", "404"]),
    }));
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
        "current": {"type": "object", "description": "on 409: the record as it is now"}
    }, "required": ["error", "message"]});
    d.schemas.insert("Error".into(), error);
    let mut responses = Map::new();
    for (code, text) in [
        ("400", "bad request"),
        ("401", "no valid session or bearer token"),
        ("403", "not allowed"),
        ("404", "not found (or not yours to see)"),
        (
            "409",
            "stale version: someone else changed it; `current` holds their values",
        ),
        ("422", "invalid fields; `fields` names each"),
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
