//! A record's names, descriptions and purposes in the initiative's languages.
//!
//! The main fields hold the text in the initiative's first language. Beside
//! them a record may keep a translation of each translatable field
//! ([`crate::resource::Resource::TRANSLATABLE`]) into each other language the
//! initiative declares. A reader sees the translation into their own
//! language; without one, the main text: the initiative's first language
//! ([`Translations::pick`]).
//!
//! Forms send a translation as the field `{field}@{language}` ("name@es"); the
//! JSON API as a list, `translations: [{"language": "es", "name": "…"}]` (a
//! list, so that its schema can say what a language code is). Both come
//! through [`Translations::parse`], which refuses an unknown field, a code
//! that is not a language tag, and text a main field would refuse.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::validation::{FieldErrors, FieldMap, MAX_NAME, MAX_TEXT, Parser};

/// Language code → field → text. Empty texts are never kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translations(pub BTreeMap<String, BTreeMap<String, String>>);

/// One language's texts as the API and the database hold them:
/// `{"language": "es", "name": "…", "description": "…"}`.
#[derive(Serialize, Deserialize)]
struct Entry {
    language: String,
    #[serde(flatten)]
    texts: BTreeMap<String, String>,
}

impl Serialize for Translations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(language, texts)| Entry {
            language: language.clone(),
            texts: texts.clone(),
        }))
    }
}

/// A stored `null` (a record from before translations) is no translation.
impl<'de> Deserialize<'de> for Translations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = Option::<Vec<Entry>>::deserialize(d)?.unwrap_or_default();
        let mut out = Texts::new();
        for e in entries {
            out.entry(e.language).or_default().extend(e.texts);
        }
        Ok(Translations(out))
    }
}

/// The form field that carries `field` in `lang`: "name@es".
pub fn form_key(field: &str, lang: &str) -> String {
    format!("{field}@{lang}")
}

/// Whether `code` is a language tag as initiatives declare them ("he", "pt-br").
pub fn is_language(code: &str) -> bool {
    crate::partnership::normalize_languages(code).is_some_and(|c| c == code && !c.contains(','))
}

/// The longest text a translatable field takes: a name is one line, the rest
/// (descriptions, purposes) may run over several.
fn limit(field: &str) -> (usize, bool) {
    if field == "name" {
        (MAX_NAME, false)
    } else {
        (MAX_TEXT, true)
    }
}

impl Translations {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The translation of `field` into `lang`.
    pub fn get(&self, lang: &str, field: &str) -> Option<&str> {
        self.0.get(lang)?.get(field).map(String::as_str)
    }

    /// What a reader of `reader` sees for `field` instead of the main text:
    /// (its language, the translation). `None`: the main text, which is in the
    /// initiative's `first` language (a translation into it is never shown).
    pub fn pick<'a>(
        &'a self,
        field: &str,
        reader: &str,
        first: &str,
    ) -> Option<(&'a str, &'a str)> {
        if reader == first {
            return None;
        }
        let (lang, fields) = self.0.get_key_value(reader)?;
        Some((lang.as_str(), fields.get(field)?.as_str()))
    }

    /// The form's fields (`name@es`) of these translations.
    pub fn to_fields(&self, map: &mut FieldMap) {
        for (lang, fields) in &self.0 {
            for (field, text) in fields {
                map.insert(form_key(field, lang), text.clone());
            }
        }
    }

    /// The translations of `fields` submitted: the API's `translations`
    /// object, then the form's `{field}@{lang}` fields (which win). Refusals
    /// are recorded under the name they came in.
    pub fn parse(input: &FieldMap, fields: &[&str], errors: &mut FieldErrors) -> Translations {
        let mut out = Texts::new();
        if let Some(json) = input.get("translations").filter(|s| !s.trim().is_empty()) {
            let refuse = |errors: &mut FieldErrors, why: String| {
                errors.add("translations", "invalid_translations", why)
            };
            let list = match serde_json::from_str::<serde_json::Value>(json) {
                Ok(serde_json::Value::Null) => vec![],
                Ok(serde_json::Value::Array(list)) => list,
                _ => {
                    refuse(
                        errors,
                        "translations must be a list: [{\"language\": \"es\", \"name\": \"…\"}]"
                            .into(),
                    );
                    vec![]
                }
            };
            for (n, item) in list.iter().enumerate() {
                let serde_json::Value::Object(texts) = item else {
                    refuse(errors, format!("translations[{n}] must be an object"));
                    continue;
                };
                let lang = match texts.get("language") {
                    Some(serde_json::Value::String(l)) if is_language(l) => l.as_str(),
                    _ => {
                        refuse(
                            errors,
                            format!(
                                "translations[{n}].language must be a language code such as es or he"
                            ),
                        );
                        continue;
                    }
                };
                for (field, text) in texts.iter().filter(|(k, _)| *k != "language") {
                    let key = format!("translations[{n}].{field}");
                    if !fields.contains(&field.as_str()) {
                        refuse(
                            errors,
                            format!("{key}: only {} can be translated", fields.join(", ")),
                        );
                        continue;
                    }
                    match text {
                        serde_json::Value::String(s) => {
                            text_of(errors, &key, lang, field, s, &mut out)
                        }
                        serde_json::Value::Null => {}
                        _ => refuse(errors, format!("{key} must be a string")),
                    }
                }
            }
        }
        for (key, value) in input {
            let Some((field, lang)) = key.split_once('@') else {
                continue;
            };
            if !fields.contains(&field) || !is_language(lang) {
                errors.add(
                    key,
                    "invalid_translations",
                    format!("{key} is not a translatable field in a language"),
                );
                continue;
            }
            if let Some(m) = out.get_mut(lang) {
                m.remove(field);
            }
            text_of(errors, key, lang, field, value, &mut out);
        }
        out.retain(|_, m| !m.is_empty());
        Translations(out)
    }
}

type Texts = BTreeMap<String, BTreeMap<String, String>>;

/// Take `value` as the translation of `field` into `lang`, or record why not
/// under `key` (the name it came in).
fn text_of(
    errors: &mut FieldErrors,
    key: &str,
    lang: &str,
    field: &str,
    value: &str,
    out: &mut Texts,
) {
    let (max, multiline) = limit(field);
    let one = FieldMap::from([(key.to_string(), value.to_string())]);
    let mut p = Parser::new(&one);
    let text = p.opt_text(key, max, multiline);
    if let Some((_, e)) = p.errors.0.into_iter().next() {
        errors.0.entry(key.to_string()).or_insert(e);
    } else if let Some(t) = text {
        out.entry(lang.to_string())
            .or_default()
            .insert(field.to_string(), t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const F: &[&str] = &["name", "description"];

    #[test]
    fn the_readers_language_else_the_main_text() {
        let mut e = FieldErrors::default();
        let t = Translations::parse(
            &fm(&[
                ("name@es", "Municipio"),
                ("name@he", "עירייה"),
                ("description@he", ""),
            ]),
            F,
            &mut e,
        );
        assert!(e.is_empty());
        assert_eq!(t.pick("name", "es", "en"), Some(("es", "Municipio")));
        // No English translation: the main text (in the first language).
        assert_eq!(t.pick("name", "en", "he"), None);
        // The main text is the first language's, whatever was stored besides.
        assert_eq!(t.pick("name", "he", "he"), None);
        // Spanish has no description: the main text.
        assert_eq!(t.pick("description", "es", "en"), None);
        // An empty text is no translation.
        assert_eq!(t.get("he", "description"), None);
    }

    #[test]
    fn a_language_without_this_field_shows_the_main_text() {
        let mut e = FieldErrors::default();
        let t = Translations::parse(
            &fm(&[("description@es", "Texto"), ("name@he", "שם")]),
            F,
            &mut e,
        );
        assert_eq!(t.pick("name", "es", "en"), None);
        assert_eq!(t.pick("description", "es", "en"), Some(("es", "Texto")));
    }

    #[test]
    fn api_object_and_form_fields_round_trip() {
        let mut e = FieldErrors::default();
        let t = Translations::parse(
            &fm(&[(
                "translations",
                r#"[{"language": "es", "name": "Municipio", "description": null}]"#,
            )]),
            F,
            &mut e,
        );
        assert!(e.is_empty(), "{e:?}");
        let mut back = FieldMap::new();
        t.to_fields(&mut back);
        assert_eq!(back, fm(&[("name@es", "Municipio")]));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"[{"language":"es","name":"Municipio"}]"#);
        assert_eq!(serde_json::from_str::<Translations>(&json).unwrap(), t);
        let null: Translations = serde_json::from_str("null").unwrap();
        assert!(null.is_empty());
    }

    #[test]
    fn refusals_name_what_came_in() {
        let mut e = FieldErrors::default();
        Translations::parse(
            &fm(&[
                (
                    "translations",
                    r#"[{"language": "Spanish", "name": "x"}, {"language": "es", "sector": "x"}]"#,
                ),
                ("purpose@es", "x"),
                ("name@xx-!", "x"),
                ("name@he", &"א".repeat(MAX_NAME + 1)),
                ("description@es", "line\u{7}"),
            ]),
            F,
            &mut e,
        );
        assert_eq!(e.get("translations").unwrap().code, "invalid_translations");
        assert_eq!(e.get("purpose@es").unwrap().code, "invalid_translations");
        assert_eq!(e.get("name@xx-!").unwrap().code, "invalid_translations");
        assert_eq!(e.get("name@he").unwrap().code, "too_long");
        assert!(e.get("description@es").is_some());
    }

    #[test]
    fn a_form_field_wins_over_the_object() {
        let mut e = FieldErrors::default();
        let t = Translations::parse(
            &fm(&[
                ("translations", r#"[{"language": "es", "name": "Viejo"}]"#),
                ("name@es", "Nuevo"),
            ]),
            F,
            &mut e,
        );
        assert_eq!(t.get("es", "name"), Some("Nuevo"));
        // A form field sent empty removes the translation.
        let t = Translations::parse(
            &fm(&[
                ("translations", r#"[{"language": "es", "name": "Viejo"}]"#),
                ("name@es", ""),
            ]),
            F,
            &mut e,
        );
        assert!(t.is_empty());
    }
}
