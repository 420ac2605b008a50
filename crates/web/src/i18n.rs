//! Translations with Fluent: English, Spanish and Hebrew (right-to-left).
//!
//! The language of a page is, in order: the signed-in user's setting, the `lang`
//! cookie set by the language switcher, the browser's `Accept-Language`, English.
//! A message missing from a language falls back to English, and a unit test keeps
//! the three files in step.

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// Languages the interface speaks: (code, name in that language).
pub const LANGUAGES: &[(&str, &str)] = &[("en", "English"), ("es", "Español"), ("he", "עברית")];

/// A language's own name ("Español" for `es`), for content in any language
/// an initiative declares (not only those the interface speaks); the code
/// itself when none is known.
pub fn language_name(code: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("en", "English"),
        ("es", "Español"),
        ("he", "עברית"),
        ("ar", "العربية"),
        ("am", "አማርኛ"),
        ("ru", "Русский"),
        ("fr", "Français"),
        ("de", "Deutsch"),
        ("pt", "Português"),
        ("it", "Italiano"),
        ("uk", "Українська"),
        ("ti", "ትግርኛ"),
        ("fa", "فارسی"),
    ];
    let primary = code.split('-').next().unwrap_or(code);
    NAMES
        .iter()
        .find(|(c, _)| *c == primary)
        .map_or_else(|| code.to_string(), |(_, n)| n.to_string())
}

/// Whether a language is written in the Latin script (what the script of a
/// text cannot tell apart).
pub fn latin_script(code: &str) -> bool {
    let primary = code.split('-').next().unwrap_or(code);
    !matches!(
        primary,
        "he" | "yi"
            | "ar"
            | "fa"
            | "ur"
            | "ru"
            | "uk"
            | "be"
            | "bg"
            | "sr"
            | "mk"
            | "am"
            | "ti"
            | "el"
            | "hy"
            | "ka"
            | "zh"
            | "ja"
            | "ko"
            | "hi"
            | "bn"
            | "th"
    )
}

/// Whether a language is written right to left.
pub fn right_to_left(code: &str) -> bool {
    let primary = code.split('-').next().unwrap_or(code);
    matches!(primary, "he" | "yi" | "ar" | "fa" | "ur" | "ps" | "dv")
}

/// Each language's messages: the product's, then one file per module.
const SOURCES: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            include_str!("../locales/en.ftl"),
            include_str!("../locales/partners/en.ftl"),
            include_str!("../locales/agenda/en.ftl"),
            include_str!("../locales/agenda/work_plans.en.ftl"),
            include_str!("../locales/measurement/en.ftl"),
            include_str!("../locales/measurement/pages.en.ftl"),
            include_str!("../locales/measurement/import.en.ftl"),
            include_str!("../locales/measurement/surveys.en.ftl"),
            include_str!("../locales/funding/en.ftl"),
            include_str!("../locales/funding/ledger.en.ftl"),
            include_str!("../locales/funding/transitions.en.ftl"),
            include_str!("../locales/funding/fund.en.ftl"),
            include_str!("../locales/meetings/en.ftl"),
            include_str!("../locales/meetings/calendar.en.ftl"),
            include_str!("../locales/meetings/room.en.ftl"),
            include_str!("../locales/meetings/decisions.en.ftl"),
            include_str!("../locales/meetings/mail.en.ftl"),
            include_str!("../locales/cases/en.ftl"),
            include_str!("../locales/cases/referrals.en.ftl"),
            include_str!("../locales/cases/portal.en.ftl"),
            include_str!("../locales/cases/import.en.ftl"),
        ],
    ),
    (
        "es",
        &[
            include_str!("../locales/es.ftl"),
            include_str!("../locales/partners/es.ftl"),
            include_str!("../locales/agenda/es.ftl"),
            include_str!("../locales/agenda/work_plans.es.ftl"),
            include_str!("../locales/measurement/es.ftl"),
            include_str!("../locales/measurement/pages.es.ftl"),
            include_str!("../locales/measurement/import.es.ftl"),
            include_str!("../locales/measurement/surveys.es.ftl"),
            include_str!("../locales/funding/es.ftl"),
            include_str!("../locales/funding/ledger.es.ftl"),
            include_str!("../locales/funding/transitions.es.ftl"),
            include_str!("../locales/funding/fund.es.ftl"),
            include_str!("../locales/meetings/es.ftl"),
            include_str!("../locales/meetings/calendar.es.ftl"),
            include_str!("../locales/meetings/room.es.ftl"),
            include_str!("../locales/meetings/decisions.es.ftl"),
            include_str!("../locales/meetings/mail.es.ftl"),
            include_str!("../locales/cases/es.ftl"),
            include_str!("../locales/cases/referrals.es.ftl"),
            include_str!("../locales/cases/portal.es.ftl"),
            include_str!("../locales/cases/import.es.ftl"),
        ],
    ),
    (
        "he",
        &[
            include_str!("../locales/he.ftl"),
            include_str!("../locales/partners/he.ftl"),
            include_str!("../locales/agenda/he.ftl"),
            include_str!("../locales/agenda/work_plans.he.ftl"),
            include_str!("../locales/measurement/he.ftl"),
            include_str!("../locales/measurement/pages.he.ftl"),
            include_str!("../locales/measurement/import.he.ftl"),
            include_str!("../locales/measurement/surveys.he.ftl"),
            include_str!("../locales/funding/he.ftl"),
            include_str!("../locales/funding/ledger.he.ftl"),
            include_str!("../locales/funding/transitions.he.ftl"),
            include_str!("../locales/funding/fund.he.ftl"),
            include_str!("../locales/meetings/he.ftl"),
            include_str!("../locales/meetings/calendar.he.ftl"),
            include_str!("../locales/meetings/room.he.ftl"),
            include_str!("../locales/meetings/decisions.he.ftl"),
            include_str!("../locales/meetings/mail.he.ftl"),
            include_str!("../locales/cases/he.ftl"),
            include_str!("../locales/cases/referrals.he.ftl"),
            include_str!("../locales/cases/portal.he.ftl"),
            include_str!("../locales/cases/import.he.ftl"),
        ],
    ),
];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static HashMap<&'static str, Bundle> {
    static B: OnceLock<HashMap<&'static str, Bundle>> = OnceLock::new();
    B.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(code, srcs)| {
                let lang: unic_langid::LanguageIdentifier = code.parse().expect("language code");
                let mut b = FluentBundle::new_concurrent(vec![lang]);
                b.set_use_isolating(false);
                for (n, src) in srcs.iter().enumerate() {
                    let res = FluentResource::try_new(src.to_string()).unwrap_or_else(|(_, e)| {
                        panic!("messages #{n} of {code} do not parse: {e:?}")
                    });
                    b.add_resource(res).expect("no duplicate messages");
                }
                (*code, b)
            })
            .collect()
    })
}

/// A supported language code for a requested one ("he-IL" → "he").
pub fn supported(code: &str) -> Option<&'static str> {
    let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
    LANGUAGES.iter().map(|(c, _)| *c).find(|c| *c == primary)
}

/// The best supported language of an `Accept-Language` header.
pub fn from_accept_language(header: &str) -> Option<&'static str> {
    let mut best: Option<(f32, usize, &'static str)> = None;
    for (i, part) in header.split(',').enumerate() {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        if let Some(code) = supported(tag)
            && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi))
        {
            best = Some((q, i, code));
        }
    }
    best.map(|(_, _, c)| c)
}

/// A translator for one language; cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: &'static str,
}

impl Default for Tr {
    fn default() -> Self {
        Tr { lang: "en" }
    }
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        Tr {
            lang: supported(lang).unwrap_or("en"),
        }
    }

    /// Text direction of the language.
    pub fn dir(&self) -> &'static str {
        if self.lang == "he" { "rtl" } else { "ltr" }
    }

    /// The message `key`; its English text when this language lacks it; the key
    /// itself when no language has it.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one named argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(value.to_string()));
        self.format(key, Some(&args))
    }

    /// The `lang` and `dir` attributes for content a person typed (a name, a
    /// description), when its script shows it is in another language than the
    /// page — so that a screen reader reads a Hebrew name with Hebrew
    /// pronunciation on an English page. Empty when nothing can be said.
    pub fn lang_attrs(&self, text: &str) -> &'static str {
        match content_language(text) {
            Some(code) if code != self.lang => match code {
                "he" => " lang=\"he\" dir=\"rtl\"",
                "ar" => " lang=\"ar\" dir=\"rtl\"",
                "ru" => " lang=\"ru\" dir=\"ltr\"",
                "am" => " lang=\"am\" dir=\"ltr\"",
                // Latin script on a Hebrew page: most likely English.
                _ if self.lang == "he" => " lang=\"en\" dir=\"ltr\"",
                _ => "",
            },
            _ => "",
        }
    }

    /// The message `key` with several named arguments.
    pub fn tn(&self, key: &str, values: &[(&str, String)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            // A whole number is passed as a number, so that plural variants
            // (`[one]`, `[other]`) are chosen by the language's rules.
            let v = match value.parse::<i64>() {
                Ok(n) if n.to_string() == *value => FluentValue::from(n),
                _ => FluentValue::from(value.clone()),
            };
            args.set(name.to_string(), v);
        }
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let all = bundles();
        for code in [self.lang, "en"] {
            let b = &all[code];
            if let Some(pattern) = b.get_message(key).and_then(|m| m.value()) {
                let mut errors = vec![];
                return b.format_pattern(pattern, args, &mut errors).into_owned();
            }
        }
        key.to_string()
    }

    /// Whether any language defines `key`.
    pub fn has(&self, key: &str) -> bool {
        bundles()[self.lang].has_message(key) || bundles()["en"].has_message(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(src: &str) -> Vec<String> {
        src.lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap().trim().to_string())
            .collect()
    }

    #[test]
    fn every_language_has_every_message() {
        let en = keys(&SOURCES[0].1.concat());
        assert!(en.len() > 50);
        for (code, srcs) in SOURCES {
            let k = keys(&srcs.concat());
            let missing: Vec<_> = en.iter().filter(|x| !k.contains(x)).collect();
            let extra: Vec<_> = k.iter().filter(|x| !en.contains(x)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{code}: missing {missing:?}, extra {extra:?}"
            );
        }
        // Parse every bundle.
        assert_eq!(Tr::new("he").t("app-name"), "Backbone");
    }

    #[test]
    fn accept_language_negotiation() {
        assert_eq!(from_accept_language("he-IL,he;q=0.9,en;q=0.8"), Some("he"));
        assert_eq!(
            from_accept_language("fr-FR, es;q=0.5, en;q=0.4"),
            Some("es")
        );
        assert_eq!(from_accept_language("fr"), None);
        assert_eq!(from_accept_language("en;q=0, he;q=0.1"), Some("he"));
    }

    #[test]
    fn hebrew_is_right_to_left_and_falls_back() {
        let he = Tr::new("he");
        assert_eq!(he.dir(), "rtl");
        assert_eq!(Tr::new("es").dir(), "ltr");
        assert_ne!(he.t("nav-home"), Tr::new("en").t("nav-home"));
        assert_eq!(he.t("no-such-key"), "no-such-key");
    }
}

/// The language a text's script points to: Hebrew, Arabic, Cyrillic (Russian),
/// Ethiopic (Amharic) by their letters; `latin` for Latin letters only (which
/// Latin-script language it is cannot be told from the script).
pub fn content_language(text: &str) -> Option<&'static str> {
    let mut latin = false;
    for ch in text.chars() {
        match ch as u32 {
            0x0590..=0x05FF => return Some("he"),
            0x0600..=0x06FF => return Some("ar"),
            0x0400..=0x04FF => return Some("ru"),
            0x1200..=0x137F => return Some("am"),
            _ if ch.is_ascii_alphabetic() => latin = true,
            _ => {}
        }
    }
    latin.then_some("latin")
}

#[cfg(test)]
mod content_language_tests {
    use super::*;

    #[test]
    fn names_in_other_scripts_carry_their_language() {
        let en = Tr::new("en");
        let he = Tr::new("he");
        assert_eq!(en.lang_attrs("קריית מלאכי"), " lang=\"he\" dir=\"rtl\"");
        assert_eq!(he.lang_attrs("קריית מלאכי"), "");
        assert_eq!(
            he.lang_attrs("Rashi Foundation"),
            " lang=\"en\" dir=\"ltr\""
        );
        assert_eq!(en.lang_attrs("Rashi Foundation"), "");
        assert_eq!(en.lang_attrs("Михаил"), " lang=\"ru\" dir=\"ltr\"");
        assert_eq!(en.lang_attrs("12,500"), "");
    }
}
