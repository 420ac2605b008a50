//! Signing in and out, accepting an invitation (which is also how the first
//! administrator sets a password), and resetting a forgotten password.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use store::StoreError;
use store::accounts::{LoginOutcome, RESET_HOURS, ResetRequest, SESSION_DAYS};

use super::{Chrome, Submitted, render_status};
use crate::AppState;
use crate::error::{AppError, PageResult};
use crate::session::{
    Ctx, DEVICE_COOKIE, LANG_COOKIE, PRE_CSRF_COOKIE, Peer, SESSION_COOKIE, cookie, set_cookie,
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    email: String,
    error: String,
    pre: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// `done` after a password was reset: the form says so.
    reset: Option<String>,
}

/// Only local paths are followed after signing in (no open redirects).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

pub(crate) async fn with_pre_cookie(
    s: &AppState,
    ctx: &Ctx,
    mut res: Response,
) -> Result<Response, AppError> {
    let (token, new) = ctx.pre_csrf(&s.store).await?;
    if *new {
        let v = set_cookie(PRE_CSRF_COOKIE, token, 3600, ctx.secure);
        res.headers_mut()
            .append(header::SET_COOKIE, v.parse().expect("cookie header"));
    }
    Ok(res)
}

/// The sign-in form: `email` prefilled, `notice` a status line above it.
async fn login_page(
    s: &AppState,
    ctx: &Ctx,
    next: String,
    email: String,
    notice: String,
    error: String,
    status: StatusCode,
) -> PageResult {
    let mut c = Chrome::new(ctx, ctx.tr.t("login-title"));
    c.notice = notice;
    let res = render_status(
        status,
        &LoginPage {
            c,
            next,
            email,
            error,
            pre: ctx.pre_csrf(&s.store).await?.0.clone(),
        },
    )?;
    Ok(with_pre_cookie(s, ctx, res).await?)
}

pub async fn login_form(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> PageResult {
    // Back from a password reset: say the password changed.
    let notice = if q.reset.as_deref() == Some("done") {
        ctx.tr.t("reset-done")
    } else {
        String::new()
    };
    login_page(
        &s,
        &ctx,
        safe_next(q.next.as_deref()),
        String::new(),
        notice,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// The client's address for throttling: the socket peer, or behind a trusted
/// proxy the right-most `X-Forwarded-For` entry (the one the proxy appended).
pub(crate) fn client_ip(
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    trust_proxy: bool,
) -> String {
    let forwarded = || {
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    trust_proxy
        .then(forwarded)
        .flatten()
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

pub async fn login(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Peer(peer): Peer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let get = |k: &str| sub.fields.get(k).cloned().unwrap_or_default();
    let (email, password, next) = (
        get("email"),
        get("password"),
        safe_next(sub.fields.get("next").map(String::as_str)),
    );
    ctx.check_pre_csrf(&s.store, sub.csrf.as_deref()).await?;
    let ip = client_ip(&headers, peer, s.config.trust_proxy);
    let device = cookie(&headers, DEVICE_COOKIE);
    match s
        .store
        .attempt_login(&email, &password, &ip, device)
        .await?
    {
        LoginOutcome::Success(user) => {
            let (secret, _) = s.store.create_session(user.id).await?;
            s.store.note_sign_in(user.id).await?;
            let mark = s.store.signing_key().await?.new_device_mark(user.id);
            let mut res = Redirect::to(&next).into_response();
            let h = res.headers_mut();
            for c in [
                set_cookie(SESSION_COOKIE, &secret, SESSION_DAYS * 86400, ctx.secure),
                set_cookie(DEVICE_COOKIE, &mark, 365 * 86400, ctx.secure),
            ] {
                h.append(header::SET_COOKIE, c.parse().expect("cookie header"));
            }
            if let Some(lang) = user.language.as_deref() {
                h.append(
                    header::SET_COOKIE,
                    set_cookie(LANG_COOKIE, lang, 365 * 86400, ctx.secure)
                        .parse()
                        .expect("cookie header"),
                );
            }
            tracing::info!(user_id = user.id, "signed in");
            Ok(res)
        }
        LoginOutcome::Wrong => {
            login_page(
                &s,
                &ctx,
                next,
                email,
                String::new(),
                ctx.tr.t("login-failed"),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        LoginOutcome::Throttled => {
            tracing::warn!("login throttled");
            login_page(
                &s,
                &ctx,
                next,
                email,
                String::new(),
                ctx.tr.t("login-throttled"),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
    }
}

pub async fn logout(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    ctx.check_csrf(sub.csrf.as_deref())?;
    if let Some(secret) = crate::session::cookie(&headers, SESSION_COOKIE) {
        s.store.end_session(secret).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, ctx.secure)
            .parse()
            .expect("cookie header"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    c: Chrome,
    token: String,
    email: String,
    ask_email: bool,
    /// "new": create an account; "accept": signed in as the invited account;
    /// "login": the invited email has an account, which must sign in first.
    mode: &'static str,
    /// What the invitation is: the initiative, the role and who invited
    /// (empty for the first administrator's setup link).
    about: String,
    name: String,
    error: String,
    pre: String,
}

impl InvitePage {
    async fn new(
        s: &AppState,
        ctx: &Ctx,
        token: &str,
        inv: &store::accounts::Invitation,
    ) -> Result<Self, AppError> {
        let existing = !inv.email.is_empty() && s.store.user_by_email(&inv.email).await?.is_some();
        let signed_in_as = ctx
            .session
            .as_ref()
            .is_some_and(|x| x.user.email == inv.email);
        let mode = match (existing, signed_in_as) {
            (false, _) => "new",
            (true, true) => "accept",
            (true, false) => "login",
        };
        let (initiative, inviter) = s.store.invitation_context(inv).await?;
        let role = inv
            .role
            .map(|r| ctx.tr.t(&format!("role-{}", r.as_str())))
            .unwrap_or_default();
        let about = match (initiative, inviter) {
            (Some(i), Some(by)) => ctx.tr.tn(
                "invite-about",
                &[("inviter", by), ("initiative", i), ("role", role)],
            ),
            (Some(i), None) => ctx.tr.tn(
                "invite-about-anonymous",
                &[("initiative", i), ("role", role)],
            ),
            (None, _) => String::new(),
        };
        Ok(InvitePage {
            c: Chrome::new(ctx, ctx.tr.t("invite-title")),
            token: token.to_string(),
            email: inv.email.clone(),
            ask_email: inv.email.is_empty(),
            mode,
            about,
            name: String::new(),
            error: String::new(),
            pre: if mode == "accept" {
                ctx.csrf().to_string()
            } else {
                ctx.pre_csrf(&s.store).await?.0.clone()
            },
        })
    }
}

pub async fn invitation_form(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> PageResult {
    let inv = s
        .store
        .invitation(&token)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = InvitePage::new(&s, &ctx, &token, &inv).await?;
    Ok(with_pre_cookie(&s, &ctx, render_status(StatusCode::OK, &page)?).await?)
}

pub async fn accept_invitation(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let inv = s
        .store
        .invitation(&token)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = InvitePage::new(&s, &ctx, &token, &inv).await?;
    let get = |k: &str| sub.fields.get(k).cloned().unwrap_or_default();
    let result = match page.mode {
        "accept" => {
            let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
            s.store
                .accept_invitation_as(&token, &user)
                .await
                .map(|()| None)
        }
        "new" => {
            ctx.check_pre_csrf(&s.store, sub.csrf.as_deref()).await?;
            let email = if inv.email.is_empty() {
                get("email")
            } else {
                inv.email.clone()
            };
            page.email = email.clone();
            s.store
                .accept_invitation(&token, &email, &get("display_name"), &get("password"))
                .await
                .map(Some)
        }
        _ => return Err(AppError::Forbidden.into()),
    };
    match result {
        Ok(new_user) => {
            let mut res = Redirect::to("/").into_response();
            if let Some(user) = new_user {
                let (secret, _) = s.store.create_session(user.id).await?;
                s.store.note_sign_in(user.id).await?;
                let cookie = set_cookie(SESSION_COOKIE, &secret, SESSION_DAYS * 86400, ctx.secure);
                res.headers_mut()
                    .append(header::SET_COOKIE, cookie.parse().expect("cookie header"));
            }
            Ok(res)
        }
        Err(StoreError::Invalid(e)) => {
            page.error = crate::kinds::errors_text(&ctx.tr, &e);
            page.name = get("display_name");
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// A forgotten password.

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    c: Chrome,
    email: String,
    /// The request was taken (the same answer whether or not the address has
    /// an account).
    sent: bool,
    error: String,
    pre: String,
    hours: String,
}

async fn forgot_page(
    s: &AppState,
    ctx: &Ctx,
    email: String,
    sent: bool,
    error: String,
    status: StatusCode,
) -> PageResult {
    let c = Chrome::new(ctx, ctx.tr.t("forgot-title")).crumb("/login", ctx.tr.t("login-title"));
    let res = render_status(
        status,
        &ForgotPage {
            c,
            email,
            sent,
            error,
            pre: ctx.pre_csrf(&s.store).await?.0.clone(),
            hours: RESET_HOURS.to_string(),
        },
    )?;
    Ok(with_pre_cookie(s, ctx, res).await?)
}

pub async fn forgot_form(State(s): State<AppState>, ctx: Ctx) -> PageResult {
    forgot_page(
        &s,
        &ctx,
        String::new(),
        false,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Ask for a reset link by email. The answer is the same whether or not the
/// address has an account; requests are throttled per client address like
/// sign-in, and per address asked for.
pub async fn forgot(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Peer(peer): Peer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    ctx.check_pre_csrf(&s.store, sub.csrf.as_deref()).await?;
    let email = sub.fields.get("email").cloned().unwrap_or_default();
    let ip = client_ip(&headers, peer, s.config.trust_proxy);
    match s.store.request_password_reset(&email, &ip).await? {
        ResetRequest::Send(user, secret) => {
            let base = super::mail::base_url(&s, &headers);
            if let Err(e) = enqueue_reset(&s, &base, &user, &secret, ctx.tr.lang).await {
                tracing::warn!(error = ?e, "could not queue a password reset email");
            }
        }
        ResetRequest::Nothing => {}
        ResetRequest::Throttled => {
            tracing::warn!("password reset requests throttled");
            return forgot_page(
                &s,
                &ctx,
                email,
                false,
                ctx.tr.t("forgot-throttled"),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
    }
    forgot_page(&s, &ctx, String::new(), true, String::new(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetMail {
    tr: crate::i18n::Tr,
    link: String,
    expires: String,
}

/// Queue the email carrying a reset link (as a full address under `base`), in
/// the account's language, else the language of the page that asked.
async fn enqueue_reset(
    s: &AppState,
    base: &str,
    user: &store::accounts::User,
    secret: &str,
    page_lang: &str,
) -> Result<(), AppError> {
    let base = base.trim_end_matches('/');
    let tr = crate::i18n::Tr::new(user.language.as_deref().unwrap_or(page_lang));
    let body = ResetMail {
        tr,
        link: format!("{base}/reset/{secret}"),
        expires: tr.t1("mail-reset-expires", "hours", &RESET_HOURS.to_string()),
    };
    let host = base
        .split_once("://")
        .map_or(base, |(_, r)| r)
        .split(['/', ':', '?'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("backbone.localhost")
        .to_string();
    let mail = store::mail::Mail {
        initiative_id: None,
        // One message per link (the secret itself is never a key).
        dedupe_key: format!(
            "password-reset:{}",
            &store::accounts::sha256_hex(secret)[..16]
        ),
        kind: PASSWORD_RESET_MAIL.into(),
        recipient_email: user.email.clone(),
        recipient_person_id: None,
        recipient_user_id: Some(user.id),
        language: tr.lang.into(),
        subject: tr.t("mail-reset-subject"),
        body_text: body.render().map_err(|e| {
            tracing::error!(error = %e, "cannot render a password reset message");
            AppError::Internal
        })?,
        unsubscribe_url: None,
        unsubscribe_token: None,
        id_domain: host,
    };
    s.store.enqueue_mail(&mail).await?;
    Ok(())
}

/// The outbox kind of a password reset email.
pub const PASSWORD_RESET_MAIL: &str = store::mail::PASSWORD_RESET;

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    c: Chrome,
    /// The account the link is for; empty when the link is no longer valid.
    email: String,
    error: String,
    pre: String,
}

async fn reset_page(
    s: &AppState,
    ctx: &Ctx,
    email: String,
    error: String,
    status: StatusCode,
) -> PageResult {
    let c = Chrome::new(ctx, ctx.tr.t("reset-title"));
    let res = render_status(
        status,
        &ResetPage {
            c,
            email,
            error,
            pre: ctx.pre_csrf(&s.store).await?.0.clone(),
        },
    )?;
    Ok(with_pre_cookie(s, ctx, res).await?)
}

/// The form a reset link opens; a used or expired link says so (404).
pub async fn reset_form(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> PageResult {
    match s.store.password_reset(&token).await? {
        Some(user) => reset_page(&s, &ctx, user.email, String::new(), StatusCode::OK).await,
        None => {
            reset_page(
                &s,
                &ctx,
                String::new(),
                String::new(),
                StatusCode::NOT_FOUND,
            )
            .await
        }
    }
}

/// Set the new password: the link works once; every session of the account
/// ends and its API tokens are revoked; then the person signs in.
pub async fn reset(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    ctx.check_pre_csrf(&s.store, sub.csrf.as_deref()).await?;
    let password = sub.fields.get("password").cloned().unwrap_or_default();
    match s.store.use_password_reset(&token, &password).await {
        Ok(user) => {
            tracing::info!(user_id = user.id, "password reset");
            Ok(Redirect::to("/login?reset=done").into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let email = s
                .store
                .password_reset(&token)
                .await?
                .map(|u| u.email)
                .unwrap_or_default();
            let msg = crate::kinds::errors_text(&ctx.tr, &e);
            reset_page(&s, &ctx, email, msg, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(StoreError::NotFound) => {
            reset_page(
                &s,
                &ctx,
                String::new(),
                String::new(),
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/i/kiryat-malachi?x=1")),
            "/i/kiryat-malachi?x=1"
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n",
            "https://evil.example",
            "evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 10.0.0.7".parse().unwrap());
        let peer = Some("127.0.0.1:5000".parse().unwrap());
        assert_eq!(client_ip(&h, peer, false), "127.0.0.1");
        assert_eq!(client_ip(&h, peer, true), "10.0.0.7");
        assert_eq!(client_ip(&HeaderMap::new(), peer, true), "127.0.0.1");
    }
}
