//! Accounts people expect: password reset by email and by an admin's link,
//! the admin's list of users, disabling; invitations that can be sent (a fresh
//! link, the role menu, what the invitee is told). Each test on SQLite and
//! PostgreSQL.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use testkit::{Auth, Engine, Res, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";
const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new long password";

/// A browser without a session: its pre-login token and where it is.
struct Browser {
    pre: String,
    ip: &'static str,
}

impl Browser {
    /// Open a public page (which hands out the pre-login token).
    async fn open(app: &TestApp, path: &str, ip: &'static str) -> Browser {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let pre = r.cookie().split_once('=').unwrap().1.to_string();
        Browser { pre, ip }
    }

    async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Res {
        let mut pairs = vec![("_csrf", self.pre.as_str())];
        pairs.extend_from_slice(fields);
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, format!("bb_pre={}", self.pre))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(Body::from(serde_urlencoded::to_string(&pairs).unwrap()))
            .unwrap();
        let addr: SocketAddr = format!("{}:40000", self.ip).parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        app.send(req).await
    }

    async fn login(&self, app: &TestApp, email: &str, password: &str) -> Res {
        self.post(app, "/login", &[("email", email), ("password", password)])
            .await
    }
}

/// The secret of the first `/reset/SECRET` address in `text`.
fn reset_secret(text: &str) -> String {
    let rest = text
        .split("/reset/")
        .nth(1)
        .unwrap_or_else(|| panic!("no reset link in: {text}"));
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn signed_in(r: &Res) -> bool {
    r.status == StatusCode::SEE_OTHER
        && r.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("bb_session="))
}

async fn session_works(app: &TestApp, a: &Auth) -> bool {
    app.get("/account", Some(a)).await.status == StatusCode::OK
}

/// Set a new password through a reset link, as the person who got it.
async fn use_link(app: &TestApp, secret: &str, password: &str) -> Res {
    let b = Browser::open(app, &format!("/reset/{secret}"), "192.0.2.50").await;
    b.post(app, &format!("/reset/{secret}"), &[("password", password)])
        .await
}

async fn audited(app: &TestApp, kind: &str, record: i64, action: &str) -> bool {
    let f = store::audit::Filter {
        kind: Some(kind.into()),
        record_id: Some(record),
        limit: 50,
        ..Default::default()
    };
    app.store()
        .audit(&f)
        .await
        .unwrap()
        .iter()
        .any(|e| e.action == action)
}

/// "Forgot your password?" → a one-time link by email (full address, in the
/// outbox) → a new password; the old sessions end and the new password signs in.
async fn reset_by_email(e: Engine) {
    let app = TestApp::new(e).await;
    let u = app.user("forgetful@example.org", false, &[]).await;
    assert!(session_works(&app, &u).await);
    // Having unsubscribed from every notification does not stop a reset link
    // the person asked for.
    app.store()
        .unsubscribe("forgetful@example.org", store::mail::ALL)
        .await
        .unwrap();
    let login = app.get("/login", None).await;
    assert!(login.body.contains("href=\"/forgot\""), "{}", login.body);
    let b = Browser::open(&app, "/forgot", "192.0.2.10").await;
    let r = b
        .post(&app, "/forgot", &[("email", "Forgetful@Example.org")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("If an account has this address"));
    let out = app.store().outbox().await.unwrap();
    let mails: Vec<_> = out.iter().filter(|m| m.kind == "password-reset").collect();
    assert_eq!(mails.len(), 1, "{out:?}");
    assert_eq!(mails[0].recipient_email, "forgetful@example.org");
    assert!(mails[0].body_text.contains("http://localhost/reset/"));
    assert!(
        mails[0].body_text.contains("2 hours"),
        "{}",
        mails[0].body_text
    );
    let secret = reset_secret(&mails[0].body_text);
    assert!(
        !mails[0].dedupe_key.contains(&secret),
        "the secret is no key"
    );
    let form = app.get(&format!("/reset/{secret}"), None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("forgetful@example.org"));
    // The same password rules as everywhere: too short is refused, link kept.
    let short = use_link(&app, &secret, "short").await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.body
    );
    let r = use_link(&app, &secret, NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/login?reset=done");
    assert!(!session_works(&app, &u).await, "the old session ended");
    let api = app
        .api(Method::GET, "/api/v1/initiatives", Some(&u), None)
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "API tokens revoked");
    let b = Browser::open(&app, "/login", "192.0.2.11").await;
    assert!(!signed_in(
        &b.login(&app, "forgetful@example.org", PASSWORD).await
    ));
    assert!(signed_in(
        &b.login(&app, "forgetful@example.org", NEW_PASSWORD).await
    ));
    assert!(audited(&app, "user", u.user_id, "reset_password").await);
}

/// The answer to "forgot" is the same for an address without an account, and
/// nothing is sent; asking is throttled per client address.
async fn reset_request_does_not_enumerate(e: Engine) {
    let app = TestApp::new(e).await;
    app.user("known@example.org", false, &[]).await;
    let b = Browser::open(&app, "/forgot", "192.0.2.20").await;
    let known = b
        .post(&app, "/forgot", &[("email", "known@example.org")])
        .await;
    let unknown = b
        .post(&app, "/forgot", &[("email", "nobody@example.org")])
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body, "the same page either way");
    let out = app.store().outbox().await.unwrap();
    assert!(
        out.iter()
            .all(|m| m.recipient_email != "nobody@example.org")
    );
    // A disabled account is answered the same, and gets nothing.
    let d = app.user("disabled@example.org", false, &[]).await;
    app.store()
        .set_disabled(None, d.user_id, true)
        .await
        .unwrap();
    let r = b
        .post(&app, "/forgot", &[("email", "disabled@example.org")])
        .await;
    assert_eq!(r.body, known.body);
    let out = app.store().outbox().await.unwrap();
    assert!(
        out.iter()
            .all(|m| m.recipient_email != "disabled@example.org")
    );
    // Like sign-in: a few requests per address, then 429 for any email.
    let mut last = StatusCode::OK;
    for i in 0..store::accounts::MAX_LOGIN_FAILURES {
        last = b
            .post(&app, "/forgot", &[("email", &format!("x{i}@example.org"))])
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// Without mail, an admin issues a one-time link on the users page and passes
/// it on; it sets the password once; a second use and a GET after fail.
async fn reset_by_admin_link_works_once(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin.reset@example.org", true, &[]).await;
    let u = app.user("locked.out@example.org", false, &[]).await;
    let id = u.user_id.to_string();
    let r = app
        .post_form("/admin/users/reset-link", &admin, &[("user_id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("value=\"http://localhost/reset/"),
        "{}",
        r.body
    );
    assert!(r.body.contains("readonly"));
    let secret = reset_secret(&r.body);
    assert!(audited(&app, "user", u.user_id, "reset_link").await);
    assert_eq!(
        use_link(&app, &secret, NEW_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(!session_works(&app, &u).await, "the old session ended");
    let again = use_link_without_form(&app, &secret, "yet another long password").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a link works once");
    let page = app.get(&format!("/reset/{secret}"), None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("expired or was already used"));
    let b = Browser::open(&app, "/login", "192.0.2.30").await;
    assert!(signed_in(
        &b.login(&app, "locked.out@example.org", NEW_PASSWORD).await
    ));
}

/// POST to a reset link with a pre-login token from another page (the link
/// itself no longer opens).
async fn use_link_without_form(app: &TestApp, secret: &str, password: &str) -> Res {
    let b = Browser::open(app, "/forgot", "192.0.2.51").await;
    b.post(app, &format!("/reset/{secret}"), &[("password", password)])
        .await
}

/// An expired link fails; a newer link voids an older one.
async fn expired_and_replaced_links_fail(e: Engine) {
    let app = TestApp::new(e).await;
    let u = app.user("late@example.org", false, &[]).await;
    let s = app.store();
    let old = s.create_password_reset(None, u.user_id).await.unwrap();
    let newer = s.create_password_reset(None, u.user_id).await.unwrap();
    assert!(s.password_reset(&old).await.unwrap().is_none(), "replaced");
    assert_eq!(
        use_link_without_form(&app, &old, NEW_PASSWORD).await.status,
        StatusCode::NOT_FOUND
    );
    // Two hours and a minute later.
    let past = store::now() - chrono::Duration::minutes(121);
    let expired = past + chrono::Duration::hours(store::accounts::RESET_HOURS);
    s.execute_unprepared(&format!(
        "UPDATE password_resets SET created_at = '{past}', expires_at = '{expired}' \
         WHERE used_at IS NULL"
    ))
    .await
    .unwrap();
    assert_eq!(
        app.get(&format!("/reset/{newer}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        use_link_without_form(&app, &newer, NEW_PASSWORD)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(session_works(&app, &u).await, "nothing changed");
}

/// The admin's users page: names, emails, roles per initiative, last sign-in
/// (written at login), disabled or not. Others get 403 (anonymous: sign in).
async fn users_page_lists_roles_and_last_sign_in(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin.users@example.org", true, &[]).await;
    app.user(
        "coord.users@example.org",
        false,
        &[(SLUG, Role::Coordinator)],
    )
    .await;
    app.user("quiet.users@example.org", false, &[]).await;
    let b = Browser::open(&app, "/login", "192.0.2.40").await;
    assert!(signed_in(
        &b.login(&app, "coord.users@example.org", PASSWORD).await
    ));
    let r = app.get("/admin/users", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let row = |email: &str| -> String {
        let at = r
            .body
            .find(email)
            .unwrap_or_else(|| panic!("{email} listed"));
        let end = r.body[at..].find("</tr>").unwrap() + at;
        r.body[at..end].to_string()
    };
    let name = app
        .store()
        .initiative_by_slug(SLUG)
        .await
        .unwrap()
        .data
        .name;
    let coord = row("coord.users@example.org");
    assert!(coord.contains(&name), "{coord}");
    assert!(coord.contains("Coordinator"), "{coord}");
    assert!(
        coord.contains("<time datetime="),
        "last sign-in shown: {coord}"
    );
    assert!(coord.contains("active"));
    let quiet = row("quiet.users@example.org");
    assert!(quiet.contains("never"), "{quiet}");
    // Only admins.
    let c = app
        .user(
            "coord2.users@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    assert_eq!(
        app.get("/admin/users", Some(&c)).await.status,
        StatusCode::FORBIDDEN
    );
    let anon = app.get("/admin/users", None).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/login"));
    let id = admin.user_id.to_string();
    for path in [
        "/admin/users/disable",
        "/admin/users/enable",
        "/admin/users/reset-link",
    ] {
        let r = app.post_form(path, &c, &[("user_id", &id)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(
        session_works(&app, &admin).await,
        "the admin was not touched"
    );
}

/// Disabling (after a confirmation page) stops sign-in, the open session and
/// the API token at once, and is audited; enabling lets the person sign in.
async fn disabling_stops_sign_in_and_sessions(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin.disable@example.org", true, &[]).await;
    let u = app
        .user("leaver@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let id = u.user_id.to_string();
    let confirm = app
        .get(&format!("/admin/users/disable?user_id={id}"), Some(&admin))
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains("leaver@example.org"));
    assert!(confirm.body.contains("action=\"/admin/users/disable\""));
    assert!(session_works(&app, &u).await);
    let r = app
        .post_form("/admin/users/disable", &admin, &[("user_id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!session_works(&app, &u).await, "the session ended");
    let api = app
        .api(Method::GET, "/api/v1/initiatives", Some(&u), None)
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    let b = Browser::open(&app, "/login", "192.0.2.60").await;
    assert!(!signed_in(
        &b.login(&app, "leaver@example.org", PASSWORD).await
    ));
    assert!(audited(&app, "user", u.user_id, "disable").await);
    let page = app.get("/admin/users", Some(&admin)).await.body;
    assert!(page.contains("disabled on"), "{page}");
    // An admin cannot lock themselves out.
    let me = admin.user_id.to_string();
    let r = app
        .post_form("/admin/users/disable", &admin, &[("user_id", &me)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Enabled again: the person signs in anew.
    let r = app
        .post_form("/admin/users/enable", &admin, &[("user_id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(audited(&app, "user", u.user_id, "enable").await);
    assert!(signed_in(
        &b.login(&app, "leaver@example.org", PASSWORD).await
    ));
}

/// A fresh link for an open invitation: the old link stops working, the new
/// one is shown as a full address in a read-only field and emailed again.
async fn fresh_invitation_link_replaces_the_old(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "coord.renew@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let r = app
        .post_form(
            &format!("/i/{SLUG}/access"),
            &c,
            &[("email", "invitee.renew@example.org"), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("readonly") && r.body.contains("for=\"f-invite-link\""),
        "a labelled read-only field"
    );
    assert!(r.body.contains("value=\"http://localhost/invite/"));
    let old = r.invite_link();
    let i = app.store().initiative_by_slug(SLUG).await.unwrap();
    let inv = app.store().open_invitations(i.id).await.unwrap()[0].id;
    let r = app
        .post_form(&format!("/i/{SLUG}/invitations/{inv}/renew"), &c, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new = r.invite_link();
    assert_ne!(new, old);
    assert!(r.body.contains(&format!("http://localhost/invite/{new}")));
    assert_eq!(
        app.get(&format!("/invite/{old}"), None).await.status,
        StatusCode::NOT_FOUND,
        "the old link stopped working"
    );
    assert_eq!(
        app.get(&format!("/invite/{new}"), None).await.status,
        StatusCode::OK
    );
    let open = app.store().open_invitations(i.id).await.unwrap();
    assert_eq!(open.len(), 1, "one open invitation, not two");
    assert_eq!(open[0].role, Some(Role::Viewer));
    let out = app.store().outbox().await.unwrap();
    let mails: Vec<_> = out
        .iter()
        .filter(|m| m.recipient_email == "invitee.renew@example.org")
        .collect();
    assert_eq!(mails.len(), 2, "emailed again: {out:?}");
    assert!(mails.iter().any(|m| {
        m.body_text
            .contains(&format!("http://localhost/invite/{new}"))
    }));
    assert!(audited(&app, "invitation", open[0].id, "renew").await);
    // Another initiative's coordinator cannot renew it.
    let other = app
        .user(
            "coord.other@example.org",
            false,
            &[("riverside-zero", Role::Coordinator)],
        )
        .await;
    let r = app
        .post_form(
            &format!("/i/riverside-zero/invitations/{}/renew", open[0].id),
            &other,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The role menu opens on the least privilege: viewer first and selected.
async fn role_menu_starts_at_viewer(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "coord.menu@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let r = app.get(&format!("/i/{SLUG}/access"), Some(&c)).await;
    assert_eq!(r.status, StatusCode::OK);
    let select = r.body.split("<select id=\"f-role\"").nth(1).unwrap();
    let select = select.split("</select>").next().unwrap();
    let first = select.split("<option").nth(1).unwrap();
    assert!(first.starts_with(" value=\"viewer\" selected>"), "{select}");
    assert_eq!(select.matches(" selected").count(), 1, "{select}");
    assert!(!select.contains("coordinator\" selected"));
}

/// Opening an invitation names the initiative, the role (translated) and who
/// invited.
async fn invitation_page_names_initiative_role_and_inviter(e: Engine) {
    let app = TestApp::new(e).await;
    let s = app.store();
    let inviter = s
        .create_user("dana@example.org", "Dana Levi", Some(PASSWORD), false)
        .await
        .unwrap();
    let i = s.initiative_by_slug(SLUG).await.unwrap();
    s.grant_role(None, inviter.id, i.id, Role::Coordinator)
        .await
        .unwrap();
    let secret = s
        .create_invitation(
            Some(inviter.id),
            "guest@example.org",
            Some(i.id),
            Some(Role::Partner),
            false,
        )
        .await
        .unwrap();
    let r = app.get(&format!("/invite/{secret}"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let about = format!("Dana Levi invited you to {} as Partner.", i.data.name);
    assert!(r.body.contains(&about), "{}", r.body);
    let he = app
        .send(
            Request::builder()
                .uri(format!("/invite/{secret}"))
                .header(header::ACCEPT_LANGUAGE, "he")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(he.body.contains("Dana Levi"), "{}", he.body);
    assert!(!he.body.contains(">Partner<") && !he.body.contains(" Partner."));
}

both_engines!(
    reset_by_email,
    reset_request_does_not_enumerate,
    reset_by_admin_link_works_once,
    expired_and_replaced_links_fail,
    users_page_lists_roles_and_last_sign_in,
    disabling_stops_sign_in_and_sessions,
    fresh_invitation_link_replaces_the_old,
    role_menu_starts_at_viewer,
    invitation_page_names_initiative_role_and_inviter,
);
