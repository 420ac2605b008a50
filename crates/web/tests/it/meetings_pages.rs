//! The meetings module's pages on the demo's year of meetings: every one
//! renders for a coordinator in English, Spanish and Hebrew (right-to-left),
//! with no message key left untranslated, and the portal's pages for anyone.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::access::Role;
use domain::meetings::records::{Decision, Meeting, MeetingStatus};
use store::records::ListOptions;
use testkit::{Engine, TestApp, both_engines};

const I: &str = "/i/kiryat-malachi";

async fn get_lang(
    app: &TestApp,
    path: &str,
    lang: &str,
    cookie: Option<&str>,
) -> (StatusCode, String) {
    let mut b = Request::builder()
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, lang);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let r = app.send(b.body(Body::empty()).unwrap()).await;
    (r.status, r.body)
}

async fn meetings_pages_render_in_three_languages(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let cookie = c.cookie.clone().unwrap();
    let store = app.store();
    let i = store.initiative_by_slug("kiryat-malachi").await.unwrap();
    let meetings = store
        .list::<Meeting>(Some(i.id), ListOptions::all())
        .await
        .unwrap();
    let held = meetings
        .iter()
        .find(|m| m.data.status == MeetingStatus::Held)
        .expect("the demo holds meetings");
    let planned = meetings
        .iter()
        .find(|m| m.data.status == MeetingStatus::Planned)
        .expect("the demo plans meetings");
    let decision = store
        .list::<Decision>(Some(i.id), ListOptions::all())
        .await
        .unwrap()[0]
        .id;
    let private = [
        format!("{I}/calendar"),
        format!("{I}/decision-register"),
        format!("{I}/my-actions"),
        format!("{I}/stipends"),
        format!("{I}/stipends?year=2017"),
        format!("{I}/meetings"),
        format!("{I}/meetings/{}", held.id),
        format!("{I}/meetings/{}/room", held.id),
        format!("{I}/meetings/{}/room", planned.id),
        format!("{I}/meetings/{}/minutes/history", held.id),
        format!("{I}/meetings/{}/move", planned.id),
        format!("{I}/decisions"),
        format!("{I}/decisions/new"),
        format!("{I}/decisions/{decision}/positions"),
        format!("{I}/agenda-items"),
        format!("{I}/action-items"),
        format!("{I}/action-items/new"),
        format!("{I}/audit"),
    ];
    let public = ["/p/kiryat-malachi/meetings", "/p/kiryat-malachi/decisions"];
    for (lang, dir) in [("en", "ltr"), ("es", "ltr"), ("he", "rtl")] {
        let visits = private
            .iter()
            .map(|p| (p.as_str(), Some(cookie.as_str())))
            .chain(public.iter().map(|p| (*p, None)));
        for (p, who) in visits {
            let (status, body) = get_lang(&app, p, lang, who).await;
            assert_eq!(status, StatusCode::OK, "{lang} {p}");
            assert!(body.contains(&format!("lang=\"{lang}\"")), "{lang} {p}");
            assert!(body.contains(&format!("dir=\"{dir}\"")), "{lang} {p}");
            for key in [
                "cal-",
                "room-",
                "dec-",
                "stipends-",
                "meeting-status-",
                "decision-process-",
                "action-status-",
                "kind-one-",
                "audit-action-",
                "field-",
            ] {
                assert!(
                    !body.contains(&format!(">{key}")),
                    "{lang} {p}: untranslated {key}"
                );
            }
        }
    }
    // The portal names no one: the demo's public decisions, without positions.
    let (_, register) = get_lang(&app, "/p/kiryat-malachi/decisions", "en", None).await;
    assert!(register.contains("Fund the first positions from the Administration"));
    assert!(
        !register.contains("Tamar Katz"),
        "no names on the public register"
    );
    assert!(
        !register.contains("not written down yet"),
        "no reasons on the public register"
    );
}
both_engines!(meetings_pages_render_in_three_languages);
